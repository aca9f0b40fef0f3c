package indextest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jieda/jieda/index"
)

// filterPayloads are the hand-picked payloads of testFilterConditions, by id number.
var filterPayloads = map[int]index.Payload{
	1: {"kw": "alpha", "n": 1, "x": 0.5, "flag": true, "tags": []any{"red", "blue"}, "nums": []any{1, 2},
		"ts": "2024-01-01T00:00:00Z", "obj": map[string]any{"k": "one", "n": 1, "deep": map[string]any{"z": "a"}}},
	2: {"kw": "beta", "n": 2, "x": 1.5, "flag": false, "tags": []any{"blue"}, "nums": []any{3},
		"ts": "2024-01-01T01:00:00+02:00", "obj": map[string]any{"k": "two", "n": 2}},
	3: {"kw": "gamma", "n": 3, "x": 2.5, "flag": true, "tags": []any{}, "ts": "2024-06-15T12:00:00-07:00",
		"obj": map[string]any{"k": "three"}},
	4: {"kw": "alpha", "n": -4, "x": -1.25, "tags": []any{"green"}, "nums": []any{}, "ts": "2025-01-01T00:00:00.5Z"},
	5: {"kw": nil, "n": 5, "x": 3, "flag": false, "obj": nil},
	6: {},
	7: {"kw": "Alpha", "n": 7, "x": 7.25, "tags": []any{"red"}, "obj": map[string]any{"k": "one", "n": 7},
		"ts": "2024-03-10 08:30:00"},
	8: {"kw": []any{"alpha", "delta"}, "n": []any{8, 80}, "x": []any{0.1, 9.9}, "flag": []any{true, false},
		"ts": []any{"2024-02-01", "2030-01-01T00:00:00Z"}},
	9: {"kw": "", "n": 0, "x": 0, "tags": []any{"red", "green", "blue"}, "obj": map[string]any{"deep": map[string]any{"z": "b"}},
		"ts": "not a date"},
	10: {"n": "10", "x": "1.5", "flag": "true", "kw": 10},
}

func must(c ...index.Condition) *index.Filter    { return &index.Filter{Must: c} }
func should(c ...index.Condition) *index.Filter  { return &index.Filter{Should: c} }
func mustNot(c ...index.Condition) *index.Filter { return &index.Filter{MustNot: c} }

func rfc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// filterCases are hand-picked filters over filterPayloads with the ids they select.
var filterCases = []struct {
	what string
	f    *index.Filter
	want []int
}{
	{"keyword", must(index.MatchKeyword("kw", "alpha")), []int{1, 4, 8}},
	{"empty keyword", must(index.MatchKeyword("kw", "")), []int{9}},
	{"keyword is not a number", must(index.MatchKeyword("kw", "10")), nil},
	{"any keyword", must(index.MatchAnyKeyword("kw", "beta", "gamma", "delta")), []int{2, 3, 8}},
	{"integer", must(index.MatchInteger("kw", 10)), []int{10}},
	{"integer in an array", must(index.MatchInteger("n", 80)), []int{8}},
	{"integer is not a string", must(index.MatchInteger("n", 10)), nil},
	{"any integer", must(index.MatchAnyInteger("n", 1, 3, 80)), []int{1, 3, 8}},
	{"bool true", must(index.MatchBool("flag", true)), []int{1, 3, 8}},
	{"bool false", must(index.MatchBool("flag", false)), []int{2, 5, 8}},
	{"range gt lte", must(index.NumberRange("n", index.Range{Gt: index.F(1), Lte: index.F(5)})), []int{2, 3, 5}},
	{"range gte lt on floats", must(index.NumberRange("x", index.Range{Gte: index.F(0.5), Lt: index.F(2.5)})), []int{1, 2}},
	{"range gt in an array", must(index.NumberRange("x", index.Range{Gt: index.F(9)})), []int{8}},
	{"range lt", must(index.NumberRange("n", index.Range{Lt: index.F(0)})), []int{4}},
	{"range with fractional bounds on integers", must(index.NumberRange("n", index.Range{Gte: index.F(0.5), Lte: index.F(3.5)})), []int{1, 2, 3}},
	{"range of one point", must(index.NumberRange("x", index.Range{Gte: index.F(0), Lte: index.F(0)})), []int{9}},
	{"range any number", must(index.NumberRange("n", index.Range{Gte: index.F(-100)})), []int{1, 2, 3, 4, 5, 7, 8, 9}},
	{"datetime gte lt", must(index.TimeRange("ts", index.DatetimeRange{Gte: rfc("2024-01-01T00:00:00Z"), Lt: rfc("2025-01-01T00:00:00Z")})), []int{1, 3, 7, 8}},
	{"datetime lte with zone", must(index.TimeRange("ts", index.DatetimeRange{Lte: rfc("2024-01-01T00:00:00+01:00")})), []int{2}},
	{"datetime gt", must(index.TimeRange("ts", index.DatetimeRange{Gt: rfc("2024-06-15T18:59:59Z")})), []int{3, 4, 8}},
	{"datetime sub-second", must(index.TimeRange("ts", index.DatetimeRange{Gt: rfc("2025-01-01T00:00:00Z")})), []int{4, 8}},
	{"datetime exact without zone", must(index.TimeRange("ts", index.DatetimeRange{Gte: rfc("2024-03-10T10:30:00+02:00"), Lte: rfc("2024-03-10T08:30:00Z")})), []int{7}},
	{"is empty: missing, null, []", must(index.IsEmpty("tags")), []int{3, 5, 6, 8, 10}},
	{"is empty: null", must(index.IsEmpty("kw")), []int{5, 6}},
	{"is empty: nested", must(index.IsEmpty("obj.k")), []int{4, 5, 6, 8, 9, 10}},
	{"is empty: array", must(index.IsEmpty("nums")), []int{3, 4, 5, 6, 7, 8, 9, 10}},
	{"has id", must(index.HasID(id(1), id(3), strings.ToUpper(id(5)), id(99))), []int{1, 3, 5}},
	{"dotted keyword", must(index.MatchKeyword("obj.k", "one")), []int{1, 7}},
	{"dotted range", must(index.NumberRange("obj.n", index.Range{Gte: index.F(2)})), []int{2, 7}},
	{"dotted deep", must(index.MatchKeyword("obj.deep.z", "b")), []int{9}},
	{"array element", must(index.MatchKeyword("tags", "red")), []int{1, 7, 9}},
	{"array any integer", must(index.MatchAnyInteger("nums", 2, 3)), []int{1, 2}},
	{"array any keyword", must(index.MatchAnyKeyword("tags", "green")), []int{4, 9}},
	{"must", must(index.MatchKeyword("kw", "alpha"), index.MatchBool("flag", true)), []int{1, 8}},
	{"should", should(index.MatchKeyword("tags", "green"), index.MatchInteger("n", 2)), []int{2, 4, 9}},
	{"must not", mustNot(index.IsEmpty("tags")), []int{1, 2, 4, 7, 9}},
	{"must and must not", &index.Filter{Must: []index.Condition{index.MatchKeyword("tags", "red")},
		MustNot: []index.Condition{index.MatchKeyword("kw", "alpha")}}, []int{7, 9}},
	{"must, should and must not", &index.Filter{
		Must:    []index.Condition{index.NumberRange("n", index.Range{Gte: index.F(0)})},
		Should:  []index.Condition{index.MatchBool("flag", true), index.MatchKeyword("kw", "beta")},
		MustNot: []index.Condition{index.HasID(id(3))},
	}, []int{1, 2, 8}},
	{"nested should", should(
		index.Nested(index.Filter{Must: []index.Condition{index.MatchKeyword("kw", "alpha"), index.NumberRange("n", index.Range{Lt: index.F(0)})}}),
		index.Nested(index.Filter{Must: []index.Condition{index.MatchKeyword("kw", "gamma")}}),
	), []int{3, 4}},
	{"nested must not", must(index.Nested(index.Filter{MustNot: []index.Condition{index.MatchBool("flag", true)}})),
		[]int{2, 4, 5, 6, 7, 9, 10}},
	{"must not nested should", mustNot(index.Nested(index.Filter{Should: []index.Condition{
		index.MatchKeyword("kw", "alpha"), index.MatchKeyword("kw", "beta")}})), []int{3, 5, 6, 7, 9, 10}},
	{"two nested shoulds", must(
		index.Nested(index.Filter{Should: []index.Condition{
			index.NumberRange("x", index.Range{Lt: index.F(0)}), index.NumberRange("x", index.Range{Gt: index.F(7)})}}),
		index.Nested(index.Filter{Should: []index.Condition{index.IsEmpty("flag")}}),
	), []int{4, 7}},
	{"empty filter", &index.Filter{}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
	{"should matching nothing", &index.Filter{Must: []index.Condition{index.MatchKeyword("kw", "alpha")},
		Should: []index.Condition{index.MatchKeyword("kw", "zzz")}}, nil},
	{"must not everything", mustNot(index.HasID(ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)...)), nil},
}

// testFilterConditions runs every hand-picked filter through Count, Scroll
// and dense and sparse queries.
func testFilterConditions(e *env) {
	name := e.collection("filters", 2, true)
	for n, p := range filterPayloads {
		e.upsert(name, index.Point{ID: id(n), Dense: []float32{1, float32(n)}, Payload: p,
			Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{float32(n)}}})
	}
	for _, tc := range filterCases {
		// The cases agree with the reference semantics.
		var ref []string
		for n := 1; n <= 10; n++ {
			if tc.f.Match(id(n), e.payload(filterPayloads[n])) {
				ref = append(ref, id(n))
			}
		}
		want := ids(tc.want...)
		e.diff("the suite's case "+tc.what+" against index.Filter.Match", want, ref)
		checkFilter(e, name, tc.what, tc.f, want, true)
	}
}

// checkFilter checks that f selects want (sorted ids) in Count, Scroll and,
// when queries is set, a dense, a sparse and a grouped query.
func checkFilter(e *env, name, what string, f *index.Filter, want []string, queries bool) {
	e.Helper()
	n, err := e.s.Count(e.ctx, name, f)
	e.must(err)
	if n != len(want) {
		e.Errorf("%s: Count = %d, want %d", what, n, len(want))
	}
	page, err := e.s.Scroll(e.ctx, name, index.ScrollRequest{Filter: f, Limit: 10000})
	e.must(err)
	e.diff(what+": Scroll", want, recordIDs(page.Points))
	if !queries {
		return
	}
	res, err := e.s.Query(e.ctx, name, index.QueryRequest{Dense: []float32{1, 1}, Filter: f, Limit: 10000})
	e.must(err)
	got := scoredIDs(res)
	slices.Sort(got)
	e.diff(what+": dense Query", want, got)
	res, err = e.s.Query(e.ctx, name, index.QueryRequest{Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{1}}, Filter: f, Limit: 10000})
	e.must(err)
	got = scoredIDs(res)
	slices.Sort(got)
	e.diff(what+": sparse Query", want, got)
}

func testFilterInvalid(e *env) {
	name := e.collection("filterinvalid", 2, false)
	e.upsert(name, index.Point{ID: id(1), Dense: []float32{1, 0}})
	two := index.MatchKeyword("k", "v")
	two.Field.Integer = ptr[int64](1)
	for _, tc := range []struct {
		what   string
		f      *index.Filter
		target error
	}{
		{"no test", must(index.Condition{}), index.ErrInvalidArgument},
		{"two tests in a condition", should(index.Condition{HasID: ids(1), IsEmpty: "k"}), index.ErrInvalidArgument},
		{"two tests in a field", must(two), index.ErrInvalidArgument},
		{"no key", must(index.MatchKeyword("", "v")), index.ErrInvalidArgument},
		{"field without a test", mustNot(index.Condition{Field: &index.FieldCondition{Key: "k"}}), index.ErrInvalidArgument},
		{"bad id", must(index.HasID("nope")), index.ErrInvalidID},
		{"NaN bound", must(index.NumberRange("k", index.Range{Gt: ptr(nan64())})), index.ErrInvalidArgument},
		{"invalid nested", must(index.Nested(index.Filter{Should: []index.Condition{{}}})), index.ErrInvalidArgument},
	} {
		if err := tc.f.Validate(); !errorsIs(err, tc.target) {
			e.Fatalf("the suite's case %s: index.Filter.Validate = %v, want %v", tc.what, err, tc.target)
		}
		_, err := e.s.Count(e.ctx, name, tc.f)
		e.wantErr("Count: "+tc.what, err, tc.target)
		_, err = e.s.Scroll(e.ctx, name, index.ScrollRequest{Filter: tc.f})
		e.wantErr("Scroll: "+tc.what, err, tc.target)
		_, err = e.s.Query(e.ctx, name, index.QueryRequest{Dense: []float32{1, 0}, Filter: tc.f})
		e.wantErr("Query: "+tc.what, err, tc.target)
		err = e.s.DeleteByFilter(e.ctx, name, tc.f)
		e.wantErr("DeleteByFilter: "+tc.what, err, tc.target)
	}
	n, err := e.s.Count(e.ctx, name, nil)
	e.must(err)
	if n != 1 {
		e.Errorf("count after invalid deletes: %d, want 1", n)
	}
}

// Random filters: values from small domains so that conditions often hold.
var (
	randKeywords = []string{"a", "b", "c", "d"}
	randTimes    = []string{"2024-01-01T00:00:00Z", "2024-01-01T02:00:00+02:00", "2024-01-01T00:00:01Z",
		"2023-12-31T23:59:59-01:00", "2024-06-01", "2024-06-01 12:00:00", "2024-06-01T12:00:00.25Z", "garbage"}
	randNumbers = []float64{-2, -1, -0.5, 0, 0.25, 1, 1.5, 3}
	// randFilterKeywords are what filters look for: the payload keywords and one never present.
	randFilterKeywords = []string{"a", "b", "c", "d", "zz"}
)

func randPayload(rng *rand.Rand) index.Payload {
	kw := func() any { return randKeywords[rng.IntN(len(randKeywords))] }
	integer := func() any { return int64(rng.IntN(7) - 3) }
	number := func() any {
		if rng.IntN(2) == 0 {
			return integer()
		}
		return []float64{-1.5, -0.5, 0.25, 1.5, 2.75}[rng.IntN(5)]
	}
	boolean := func() any { return rng.IntN(2) == 0 }
	datetime := func() any { return randTimes[rng.IntN(len(randTimes))] }
	// field sets key to a value, null, an array of values or nothing.
	p := index.Payload{}
	field := func(key string, gen func() any) {
		switch rng.IntN(8) {
		case 0:
		case 1:
			p[key] = nil
		case 2:
			arr := []any{}
			for range rng.IntN(4) {
				arr = append(arr, gen())
			}
			p[key] = arr
		default:
			p[key] = gen()
		}
	}
	field("kw", kw)
	field("tags", kw)
	field("n", integer)
	field("x", number)
	field("flag", boolean)
	field("ts", datetime)
	switch rng.IntN(4) {
	case 0:
	case 1:
		p["obj"] = nil
	default:
		obj := map[string]any{"k": kw()}
		if rng.IntN(2) == 0 {
			obj["n"] = integer()
		}
		p["obj"] = obj
	}
	field("mixed", []func() any{kw, integer, number, boolean, datetime}[rng.IntN(5)])
	return p
}

func randCondition(rng *rand.Rand, depth, points int) index.Condition {
	pick := func(keys ...string) string { return keys[rng.IntN(len(keys))] }
	kw := func() string { return randFilterKeywords[rng.IntN(len(randFilterKeywords))] }
	integer := func() int64 { return int64(rng.IntN(9) - 4) }
	for {
		switch rng.IntN(11) {
		case 0:
			return index.MatchKeyword(pick("kw", "tags", "obj.k", "mixed"), kw())
		case 1:
			vals := []string{kw()}
			for range rng.IntN(3) {
				vals = append(vals, kw())
			}
			return index.MatchAnyKeyword(pick("kw", "tags", "obj.k", "mixed"), vals...)
		case 2:
			return index.MatchInteger(pick("n", "obj.n", "mixed"), integer())
		case 3:
			vals := []int64{integer()}
			for range rng.IntN(3) {
				vals = append(vals, integer())
			}
			return index.MatchAnyInteger(pick("n", "obj.n", "mixed"), vals...)
		case 4:
			return index.MatchBool(pick("flag", "mixed"), rng.IntN(2) == 0)
		case 5:
			// Integer fields get integral bounds (engines may index them as integers).
			key := pick("n", "obj.n", "x", "mixed")
			bound := func() *float64 {
				v := randNumbers[rng.IntN(len(randNumbers))]
				if key == "n" || key == "obj.n" {
					v = float64(integer())
				}
				return &v
			}
			var r index.Range
			for range 1 + rng.IntN(2) {
				switch rng.IntN(4) {
				case 0:
					r.Gt = bound()
				case 1:
					r.Gte = bound()
				case 2:
					r.Lt = bound()
				case 3:
					r.Lte = bound()
				}
			}
			return index.NumberRange(key, r)
		case 6:
			bound := func() time.Time {
				t, err := index.ParseTime(randTimes[rng.IntN(len(randTimes)-1)])
				if err != nil {
					panic(err)
				}
				return t.Add(time.Duration(rng.IntN(3)-1) * time.Second)
			}
			var r index.DatetimeRange
			for range 1 + rng.IntN(2) {
				switch rng.IntN(4) {
				case 0:
					r.Gt = bound()
				case 1:
					r.Gte = bound()
				case 2:
					r.Lt = bound()
				case 3:
					r.Lte = bound()
				}
			}
			return index.TimeRange(pick("ts", "mixed"), r)
		case 7:
			return index.IsEmpty(pick("kw", "tags", "n", "x", "flag", "ts", "obj", "obj.k", "obj.n", "mixed", "absent"))
		case 8:
			var hs []string
			for range 1 + rng.IntN(5) {
				hs = append(hs, id(rng.IntN(points+5)))
			}
			return index.HasID(hs...)
		default:
			if depth < 2 {
				return index.Nested(*randFilter(rng, depth+1, points))
			}
		}
	}
}

func randFilter(rng *rand.Rand, depth, points int) *index.Filter {
	f := &index.Filter{}
	for _, list := range []*[]index.Condition{&f.Must, &f.Should, &f.MustNot} {
		for range rng.IntN(3) {
			*list = append(*list, randCondition(rng, depth, points))
		}
	}
	return f
}

// testFilterRandom compares Count, Scroll and Query under random filters
// with index.Filter.Match over random payloads, without and then with
// payload indexes.
func testFilterRandom(e *env) {
	const points = 150
	rng := rand.New(rand.NewPCG(3, 4))
	name := e.collection("filterrandom", 2, true)
	payloads := map[string]index.Payload{}
	var pts []index.Point
	for n := range points {
		p := randPayload(rng)
		payloads[id(n)] = e.payload(p)
		pts = append(pts, index.Point{ID: id(n), Dense: randVec(rng, 2), Payload: p,
			Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{float32(1 + n)}}})
	}
	e.upsert(name, pts...)

	run := func(pass string) {
		nonEmpty := 0
		for i := range 150 {
			f := randFilter(rng, 0, points)
			var want []string
			for n := range points {
				if f.Match(id(n), payloads[id(n)]) {
					want = append(want, id(n))
				}
			}
			if len(want) > 0 && len(want) < points {
				nonEmpty++
			}
			what := fmt.Sprintf("%s filter %d %s", pass, i, describeFilter(f))
			checkFilter(e, name, what, f, want, i%5 == 0)
			if i%10 == 0 {
				scrollAll(e, name, what, index.ScrollRequest{Filter: f, Limit: 7}, want)
			}
		}
		if nonEmpty < 50 {
			e.Errorf("%s: only %d of 150 random filters select a proper subset; the generator is too narrow", pass, nonEmpty)
		}
	}
	run("unindexed")
	for field, typ := range map[string]index.FieldType{
		"kw": index.FieldKeyword, "tags": index.FieldKeyword, "obj.k": index.FieldKeyword, "n": index.FieldInteger,
		"obj.n": index.FieldInteger, "x": index.FieldFloat, "flag": index.FieldBool, "ts": index.FieldDatetime,
	} {
		e.must(e.s.CreatePayloadIndex(e.ctx, name, field, typ))
	}
	run("indexed")
}

func describeFilter(f *index.Filter) string {
	var b strings.Builder
	var walk func(f *index.Filter)
	cond := func(c index.Condition) {
		switch {
		case c.Field != nil:
			fc := c.Field
			fmt.Fprintf(&b, "%s:", fc.Key)
			switch {
			case fc.Keyword != nil:
				fmt.Fprintf(&b, "=%q", *fc.Keyword)
			case fc.Integer != nil:
				fmt.Fprintf(&b, "=%d", *fc.Integer)
			case fc.Bool != nil:
				fmt.Fprintf(&b, "=%t", *fc.Bool)
			case fc.AnyKeyword != nil:
				fmt.Fprintf(&b, "in%q", fc.AnyKeyword)
			case fc.AnyInteger != nil:
				fmt.Fprintf(&b, "in%d", fc.AnyInteger)
			case fc.Range != nil:
				for _, x := range []struct {
					op string
					v  *float64
				}{{">", fc.Range.Gt}, {">=", fc.Range.Gte}, {"<", fc.Range.Lt}, {"<=", fc.Range.Lte}} {
					if x.v != nil {
						fmt.Fprintf(&b, "%s%g", x.op, *x.v)
					}
				}
			case fc.DatetimeRange != nil:
				r := fc.DatetimeRange
				for _, x := range []struct {
					op string
					v  time.Time
				}{{">", r.Gt}, {">=", r.Gte}, {"<", r.Lt}, {"<=", r.Lte}} {
					if !x.v.IsZero() {
						fmt.Fprintf(&b, "%s%s", x.op, x.v.Format(time.RFC3339Nano))
					}
				}
			}
		case c.HasID != nil:
			fmt.Fprintf(&b, "has_id%v", c.HasID)
		case c.IsEmpty != "":
			fmt.Fprintf(&b, "is_empty(%s)", c.IsEmpty)
		case c.Nested != nil:
			walk(c.Nested)
		}
		b.WriteString(" ")
	}
	walk = func(f *index.Filter) {
		b.WriteString("{")
		for _, part := range []struct {
			name string
			cs   []index.Condition
		}{{"must", f.Must}, {"should", f.Should}, {"must_not", f.MustNot}} {
			if len(part.cs) > 0 {
				b.WriteString(part.name + ": ")
				for _, c := range part.cs {
					cond(c)
				}
			}
		}
		b.WriteString("}")
	}
	walk(f)
	return b.String()
}
