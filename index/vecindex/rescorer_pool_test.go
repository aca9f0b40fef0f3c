package vecindex

import (
	"slices"
	"sync"
	"testing"
)

// TestPooledRescorers: searches on rescorers reused from the pool return
// what searches on fresh ones do (nothing of a search stays behind), on
// the graph and on the exact scan, with and without a filter.
func TestPooledRescorers(t *testing.T) {
	gen := newClustered(1, 64, 100, 1)
	vecs := gen.take(5000)
	qs := gen.take(100)
	d := newTD(64, DenseOptions{Seed: 1})
	slots := make([]uint32, len(vecs))
	for i := range slots {
		slots[i] = uint32(i)
	}
	d.AddBatch(slots, vecs)
	even := func(s uint32) bool { return s%2 == 0 }
	searches := func(q []float32, fresh bool) [][]Hit {
		var out [][]Hit
		for _, k := range []int{5, 100} {
			for _, allow := range []func(uint32) bool{nil, even} {
				for _, search := range []func([]float32, int, func(uint32) bool) []Hit{d.Search, d.SearchExact} {
					if fresh {
						rescorers = sync.Pool{New: func() any { return new(rescorer) }}
					}
					out = append(out, search(q, k, allow))
				}
			}
		}
		return out
	}
	for i, q := range qs {
		pooled, fresh := searches(q, false), searches(q, true)
		for j := range pooled {
			if !slices.Equal(pooled[j], fresh[j]) {
				t.Fatalf("query %d, search %d: pooled %v, fresh %v", i, j, pooled[j], fresh[j])
			}
		}
	}
}
