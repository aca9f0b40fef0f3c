package vecindex

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestSparseLoader builds the same documents with the loader and with Add:
// the two indexes answer every query identically, hold the same vectors,
// and the loaded one keeps working (adds, removals, compaction).
func TestSparseLoader(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	z := rand.NewZipf(r, 1.1, 2, 999)
	type doc struct {
		slot uint32
		idx  []uint32
		val  []float32
	}
	var docs []doc
	for slot := range uint32(5000) {
		if r.IntN(10) == 0 {
			continue // gaps in the slots
		}
		terms := zipfTerms(z, 1+r.IntN(30))
		vals := make([]float32, len(terms))
		for i := range vals {
			vals[i] = r.Float32() * 2
		}
		docs = append(docs, doc{slot, terms, vals}) // unsorted terms: both sort
	}
	added := newTS()
	l := NewSparseLoader()
	l.chunk = 1000 // many flushes, lists split across them
	for _, d := range docs {
		added.Add(d.slot, d.idx, d.val)
		l.Count(d.idx)
	}
	for _, d := range docs {
		l.Add(d.slot, d.idx, d.val)
	}
	loaded := &tsparse{Sparse: l.Sparse(), idx: map[uint32][]uint32{}, vecs: map[uint32][2][]float32{}}
	for _, d := range docs {
		idx, val := canonicalSparse(d.idx, d.val)
		loaded.idx[d.slot], loaded.vecs[d.slot] = idx, [2][]float32{nil, val}
	}
	check := func(stage string) {
		t.Helper()
		if added.Len() != loaded.Len() {
			t.Fatalf("%s: Len %d, want %d", stage, loaded.Len(), added.Len())
		}
		for q := range 30 {
			terms := zipfTerms(z, 1+r.IntN(6))
			vals := []float32{1, 0.5, 2, 1, 1, 1}[:len(terms)]
			for _, k := range []int{1, 10, 200} {
				for _, mode := range []int{pruneNever, pruneAlways} {
					want := added.search(terms, vals, k, nil, mode)
					got := loaded.search(terms, vals, k, nil, mode)
					if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
						t.Fatalf("%s: query %d k=%d (-added +loaded):\n%s", stage, q, k, d)
					}
				}
			}
		}
		for _, d := range docs {
			wi, wv, wok := added.Vector(d.slot)
			gi, gv, gok := loaded.Vector(d.slot)
			if wok != gok || !cmp.Equal(wi, gi) || !cmp.Equal(wv, gv) {
				t.Fatalf("%s: Vector(%d) differs", stage, d.slot)
			}
		}
	}
	check("loaded")
	for i, d := range docs {
		switch i % 3 {
		case 0:
			added.Remove(d.slot)
			loaded.Remove(d.slot)
		case 1:
			added.Add(d.slot+10_000, d.idx, d.val)
			loaded.Add(d.slot+10_000, d.idx, d.val)
		}
	}
	check("after writes")
}
