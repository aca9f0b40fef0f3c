package embedded

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jieda/jieda/index"
)

const indexerDim = 16

// indexerVecs caches testVector(n, indexerDim) for the points of these tests.
var indexerVecs = sync.OnceValue(func() [][]float32 {
	out := make([][]float32, 6000)
	for n := range out {
		out[n] = testVector(n, indexerDim)
	}
	return out
})

func indexerVec(n int) []float32 {
	if vs := indexerVecs(); n < len(vs) {
		return vs[n]
	}
	return testVector(n, indexerDim)
}

func indexerPoint(n int) index.Point {
	return index.Point{ID: testID(n), Dense: indexerVec(n), Payload: index.Payload{"n": n, "g": fmt.Sprintf("g%d", n%5)}}
}

// refScore is the cosine similarity of two vectors in float64.
func refScore(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

const scoreTol = 1e-4

// checkTop checks that got is the exact top k of the points 0..m-1 that
// keep (nil: all), up to scores within scoreTol: every hit is such a point
// with its own score, and the scores match the exact ones rank by rank.
func checkTop(q []float32, got []index.ScoredPoint, m, k int, keep func(n int) bool) error {
	scores := map[string]float64{}
	var all []float64
	for n := range m {
		if keep == nil || keep(n) {
			s := refScore(q, indexerVec(n))
			scores[testID(n)] = s
			all = append(all, s)
		}
	}
	slices.SortFunc(all, func(a, b float64) int { return -cmpFloat(a, b) })
	all = all[:min(k, len(all))]
	if len(got) != len(all) {
		return fmt.Errorf("%d hits, want %d", len(got), len(all))
	}
	seen := map[string]bool{}
	for i, h := range got {
		s, ok := scores[h.ID]
		switch {
		case !ok:
			return fmt.Errorf("hit %d: %s is not among the points", i, h.ID)
		case seen[h.ID]:
			return fmt.Errorf("hit %d: %s twice", i, h.ID)
		case math.Abs(float64(h.Score)-s) > scoreTol:
			return fmt.Errorf("hit %d: %s scored %v, its vector %v", i, h.ID, h.Score, s)
		case math.Abs(float64(h.Score)-all[i]) > scoreTol:
			return fmt.Errorf("hit %d: score %v, the exact top %d has %v there", i, h.Score, k, all[i])
		}
		seen[h.ID] = true
	}
	return nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Queries run while batches are upserted and while the indexer links them
// (exact_below 0: the graph is built from the first point). A batch is
// visible all at once, so every result must be the exact answer over the
// first m points for some m between the counts seen before and after the
// query: pending vectors are never missed or returned twice as they move
// into the graph. With a small ef_search the graph answers the plain
// queries (approximate: recall is checked); filtered queries are exact.
func TestQueryWhileIndexing(t *testing.T) {
	for _, tt := range []struct {
		name     string
		n        int
		efSearch int
	}{
		{"exact", 2000, 128}, // ef×20 ≥ the points: the dense index scans graph and pending
		{"graph", 3000, 16},  // graph search merged with the pending scan
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := testConfig(t.TempDir())
			cfg.ExactBelow, cfg.HNSWEfSearch, cfg.NoSync = 0, tt.efSearch, true
			s := open(t, cfg)
			must(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: indexerDim}))
			must(t, s.CreatePayloadIndex(ctx, "c", "g", index.FieldKeyword))
			c := s.cols["c"]
			const batch = 100
			var writing, indexing atomic.Bool
			writing.Store(true)
			indexing.Store(true)
			var wg sync.WaitGroup
			wg.Go(func() {
				defer writing.Store(false)
				for lo := 0; lo < tt.n; lo += batch {
					var pts []index.Point
					for n := lo; n < min(lo+batch, tt.n); n++ {
						pts = append(pts, indexerPoint(n))
					}
					if err := s.Upsert(ctx, "c", pts); err != nil {
						t.Error(err)
						return
					}
				}
			})
			wg.Go(func() {
				for writing.Load() {
					time.Sleep(time.Millisecond)
				}
				if err := s.WaitIndexed(ctx); err != nil {
					t.Error(err)
				}
				indexing.Store(false)
			})
			var queries, whilePending, recallHits, recallWant atomic.Int64
			for r := range 3 {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(r), 5))
					for i := 0; indexing.Load(); i++ {
						q := testVector(1_000_000+rng.IntN(1000), indexerDim)
						req := index.QueryRequest{Dense: q, Limit: 10}
						var keep func(int) bool
						if i%2 == 1 {
							g := rng.IntN(5)
							req.Filter = &index.Filter{Must: []index.Condition{index.MatchKeyword("g", fmt.Sprintf("g%d", g))}}
							keep = func(n int) bool { return n%5 == g }
						}
						pending := c.dense.Pending() > 0
						before, err := s.Count(ctx, "c", nil)
						if err != nil {
							t.Error(err)
							return
						}
						got, err := s.Query(ctx, "c", req)
						if err != nil {
							t.Error(err)
							return
						}
						after, err := s.Count(ctx, "c", nil)
						if err != nil {
							t.Error(err)
							return
						}
						queries.Add(1)
						if pending {
							whilePending.Add(1)
						}
						if keep == nil && tt.efSearch < 128 {
							// Approximate: hits are checked, recall counted.
							if err := checkHits(q, got, after); err != nil {
								t.Errorf("query %d over %d-%d points: %v", i, before, after, err)
								return
							}
							ok, hits := exactIDs(q, before, after, batch, tt.n, got)
							if !ok {
								t.Errorf("query %d over %d-%d points: no prefix explains %v", i, before, after, got)
								return
							}
							recallHits.Add(int64(hits))
							recallWant.Add(int64(len(got)))
							continue
						}
						var errs []error
						for m := before; m <= after; m++ {
							if m%batch != 0 && m != tt.n {
								continue
							}
							err := checkTop(q, got, m, 10, keep)
							if err == nil {
								errs = nil
								break
							}
							errs = append(errs, fmt.Errorf("over %d points: %w", m, err))
						}
						if errs != nil {
							t.Errorf("query %d (filter %v): %v", i, req.Filter != nil, errors.Join(errs...))
							return
						}
					}
				})
			}
			wg.Wait()
			t.Logf("%d queries, %d while vectors were pending", queries.Load(), whilePending.Load())
			if whilePending.Load() == 0 {
				t.Error("no query ran while vectors were pending")
			}
			if w := recallWant.Load(); w > 0 {
				if rec := float64(recallHits.Load()) / float64(w); rec < 0.9 {
					t.Errorf("recall@10 %.3f while indexing", rec)
				}
			}
			if c.dense.Pending() != 0 {
				t.Errorf("%d pending after WaitIndexed", c.dense.Pending())
			}
		})
	}
}

// checkHits checks that hits are distinct points among the first m, each
// scored by its own vector, best first.
func checkHits(q []float32, got []index.ScoredPoint, m int) error {
	seen := map[string]bool{}
	for i, h := range got {
		var n int
		if _, err := fmt.Sscanf(h.ID[len(h.ID)-12:], "%x", &n); err != nil || n >= m || testID(n) != h.ID {
			return fmt.Errorf("hit %d: %s is not among the points", i, h.ID)
		}
		if s := refScore(q, indexerVec(n)); math.Abs(float64(h.Score)-s) > scoreTol {
			return fmt.Errorf("hit %d: %s scored %v, its vector %v", i, h.ID, h.Score, s)
		}
		if seen[h.ID] || i > 0 && h.Score > got[i-1].Score {
			return fmt.Errorf("hits repeated or out of order: %v", got)
		}
		seen[h.ID] = true
	}
	return nil
}

// exactIDs reports how many of got are in the exact top len(got) over the
// first m points, for the best m in before..after (batch multiples).
func exactIDs(q []float32, before, after, batch, n int, got []index.ScoredPoint) (bool, int) {
	best := -1
	for m := before; m <= after; m++ {
		if m%batch != 0 && m != n {
			continue
		}
		type scored struct {
			id string
			s  float64
		}
		var all []scored
		for i := range m {
			all = append(all, scored{testID(i), refScore(q, indexerVec(i))})
		}
		slices.SortFunc(all, func(a, b scored) int { return -cmpFloat(a.s, b.s) })
		if len(got) != min(10, len(all)) {
			continue
		}
		want := map[string]bool{}
		for _, x := range all[:len(got)] {
			want[x.id] = true
		}
		hits := 0
		for _, h := range got {
			if want[h.ID] {
				hits++
			}
		}
		best = max(best, hits)
	}
	return best >= 0, best
}

// Points are replaced (new vectors: new slots, old slots freed and reused)
// and deleted while queries run and the indexer links: a query never
// scores a point by a vector it no longer has, and never returns a point
// twice.
func TestReplaceWhileIndexing(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t.TempDir())
	cfg.ExactBelow, cfg.HNSWEfSearch, cfg.NoSync = 0, 16, true // the graph answers above 320 points
	s := open(t, cfg)
	const dim, points = 16, 800
	must(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: dim}))
	must(t, s.CreatePayloadIndex(ctx, "c", "kind", index.FieldKeyword))
	point := func(n, v int) index.Point {
		return index.Point{ID: testID(n), Dense: testVector(n*1000+v, dim), Payload: index.Payload{"n": n, "v": v, "kind": fmt.Sprintf("k%d", n%3)}}
	}
	var init []index.Point
	for n := range points {
		init = append(init, point(n, 0))
	}
	must(t, s.Upsert(ctx, "c", init))
	deadline := time.Now().Add(1500 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 2 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			for v := 1; time.Now().Before(deadline); v++ {
				var err error
				if rng.IntN(6) == 0 {
					err = s.Delete(ctx, "c", []string{testID(rng.IntN(points))})
				} else {
					var pts []index.Point
					for range 1 + rng.IntN(40) {
						pts = append(pts, point(rng.IntN(points), v*10+w))
					}
					err = s.Upsert(ctx, "c", pts)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var queries atomic.Int64
	for r := range 3 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 4))
			for time.Now().Before(deadline) {
				// Often the exact vector of some version of some point.
				q := testVector(rng.IntN(points)*1000+rng.IntN(30), dim)
				req := index.QueryRequest{Dense: q, Limit: 20, With: index.With{Payload: true, Vectors: true}}
				if rng.IntN(3) == 0 {
					req.Filter = &index.Filter{MustNot: []index.Condition{index.MatchKeyword("kind", "k1")}}
				}
				res, err := s.Query(ctx, "c", req)
				if err != nil {
					errs <- err
					return
				}
				queries.Add(1)
				seen := map[string]bool{}
				for i, h := range res {
					n, v := int(h.Payload["n"].(int64)), int(h.Payload["v"].(int64))
					want := point(n, v)
					switch {
					case h.ID != want.ID || !closeTo(h.Dense, want.Dense):
						errs <- fmt.Errorf("point %s read with payload of version %d and another vector", h.ID, v)
					case math.Abs(float64(h.Score)-refScore(q, want.Dense)) > scoreTol:
						errs <- fmt.Errorf("point %s version %d scored %v, its vector %v", h.ID, v, h.Score, refScore(q, want.Dense))
					case seen[h.ID]:
						errs <- fmt.Errorf("point %s returned twice", h.ID)
					case i > 0 && h.Score > res[i-1].Score:
						errs <- fmt.Errorf("results out of order")
					case req.Filter != nil && h.Payload["kind"] == "k1":
						errs <- fmt.Errorf("point %s does not match the filter", h.ID)
					default:
						seen[h.ID] = true
						continue
					}
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	must(t, s.WaitIndexed(ctx))
	t.Logf("%d queries", queries.Load())
	// Every live point is found by its own vector, the graph now answering.
	page, err := s.Scroll(ctx, "c", index.ScrollRequest{Limit: 10000, With: index.With{Vectors: true}})
	must(t, err)
	missed := 0
	for _, p := range page.Points {
		res, err := s.Query(ctx, "c", index.QueryRequest{Dense: p.Dense, Limit: 1})
		must(t, err)
		if len(res) == 0 || res[0].ID != p.ID {
			missed++
		}
	}
	if missed > len(page.Points)/50 {
		t.Errorf("%d of %d points not found by their own vector", missed, len(page.Points))
	}
}

// Close while the indexer is busy: it stops after its batch, the graph is
// saved with the vectors still pending, and a reopened store has them
// pending again, answers exactly meanwhile, and links them. A store opened
// without its saved graph (as after a crash before the first save) opens
// at once with everything pending.
func TestCloseWhileIndexing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.ExactBelow = 0
	n := 6000
	if raceEnabled {
		n = 2000
	}
	s, err := Open(ctx, cfg, nil)
	must(t, err)
	must(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: indexerDim}))
	must(t, s.CreatePayloadIndex(ctx, "c", "g", index.FieldKeyword))
	for lo := 0; lo < n; lo += 1000 {
		var pts []index.Point
		for i := lo; i < lo+1000; i++ {
			pts = append(pts, indexerPoint(i))
		}
		must(t, s.Upsert(ctx, "c", pts))
	}
	pending := s.cols["c"].dense.Pending()
	uid := s.cols["c"].uid
	must(t, s.Close())
	t.Logf("closed with %d of %d pending", pending, n)
	if pending == 0 {
		t.Log("the indexer finished before Close: nothing left to check there")
	}

	verify := func(s *Store, what string) {
		t.Helper()
		if got, err := s.Count(ctx, "c", nil); err != nil || got != n {
			t.Fatalf("%s: Count %d, %v", what, got, err)
		}
		for i := range 20 {
			q := testVector(2_000_000+i, indexerDim)
			g := i % 5
			got, err := s.Query(ctx, "c", index.QueryRequest{Dense: q, Limit: 10,
				Filter: &index.Filter{Must: []index.Condition{index.MatchKeyword("g", fmt.Sprintf("g%d", g))}}})
			must(t, err)
			if err := checkTop(q, got, n, 10, func(m int) bool { return m%5 == g }); err != nil {
				t.Fatalf("%s: filtered query: %v", what, err)
			}
		}
		for _, id := range []int{0, n / 2, n - 1} {
			p := indexerPoint(id)
			got, err := s.Query(ctx, "c", index.QueryRequest{Dense: p.Dense, Limit: 1})
			must(t, err)
			if len(got) != 1 || got[0].ID != p.ID {
				t.Fatalf("%s: point %d not found by its own vector: %v", what, id, got)
			}
		}
	}

	s, err = Open(ctx, cfg, nil)
	must(t, err)
	c := s.cols["c"]
	if !c.graphLoaded {
		t.Fatal("the graph saved at Close was not loaded")
	}
	t.Logf("reopened with %d pending", c.dense.Pending())
	verify(s, "reopened")
	must(t, s.WaitIndexed(ctx))
	if c.dense.Pending() != 0 || c.dense.Len() != n {
		t.Fatalf("after WaitIndexed: %d pending of %d", c.dense.Pending(), c.dense.Len())
	}
	verify(s, "indexed")
	must(t, s.Close())
	if err := s.WaitIndexed(ctx); !errors.Is(err, index.ErrClosed) {
		t.Errorf("WaitIndexed after Close: %v", err)
	}

	s = open(t, cfg)
	if c := s.cols["c"]; !c.graphLoaded || c.dense.Pending() != 0 {
		t.Fatalf("after a clean close: graph loaded %t, %d pending", c.graphLoaded, c.dense.Pending())
	}
	verify(s, "clean reopen")
	must(t, s.Close())

	// Without the saved graph.
	crashed := t.TempDir()
	copyFile(t, filepath.Join(dir, DBFile), filepath.Join(crashed, DBFile))
	if _, err := os.Stat(filepath.Join(dir, uid+graphExt)); err != nil {
		t.Fatalf("no saved graph: %v", err)
	}
	ccfg := cfg
	ccfg.Path = crashed
	start := time.Now()
	s = open(t, ccfg)
	t.Logf("opened without a graph in %v, %d pending", time.Since(start), s.cols["c"].dense.Pending())
	if s.cols["c"].graphLoaded {
		t.Fatal("a graph was loaded")
	}
	verify(s, "without graph")
	must(t, s.WaitIndexed(ctx))
	verify(s, "rebuilt")
}

// Upsert waits while a collection has MaxPending vectors pending; a
// cancelled wait writes nothing.
func TestUpsertBackpressure(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t.TempDir())
	cfg.ExactBelow, cfg.MaxPending, cfg.NoSync = 0, 200, true
	s := open(t, cfg)
	const dim = 64
	must(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: dim}))
	c := s.cols["c"]
	for b := range 20 {
		var pts []index.Point
		for i := range 100 {
			pts = append(pts, index.Point{ID: testID(b*100 + i), Dense: testVector(b*100+i, dim)})
		}
		must(t, s.Upsert(ctx, "c", pts))
		if got := c.dense.Pending(); got > 199+100 {
			t.Fatalf("batch %d: %d pending, at most 299 allowed", b, got)
		}
	}
	// A big batch, then an upsert that cannot wait long enough.
	var big []index.Point
	for i := range 3000 {
		big = append(big, index.Point{ID: testID(10_000 + i), Dense: testVector(10_000+i, dim)})
	}
	must(t, s.Upsert(ctx, "c", big))
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	late := index.Point{ID: testID(99_999), Dense: testVector(99_999, dim)}
	if err := s.Upsert(short, "c", []index.Point{late}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Upsert behind 3,000 pending with 1 ms to wait: %v", err)
	}
	if got, err := s.Get(ctx, "c", []string{late.ID}, index.With{}); err != nil || len(got) != 0 {
		t.Fatalf("the timed-out upsert was written: %v, %v", got, err)
	}
	cancelled, cancel2 := context.WithCancel(ctx)
	cancel2()
	if err := s.WaitIndexed(cancelled); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitIndexed with a cancelled context: %v", err)
	}
	must(t, s.WaitIndexed(ctx))
	must(t, s.Upsert(ctx, "c", []index.Point{late}))
}
