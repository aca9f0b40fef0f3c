package vecindex

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// pruneCase is a randomized sparse collection for the pruning tests.
type pruneCase struct {
	name string
	// docs and their vectors are drawn by add; churn removes and replaces.
	docs   int
	vocab  int
	terms  int // most terms per document
	values func(r *rand.Rand) float32
	// dupEvery makes every dupEvery-th document a copy of an earlier one,
	// so scores tie exactly (0: none).
	dupEvery int
	churn    int
}

func pruneCases() []pruneCase {
	return []pruneCase{
		{name: "zipf positive", docs: 4000, vocab: 3000, terms: 30,
			values: func(r *rand.Rand) float32 { return 0.1 + r.Float32()*3 }},
		{name: "bm25-like few values", docs: 4000, vocab: 500, terms: 40,
			values: func(r *rand.Rand) float32 { return float32(1 + r.IntN(3)) }},
		{name: "ties everywhere", docs: 3000, vocab: 50, terms: 6, dupEvery: 2,
			values: func(r *rand.Rand) float32 { return 1 }},
		{name: "negative and zero values", docs: 3000, vocab: 800, terms: 20, churn: 2000,
			values: func(r *rand.Rand) float32 {
				switch r.IntN(6) {
				case 0:
					return 0
				case 1:
					return -r.Float32() * 2
				}
				return r.Float32() * 2
			}},
		{name: "churned", docs: 5000, vocab: 1500, terms: 25, dupEvery: 7, churn: 6000,
			values: func(r *rand.Rand) float32 { return 0.05 + r.Float32() }},
	}
}

// TestSparsePruningIsExact compares the pruned search with scoring every
// document (and with the brute-force reference) on randomized data: Zipf
// terms, exact ties (duplicated documents, few distinct values), negative
// and zero values and query weights, removed and replaced documents (dead
// postings, compacted lists, renumbered ids), filters from none to nearly
// everything, repeated query terms, and k from 1 to beyond the collection.
// Results must be identical, scores to the bit.
func TestSparsePruningIsExact(t *testing.T) {
	for ci, tc := range pruneCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(ci)+1, 99))
			z := rand.NewZipf(r, 1.1, 2, uint64(tc.vocab-1))
			s := newTS()
			ref := sparseRef{}
			var made [][2]any // earlier documents, for duplicates
			add := func(slot uint32) {
				var terms []uint32
				var vals []float32
				if tc.dupEvery > 0 && len(made) > 0 && r.IntN(tc.dupEvery) == 0 {
					d := made[r.IntN(len(made))]
					terms, vals = d[0].([]uint32), d[1].([]float32)
				} else {
					terms = zipfTerms(z, 1+r.IntN(tc.terms))
					vals = make([]float32, len(terms))
					for i := range vals {
						vals[i] = tc.values(r)
					}
					made = append(made, [2]any{terms, vals})
				}
				s.Add(slot, terms, vals)
				m := map[uint32]float32{}
				for i, t := range terms {
					m[t] = vals[i]
				}
				ref[slot] = m
			}
			for slot := range uint32(tc.docs) {
				add(slot)
			}
			for i := range tc.churn {
				slot := uint32(r.IntN(tc.docs))
				if i%3 == 0 {
					s.Remove(slot)
					delete(ref, slot)
				} else {
					add(slot)
				}
			}
			df := ref.df()
			filters := []struct {
				name  string
				allow func(uint32) bool
			}{
				{"all", nil},
				{"half", func(s uint32) bool { return s%2 == 0 }},
				{"1%", func(s uint32) bool { return s%100 == 7 }},
				{"none", func(uint32) bool { return false }},
				{"all but a few", func(s uint32) bool { return s%500 != 0 }},
			}
			for q := range 30 {
				terms := zipfTerms(z, 1+r.IntN(8))
				if q%5 == 4 {
					terms = append(terms, terms[0]) // a repeated term counts twice
				}
				vals := make([]float32, len(terms))
				for i := range vals {
					vals[i] = 0.2 + r.Float32()
					if q%4 == 3 && i == 0 {
						vals[i] = -vals[i]
					}
				}
				for _, f := range filters {
					for _, k := range []int{1, 3, 10, 108, tc.docs + 1} {
						what := fmt.Sprintf("query %d %v filter %s k=%d", q, terms, f.name, k)
						all := s.search(terms, vals, k, f.allow, pruneNever)
						pruned := s.search(terms, vals, k, f.allow, pruneAlways)
						if diff := cmp.Diff(all, pruned, cmpopts.EquateEmpty()); diff != "" {
							t.Fatalf("%s: pruned differs from exhaustive (-all +pruned):\n%s", what, diff)
						}
						if q%5 != 4 { // the reference takes each term once
							want := ref.search(df, terms, vals, k, f.allow)
							if diff := cmp.Diff(want, pruned, cmpopts.EquateEmpty()); diff != "" {
								t.Fatalf("%s: pruned differs from the reference (-want +got):\n%s", what, diff)
							}
						}
					}
				}
			}
		})
	}
}

// TestSparsePruningTiesAtTheCut puts many documents at exactly the k-th
// score: the pruned search must keep the lowest slots among them, as the
// exhaustive one does, however the tied documents are spread over blocks.
func TestSparsePruningTiesAtTheCut(t *testing.T) {
	s := newTS()
	// Term 1 is everywhere (low IDF), term 2 in every third document, term
	// 3 in a few: documents with terms 2 and 3 tie with each other.
	for slot := range uint32(3000) {
		terms, vals := []uint32{1}, []float32{1}
		if slot%3 == 0 {
			terms, vals = append(terms, 2), append(vals, 1)
		}
		if slot%250 == 0 {
			terms, vals = append(terms, 3), append(vals, 1)
		}
		// Slots descending in document order, so the lowest slots come last.
		s.Add(10_000-slot, terms, vals)
	}
	for _, k := range []int{1, 5, 12, 13, 200, 1001} {
		q, w := []uint32{1, 2, 3}, []float32{1, 1, 1}
		all := s.search(q, w, k, nil, pruneNever)
		pruned := s.search(q, w, k, nil, pruneAlways)
		if diff := cmp.Diff(all, pruned); diff != "" {
			t.Fatalf("k=%d (-all +pruned):\n%s", k, diff)
		}
		if len(pruned) != k {
			t.Fatalf("k=%d: %d hits", k, len(pruned))
		}
	}
}

// TestSparseAutoPrunes checks that Search prunes on long postings when k
// is a small part of the collection, and agrees with the exhaustive search
// there too; and that it scores all when k is a large part.
func TestSparseAutoPrunes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	z := rand.NewZipf(r, 1.1, 2, 999)
	s := newTS()
	for slot := range uint32(50_000) {
		terms := zipfTerms(z, 1+r.IntN(20))
		vals := make([]float32, len(terms))
		for i := range vals {
			vals[i] = 1 + float32(r.IntN(4))/2
		}
		s.Add(slot, terms, vals)
	}
	for q := range 20 {
		terms := zipfTerms(z, 2+r.IntN(6))
		vals := make([]float32, len(terms))
		for i := range vals {
			vals[i] = 1
		}
		sc := new(sparseScratch)
		s.Sparse.mu.RLock()
		postings := s.queryTerms(sc, terms, vals)
		s.Sparse.mu.RUnlock()
		if postings > pruneMinPostings && !s.prunes(postings, 10) {
			t.Errorf("query %d: %d postings, k 10 of %d documents: not pruned", q, postings, s.live)
		}
		all := s.search(terms, vals, 10, nil, pruneNever)
		got := s.Search(terms, vals, 10, nil)
		if diff := cmp.Diff(all, got); diff != "" {
			t.Fatalf("query %d (%d postings) (-all +got):\n%s", q, postings, diff)
		}
	}
}

func TestSparsePrunesBySize(t *testing.T) {
	s := NewSparse()
	for slot := range uint32(20_000) {
		s.Add(slot, []uint32{1, 2}, []float32{1, 1})
	}
	for _, c := range []struct {
		postings, k int
		want        bool
	}{
		{pruneMinPostings, 4, false},
		{pruneMinPostings + 1, 4, true},
		{40_000, 4, true},
		{40_000, 5, false},
		{40_000, 200, false},
	} {
		if got := s.prunes(c.postings, c.k); got != c.want {
			t.Errorf("%d postings, k %d of %d documents: prunes %v, want %v", c.postings, c.k, s.Len(), got, c.want)
		}
	}
}
