//go:build hnsweval

// This file measures github.com/coder/hnsw against this package's own HNSW
// on the same clustered data (go test -tags hnsweval -run CoderEval -v).
// It is how the choice in doc.go was made; it is not part of the build.

package vecindex

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/coder/hnsw"
)

func coderDistance(a, b []float32) float32 { return 1 - dot(a, b) }

func TestCoderEval(t *testing.T) {
	const n, dim, nq, k = 10_000, 512, 200, 10
	gen := newClustered(1, dim, 1000, 1)
	vecs := gen.take(n)
	qs := gen.take(nq)

	ours := newTD(dim, DenseOptions{ExactBelow: -1, Seed: 1})
	t0 := time.Now()
	for i, v := range vecs {
		ours.Add(uint32(i), v)
	}
	t.Logf("ours: serial build %v", time.Since(t0))
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)

	for _, ef := range []int{20, 128} {
		g := hnsw.NewGraph[uint32]()
		g.M, g.EfSearch, g.Distance = 16, ef, coderDistance
		g.Ml = 1 / ln(16)
		t0 = time.Now()
		for i, v := range vecs {
			g.Add(hnsw.MakeNode(uint32(i), v))
		}
		t.Logf("coder/hnsw ef=%d: build %v", ef, time.Since(t0))
		runtime.GC()
		runtime.ReadMemStats(&ms1)
		t.Logf("coder/hnsw heap growth: %d bytes/point (vectors are shared with the caller, not copied)", int(ms1.HeapAlloc-ms0.HeapAlloc)/n)
		var rc, ro float64
		var lc, lo []time.Duration
		for _, q := range qs {
			want := ours.SearchExact(q, k, nil)
			t1 := time.Now()
			res := g.Search(q, k)
			lc = append(lc, time.Since(t1))
			got := make([]Hit, len(res))
			for i, r := range res {
				got[i] = Hit{Slot: r.Key}
			}
			rc += recall(want, got)
			ours.opts.EfSearch = ef
			t1 = time.Now()
			o := ours.Search(q, k, nil)
			lo = append(lo, time.Since(t1))
			ro += recall(want, o)
		}
		slices.Sort(lc)
		slices.Sort(lo)
		t.Logf("ef=%d coder/hnsw: recall@10 %.3f p50 %v | ours: recall@10 %.3f p50 %v",
			ef, rc/nq, lc[nq/2], ro/nq, lo[nq/2])
		// Deletes: remove a tenth, then search.
		t0 = time.Now()
		for i := 0; i < n; i += 10 {
			g.Delete(uint32(i))
		}
		t.Logf("coder/hnsw: %d deletes %v", n/10, time.Since(t0))
	}
}

// TestCoderEvalDefaults runs coder/hnsw with its own defaults (cosine
// distance, Ml 0.25) on smaller, easier data, to rule out misuse.
func TestCoderEvalDefaults(t *testing.T) {
	const n, dim, nq, k = 5_000, 128, 100, 10
	for _, noise := range []float64{1, 0.3} {
		gen := newClustered(1, dim, 100, noise)
		vecs := gen.take(n)
		qs := gen.take(nq)
		ref := newTD(dim, DenseOptions{})
		g := hnsw.NewGraph[uint32]() // defaults: M 16, Ml 0.25, CosineDistance, EfSearch 20
		g.EfSearch = 128
		for i, v := range vecs {
			ref.Add(uint32(i), v)
			g.Add(hnsw.MakeNode(uint32(i), v))
		}
		var rc float64
		for _, q := range qs {
			res := g.Search(q, k)
			got := make([]Hit, len(res))
			for i, r := range res {
				got[i] = Hit{Slot: r.Key}
			}
			rc += recall(ref.SearchExact(q, k, nil), got)
		}
		t.Logf("noise %.1f: coder/hnsw defaults (EfSearch 128): recall@10 %.3f", noise, rc/nq)
	}
}
