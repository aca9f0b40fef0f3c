package embedded

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/vecindex"
)

// TestFloatCacheLimit grows a collection past the memory kept for its full
// vectors, shrinks it and reopens it: the copy is dropped when it no longer
// fits, read back at Open when it does, and searches agree with a brute
// force over the same vectors throughout, with it and without it.
func TestFloatCacheLimit(t *testing.T) {
	ctx := context.Background()
	const dim = 256
	fit := (1 << 20) / vecindex.FloatsBytesPerVector(dim) // vectors 1 MiB holds
	cfg := testConfig(t.TempDir())
	cfg.FloatCacheMB = 1
	s := open(t, cfg)
	must(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: dim}))
	upsert := func(from, to int) {
		var ps []index.Point
		for n := from; n < to; n++ {
			ps = append(ps, index.Point{ID: testID(n), Dense: testVector(n, dim)})
		}
		must(t, s.Upsert(ctx, "c", ps))
	}
	kept := func() bool {
		c, done, err := s.reader(ctx, "c")
		must(t, err)
		defer done()
		return c.floats != nil
	}
	live := map[int]bool{}
	check := func(stage string) {
		t.Helper()
		for qn := range 5 {
			q := testVector(100_000+qn, dim)
			got, err := s.Query(ctx, "c", index.QueryRequest{Dense: q, Limit: 10})
			must(t, err)
			want := bruteTop(q, live, dim, 10)
			if len(got) != len(want) {
				t.Fatalf("%s: query %d: %d results, want %d", stage, qn, len(got), len(want))
			}
			for i, p := range got {
				if math.Abs(float64(p.Score-want[i])) > 1e-5 || !live[idNumber(t, p.ID)] {
					t.Fatalf("%s: query %d result %d: %s scores %v, want %v", stage, qn, i, p.ID, p.Score, want[i])
				}
			}
		}
	}
	upsert(0, fit)
	for n := range fit {
		live[n] = true
	}
	if !kept() {
		t.Fatalf("%d vectors of %d dimensions: full vectors not kept under a 1 MiB limit", fit, dim)
	}
	check("kept")
	upsert(fit, fit+100)
	for n := fit; n < fit+100; n++ {
		live[n] = true
	}
	if kept() {
		t.Fatalf("%d vectors of %d dimensions: full vectors still kept over a 1 MiB limit", fit+100, dim)
	}
	check("dropped")
	var gone []string
	for n := 0; n < fit+100; n += 2 {
		gone = append(gone, testID(n))
		delete(live, n)
	}
	must(t, s.Delete(ctx, "c", gone))
	check("shrunk")
	must(t, s.Close())
	s = open(t, cfg)
	if !kept() {
		t.Fatalf("%d vectors after reopening: full vectors not read back", len(live))
	}
	check("reopened")
	got, err := s.Get(ctx, "c", []string{testID(1)}, index.With{Vectors: true})
	must(t, err)
	if len(got) != 1 || !closeTo(got[0].Dense, testVector(1, dim)) {
		t.Fatalf("Get with vectors: %+v", got)
	}
	got[0].Dense[0] = 42 // a copy: the store's vector is unchanged
	again, err := s.Get(ctx, "c", []string{testID(1)}, index.With{Vectors: true})
	must(t, err)
	if again[0].Dense[0] == 42 {
		t.Fatal("Get returned the store's own vector, not a copy")
	}
}

// bruteTop returns the scores of the k live points nearest q, best first.
func bruteTop(q []float32, live map[int]bool, dim, k int) []float32 {
	var all []float32
	for n := range live {
		v := testVector(n, dim)
		var s float32
		for i := range q {
			s += q[i] * v[i]
		}
		all = append(all, s)
	}
	slices.Sort(all)
	slices.Reverse(all)
	return all[:min(k, len(all))]
}

// idNumber inverts testID.
func idNumber(t *testing.T, id string) int {
	var n int
	if _, err := fmt.Sscanf(id, "00000000-0000-4000-8000-%012x", &n); err != nil {
		t.Fatalf("id %q: %v", id, err)
	}
	return n
}
