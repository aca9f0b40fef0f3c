package indextest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/jieda/jieda/index"
)

// testConcurrency runs writers, readers and collection churn at once, then
// checks the final state.
func testConcurrency(e *env) {
	const (
		writers   = 8
		perWriter = 50
		dim       = 8
	)
	name := e.collection("concurrent", dim, true)
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "w", index.FieldInteger))
	ctx := context.Background()
	var wg sync.WaitGroup
	var done atomic.Bool
	errs := make(chan error, 64)
	report := func(format string, args ...any) {
		select {
		case errs <- fmt.Errorf(format, args...):
		default:
		}
	}
	pid := func(w, i int) string { return id(w*1000 + i) }
	point := func(rng *rand.Rand, w, i int, p index.Payload) index.Point {
		return index.Point{ID: pid(w, i), Dense: randVec(rng, dim), Payload: p, Sparse: randSparse(rng, 3, 20)}
	}

	var writing sync.WaitGroup
	for w := range writers {
		writing.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer writing.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			for start := 0; start < perWriter; start += 10 {
				var batch []index.Point
				for i := start; i < start+10; i++ {
					batch = append(batch, point(rng, w, i, index.Payload{"w": w, "i": i}))
				}
				if err := e.s.Upsert(ctx, name, batch); err != nil {
					report("writer %d upsert: %v", w, err)
					return
				}
			}
			// Then, in batches of one kind each: delete, merge, overwrite, replace.
			var del, set []string
			var over []int
			var replace []index.Point
			for i := range perWriter {
				switch i % 5 {
				case 0:
					del = append(del, pid(w, i))
				case 1:
					set = append(set, pid(w, i))
				case 2:
					over = append(over, i)
				case 3:
					replace = append(replace, point(rng, w, i, index.Payload{"w": w, "i": i, "v": 2}))
				}
			}
			steps := []func() error{
				func() error { return e.s.Delete(ctx, name, del) },
				func() error { return e.s.SetPayload(ctx, name, set, index.Payload{"set": true}) },
				func() error {
					for _, i := range over { // one by one: the payloads differ
						if err := e.s.OverwritePayload(ctx, name, []string{pid(w, i)}, index.Payload{"w": w, "i": i, "over": true}); err != nil {
							return err
						}
					}
					return nil
				},
				func() error { return e.s.Upsert(ctx, name, replace) },
			}
			for k, step := range steps {
				if err := step(); err != nil {
					report("writer %d step %d: %v", w, k, err)
					return
				}
			}
		}()
	}
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 12))
			for !done.Load() {
				checkReads(ctx, e.s, name, rng, dim, report)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !done.Load(); i++ {
			other := fmt.Sprintf("%s_churn%d", name, i%3)
			if err := e.s.CreateCollection(ctx, index.CollectionConfig{Name: other, Dim: 2}); err != nil {
				report("churn create: %v", err)
				return
			}
			if err := e.s.Upsert(ctx, other, []index.Point{{ID: id(i), Dense: []float32{1, 1}}}); err != nil {
				report("churn upsert: %v", err)
				return
			}
			if _, err := e.s.Collections(ctx); err != nil {
				report("churn list: %v", err)
				return
			}
			if err := e.s.DeleteCollection(ctx, other); err != nil {
				report("churn delete: %v", err)
				return
			}
		}
	}()
	writing.Wait()
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		e.Error(err)
	}
	if e.Failed() {
		return
	}

	// Final state: every writer's survivors with the payload of their last write.
	n, err := e.s.Count(e.ctx, name, nil)
	e.must(err)
	if want := writers * perWriter * 4 / 5; n != want {
		e.Errorf("count: %d, want %d", n, want)
	}
	page, err := e.s.Scroll(e.ctx, name, index.ScrollRequest{Limit: 10000, With: index.With{Payload: true, Vectors: true}})
	e.must(err)
	got := map[string]index.Payload{}
	for _, r := range page.Points {
		got[r.ID] = r.Payload
		if len(r.Dense) != dim || r.Sparse == nil {
			e.Errorf("point %s lost its vectors: %+v", r.ID, r)
		}
	}
	want := map[string]index.Payload{}
	for w := range writers {
		for i := range perWriter {
			p := index.Payload{"w": int64(w), "i": int64(i)}
			switch i % 5 {
			case 0:
				continue
			case 1:
				p["set"] = true
			case 2:
				p["over"] = true
			case 3:
				p["v"] = int64(2)
			}
			want[pid(w, i)] = p
		}
	}
	e.diff("final payloads", want, got)
	res, err := e.s.Query(e.ctx, name, index.QueryRequest{Dense: randVec(rand.New(rand.NewPCG(1, 1)), dim), Limit: 100,
		Filter: &index.Filter{Must: []index.Condition{index.MatchInteger("w", 3)}}})
	e.must(err)
	if len(res) != perWriter*4/5 {
		e.Errorf("filtered query after the writes: %d results, want %d", len(res), perWriter*4/5)
	}
}

// checkReads runs one round of reads and reports inconsistencies that no
// interleaving of writes can explain.
func checkReads(ctx context.Context, s index.Store, name string, rng *rand.Rand, dim int, report func(string, ...any)) {
	res, err := s.Query(ctx, name, index.QueryRequest{Dense: randVec(rng, dim), Sparse: randSparse(rng, 2, 20), Limit: 20,
		With: index.With{Payload: true}})
	if err != nil {
		report("query: %v", err)
		return
	}
	if len(res) > 20 || !distinct(scoredIDs(res)) {
		report("query returned %d results, ids %v", len(res), scoredIDs(res))
	}
	res, err = s.Query(ctx, name, index.QueryRequest{Dense: randVec(rng, dim), Limit: 30,
		Filter: &index.Filter{Must: []index.Condition{index.MatchInteger("w", int64(rng.IntN(8)))}}})
	if err != nil {
		report("filtered query: %v", err)
		return
	}
	if len(res) > 30 || !distinct(scoredIDs(res)) {
		report("filtered query returned %d results", len(res))
	}
	var prev string
	req := index.ScrollRequest{Limit: 100}
	for {
		page, err := s.Scroll(ctx, name, req)
		if err != nil {
			report("scroll: %v", err)
			return
		}
		for _, r := range page.Points {
			if r.ID <= prev {
				report("scroll out of order: %s after %s", r.ID, prev)
				return
			}
			prev = r.ID
		}
		if page.Next == "" {
			break
		}
		req.Cursor = page.Next
	}
	if _, err := s.Count(ctx, name, &index.Filter{Must: []index.Condition{index.MatchBool("set", true)}}); err != nil {
		report("count: %v", err)
	}
	if _, err := s.Get(ctx, name, ids(rng.IntN(8000), rng.IntN(8000)), index.With{Payload: true, Vectors: true}); err != nil {
		report("get: %v", err)
	}
	if _, err := s.QueryGroups(ctx, name, index.QueryRequest{Dense: randVec(rng, dim)}, index.GroupBy{Key: "w", Size: 2}); err != nil {
		report("groups: %v", err)
	}
}

func distinct(ids []string) bool {
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return false
		}
		seen[id] = true
	}
	return true
}
