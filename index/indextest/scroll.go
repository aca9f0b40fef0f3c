package indextest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jieda/jieda/index"
)

// scrollAll pages through req from its start with the cursor and checks
// the concatenated ids against want: every page full but the last, Next
// empty exactly on the last page, no duplicates.
func scrollAll(e *env, name, what string, req index.ScrollRequest, want []string) {
	e.Helper()
	var got []string
	limit := cmp.Or(req.Limit, 10)
	for pages := 0; ; pages++ {
		if pages > len(want)+1 {
			e.Errorf("%s: scroll does not end", what)
			return
		}
		page, err := e.s.Scroll(e.ctx, name, req)
		e.must(err)
		got = append(got, recordIDs(page.Points)...)
		if page.Next == "" {
			break
		}
		if len(page.Points) != limit {
			e.Errorf("%s: page %d has %d points and a Next, want %d", what, pages, len(page.Points), limit)
			return
		}
		req.Cursor = page.Next
	}
	e.diff(fmt.Sprintf("%s: scroll by %d", what, limit), want, got)
}

// randomID draws a UUID.
func randomID(rng *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12),
		0x8000|rng.IntN(1<<14), rng.Uint64()&(1<<48-1))
}

func testScrollByID(e *env) {
	rng := rand.New(rand.NewPCG(5, 6))
	name := e.collection("scrollid", 2, false)
	var all, every3 []string
	var pts []index.Point
	for n := range 57 {
		pid := randomID(rng)
		all = append(all, pid)
		if n%3 == 0 {
			every3 = append(every3, pid)
			pid = strings.ToUpper(pid)
		}
		pts = append(pts, index.Point{ID: pid, Dense: []float32{1, 0}, Payload: index.Payload{"third": n%3 == 0, "n": n}})
	}
	e.upsert(name, pts...)
	slices.Sort(all)
	slices.Sort(every3)

	for _, limit := range []int{1, 10, 19, 56, 57, 100} {
		scrollAll(e, name, "by id", index.ScrollRequest{Limit: limit}, all)
	}
	third := &index.Filter{Must: []index.Condition{index.MatchBool("third", true)}}
	for _, limit := range []int{4, 19} {
		scrollAll(e, name, "filtered", index.ScrollRequest{Filter: third, Limit: limit}, every3)
	}

	// With selects what comes back.
	page, err := e.s.Scroll(e.ctx, name, index.ScrollRequest{Limit: 2, With: index.With{Payload: true, Vectors: true}})
	e.must(err)
	for _, r := range page.Points {
		if r.Payload == nil || r.Dense == nil {
			e.Errorf("scroll with payload and vectors returned %+v", r)
		}
	}
	page, err = e.s.Scroll(e.ctx, name, index.ScrollRequest{Limit: 2})
	e.must(err)
	for _, r := range page.Points {
		if r.Payload != nil || r.Dense != nil || r.Sparse != nil {
			e.Errorf("scroll without With returned %+v", r)
		}
	}

	// A cursor stays valid when the point it names is deleted.
	page, err = e.s.Scroll(e.ctx, name, index.ScrollRequest{Limit: 10})
	e.must(err)
	e.must(e.s.Delete(e.ctx, name, all[10:11]))
	next, err := e.s.Scroll(e.ctx, name, index.ScrollRequest{Limit: 10, Cursor: page.Next})
	e.must(err)
	e.diff("page after deleting the cursor's point", all[11:21], recordIDs(next.Points))

	for _, cursor := range []string{"garbage", "00000000-0000-0000-0000"} {
		_, err = e.s.Scroll(e.ctx, name, index.ScrollRequest{Cursor: cursor})
		e.wantErr("scroll with cursor "+cursor, err, index.ErrInvalidArgument)
	}
	for _, limit := range []int{-1, 10001} {
		_, err = e.s.Scroll(e.ctx, name, index.ScrollRequest{Limit: limit})
		e.wantErr(fmt.Sprintf("scroll with limit %d", limit), err, index.ErrInvalidArgument)
	}
	page, err = e.s.Scroll(e.ctx, name, index.ScrollRequest{Limit: 10000})
	e.must(err)
	if len(page.Points) != 56 || page.Next != "" {
		e.Errorf("scroll with limit 10000: %d points, Next %q", len(page.Points), page.Next)
	}
}

// orderData are the payloads of testScrollOrderBy: integer, float and
// datetime fields with ties, missing and null values and values of other types.
func orderData(rng *rand.Rand) map[string]index.Payload {
	out := map[string]index.Payload{}
	for n := range 40 {
		out[randomID(rng)] = orderPayload(rng, n)
	}
	return out
}

// orderPayload is one point of orderData (the n-th: grp is n's parity),
// with a field m of two integers.
func orderPayload(rng *rand.Rand, n int) index.Payload {
	zones := []string{"Z", "+02:00", "-05:30", "+00:00"}
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	p := index.Payload{"grp": int64(n % 2), "m": []any{int64(rng.IntN(8)), int64(rng.IntN(8))}}
	switch rng.IntN(10) {
	case 0:
	case 1:
		p["i"] = nil
	case 2:
		p["i"] = "7" // a string is not an integer
	default:
		p["i"] = int64(rng.IntN(6) - 2)
	}
	switch rng.IntN(10) {
	case 0:
	case 1:
		p["f"] = true
	case 2, 3:
		p["f"] = int64(rng.IntN(3))
	default:
		p["f"] = []float64{-1.5, 0.25, 0.5, 1e-3, 2.75}[rng.IntN(5)]
	}
	if rng.IntN(8) != 0 {
		t := base.Add(time.Duration(rng.IntN(5)) * time.Hour)
		z := zones[rng.IntN(len(zones))]
		loc := time.UTC
		if z != "Z" {
			off, _ := time.Parse("-07:00", z)
			_, secs := off.Zone()
			loc = time.FixedZone(z, secs)
		}
		p["t"] = t.In(loc).Format("2006-01-02T15:04:05") + z
	} else if rng.IntN(2) == 0 {
		p["t"] = "not a time"
	}
	return p
}

// orderedIDs is the reference order of a scroll by key: points with a
// value of the field's kind, by value then id.
func orderedIDs(payloads map[string]index.Payload, f *index.Filter, key string, datetime bool, dir index.Direction) []string {
	type item struct {
		id  string
		num float64
		t   time.Time
	}
	var items []item
	for pid, p := range payloads {
		if !f.Match(pid, p) {
			continue
		}
		vs := index.Values(p, key)
		if len(vs) != 1 {
			continue
		}
		it := item{id: pid}
		if datetime {
			s, ok := vs[0].(string)
			if !ok {
				continue
			}
			t, err := index.ParseTime(s)
			if err != nil {
				continue
			}
			it.t = t
		} else {
			x, ok := index.Number(vs[0])
			if !ok {
				continue
			}
			it.num = x
		}
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b item) int {
		c := cmp.Compare(a.num, b.num)
		if datetime {
			c = a.t.Compare(b.t)
		}
		if dir == index.Desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a.id, b.id))
	})
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.id
	}
	return out
}

func testScrollOrderBy(e *env) {
	rng := rand.New(rand.NewPCG(7, 8))
	name := e.collection("scrollorder", 2, false)
	payloads := orderData(rng)
	for pid, p := range payloads {
		e.upsert(name, index.Point{ID: pid, Dense: []float32{1, 0}, Payload: p})
	}
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "i", index.FieldInteger))
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "f", index.FieldFloat))
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "t", index.FieldDatetime))
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "grp", index.FieldInteger))
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "m", index.FieldInteger))

	odd := &index.Filter{Must: []index.Condition{index.MatchInteger("grp", 1)}}
	// Ranges read the indexes' sorted values (points with several values
	// included), ordered scrolls their sorted extremes.
	ranges := []*index.Filter{
		{Must: []index.Condition{index.NumberRange("m", index.Range{Gte: index.F(3), Lt: index.F(5)})}},
		{Must: []index.Condition{index.NumberRange("i", index.Range{Gte: index.F(0), Lt: index.F(3)})}},
		{Must: []index.Condition{index.NumberRange("f", index.Range{Gt: index.F(0.25)})}},
		{Must: []index.Condition{index.TimeRange("t", index.DatetimeRange{Gte: time.Date(2024, 5, 1, 13, 0, 0, 0, time.UTC), Lte: time.Date(2024, 5, 1, 15, 0, 0, 0, time.UTC)})}},
	}
	check := func(stage string) {
		for _, key := range []string{"i", "f", "t"} {
			for _, dir := range []index.Direction{index.Asc, index.Desc} {
				for _, f := range []*index.Filter{nil, odd} {
					want := orderedIDs(payloads, f, key, key == "t", dir)
					if len(want) < 10 {
						e.Fatalf("%s: order by %s: only %d points to order", stage, key, len(want))
					}
					for _, limit := range []int{1, 3, 7, 100} {
						what := fmt.Sprintf("%s: order by %s dir %d filtered %t", stage, key, dir, f != nil)
						scrollAll(e, name, what, index.ScrollRequest{Filter: f, Limit: limit, OrderBy: &index.OrderBy{Key: key, Direction: dir}}, want)
					}
				}
			}
		}
		for i, f := range ranges {
			var want []string
			for pid, p := range payloads {
				if f.Match(pid, p) {
					want = append(want, pid)
				}
			}
			slices.Sort(want)
			scrollAll(e, name, fmt.Sprintf("%s: range %d", stage, i), index.ScrollRequest{Filter: f, Limit: 1000}, want)
		}
	}
	check("indexes built")

	// The indexes follow writes: points changed or deleted one at a time
	// (each removal found by key) and many in one write (one sweep).
	var all []string
	for pid := range payloads {
		all = append(all, pid)
	}
	slices.Sort(all)
	for n := range 40 {
		pid := all[rng.IntN(len(all))]
		if _, ok := payloads[pid]; ok && n%5 == 4 {
			e.must(e.s.Delete(e.ctx, name, []string{pid}))
			delete(payloads, pid)
			continue
		}
		p := orderPayload(rng, n)
		e.upsert(name, index.Point{ID: pid, Dense: []float32{1, 0}, Payload: p})
		payloads[pid] = p
	}
	check("after single writes")
	var batch []index.Point
	for n := range 10 {
		batch = append(batch, index.Point{ID: randomID(rng), Dense: []float32{1, 0}, Payload: orderPayload(rng, n)})
	}
	for n, pid := range all {
		if _, ok := payloads[pid]; ok {
			batch = append(batch, index.Point{ID: pid, Dense: []float32{1, 0}, Payload: orderPayload(rng, n)})
		}
	}
	e.upsert(name, batch...)
	for _, pt := range batch {
		payloads[pt.ID] = pt.Payload
	}
	check("after a write of every point")

	// Points written between pages appear where they belong.
	req := index.ScrollRequest{Limit: 5, OrderBy: &index.OrderBy{Key: "i"}}
	page, err := e.s.Scroll(e.ctx, name, req)
	e.must(err)
	late := index.Payload{"i": int64(100)}
	lateID := randomID(rng)
	e.upsert(name, index.Point{ID: lateID, Dense: []float32{1, 0}, Payload: late})
	payloads[lateID] = late
	want := orderedIDs(payloads, nil, "i", false, index.Asc)
	got := recordIDs(page.Points)
	for req.Cursor = page.Next; req.Cursor != ""; req.Cursor = page.Next {
		page, err = e.s.Scroll(e.ctx, name, req)
		e.must(err)
		got = append(got, recordIDs(page.Points)...)
	}
	e.diff("ordered scroll with a point added between pages", want, got)
}

func testScrollOrderByErrors(e *env) {
	name := e.collection("scrollordererr", 2, false)
	e.upsert(name, index.Point{ID: id(1), Dense: []float32{1, 0}, Payload: index.Payload{"n": 1, "k": "a", "b": true}})
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "k", index.FieldKeyword))
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "b", index.FieldBool))
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "n", index.FieldInteger))
	for _, key := range []string{"unindexed", "k", "b"} {
		_, err := e.s.Scroll(e.ctx, name, index.ScrollRequest{OrderBy: &index.OrderBy{Key: key}})
		e.wantErr("order by "+key, err, index.ErrNoPayloadIndex)
	}
	for _, tc := range []struct {
		what string
		req  index.ScrollRequest
	}{
		{"no key", index.ScrollRequest{OrderBy: &index.OrderBy{}}},
		{"unknown direction", index.ScrollRequest{OrderBy: &index.OrderBy{Key: "n", Direction: 5}}},
		{"bad cursor", index.ScrollRequest{OrderBy: &index.OrderBy{Key: "n"}, Cursor: "garbage"}},
		{"negative limit", index.ScrollRequest{OrderBy: &index.OrderBy{Key: "n"}, Limit: -1}},
	} {
		_, err := e.s.Scroll(e.ctx, name, tc.req)
		e.wantErr("ordered scroll: "+tc.what, err, index.ErrInvalidArgument)
	}
}
