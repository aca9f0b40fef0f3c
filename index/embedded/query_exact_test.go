package embedded

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/jieda/jieda/index"
)

// TestExactQueryScans: a query with Exact gets the exact top k from a
// collection the HNSW graph answers (a graph built too sparse to find it
// every time), with the full vectors in memory or read from the database,
// with and without a filter, alone and as the dense leg of a hybrid query.
func TestExactQueryScans(t *testing.T) {
	for _, cacheMB := range []int{DefaultFloatCacheMB, 0} {
		t.Run(fmt.Sprintf("float cache %d MB", cacheMB), func(t *testing.T) {
			ctx := context.Background()
			cfg := testConfig(t.TempDir())
			cfg.ExactBelow, cfg.HNSWM, cfg.HNSWEfConstruction, cfg.HNSWEfSearch, cfg.NoSync = 0, 2, 4, 1, true
			cfg.FloatCacheMB = cacheMB
			s := open(t, cfg)
			const points, k = 3000, 40
			must(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: indexerDim, Sparse: true}))
			must(t, s.CreatePayloadIndex(ctx, "c", "odd", index.FieldBool))
			var pts []index.Point
			for n := range points {
				pts = append(pts, index.Point{ID: testID(n), Dense: indexerVec(n), Sparse: &index.Sparse{Indices: []uint32{uint32(n % 7)}, Values: []float32{1}},
					Payload: index.Payload{"odd": n%2 == 1}})
			}
			must(t, s.Upsert(ctx, "c", pts))
			must(t, s.WaitIndexed(ctx))

			rng := rand.New(rand.NewPCG(5, 6))
			even := &index.Filter{Must: []index.Condition{index.MatchBool("odd", false)}}
			missed := 0
			for i := range 30 {
				q := indexerVec(points + i)
				for _, f := range []*index.Filter{nil, even} {
					keep := func(n int) bool { return f == nil || n%2 == 0 }
					got, err := s.Query(ctx, "c", index.QueryRequest{Dense: q, Filter: f, Limit: k, Exact: true})
					must(t, err)
					if err := checkTop(q, got, points, k, keep); err != nil {
						t.Fatalf("query %d, filter %v, exact: %v", i, f != nil, err)
					}
					approx, err := s.Query(ctx, "c", index.QueryRequest{Dense: q, Filter: f, Limit: k})
					must(t, err)
					if checkTop(q, approx, points, k, keep) != nil {
						missed++
					}
				}
				// Hybrid: with RRF over one-term lexical legs, the dense leg's
				// exact order decides among the points sharing the term.
				term := uint32(rng.IntN(7))
				hyb, err := s.Query(ctx, "c", index.QueryRequest{Dense: q, Sparse: &index.Sparse{Indices: []uint32{term}, Values: []float32{1}},
					Limit: 5, PrefetchLimit: k, Exact: true})
				must(t, err)
				dense, err := s.Query(ctx, "c", index.QueryRequest{Dense: q, Limit: k, Exact: true})
				must(t, err)
				lexical, err := s.Query(ctx, "c", index.QueryRequest{Sparse: &index.Sparse{Indices: []uint32{term}, Values: []float32{1}}, Limit: k})
				must(t, err)
				want := index.FuseRRF(0, dense, lexical)[:5]
				for j := range want {
					if hyb[j].ID != want[j].ID {
						t.Fatalf("query %d hybrid: hit %d is %s, fusing the exact legs gives %s", i, j, hyb[j].ID, want[j].ID)
					}
				}
			}
			// The test means something only if the graph alone misses.
			if missed == 0 {
				t.Fatal("the graph found the exact top k of every query: make it sparser")
			}
			t.Logf("the graph alone missed the exact top %d in %d of 60 queries", k, missed)
		})
	}
}
