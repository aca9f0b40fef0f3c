package vecindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jieda/jieda/index"
)

var approx = cmpopts.EquateApprox(0, 1e-6)

func TestSparseHandComputedIDF(t *testing.T) {
	// Docs: A={1:1, 2:0.5}, B={2:1, 3:2}, C={3:1}; N=3, n1=1, n2=2, n3=2.
	// IDF(2,3) = ln(1 + 1.5/2.5) = ln 1.6 = 0.4700036
	// IDF(1,3) = ln(1 + 2.5/1.5) = ln(8/3) = 0.9808293
	const idf23, idf13 = 0.4700036, 0.9808293
	s := newTS()
	s.Add(10, []uint32{1, 2}, []float32{1, 0.5}) // A
	s.Add(20, []uint32{2, 3}, []float32{1, 2})   // B
	s.Add(30, []uint32{3}, []float32{1})         // C
	tests := []struct {
		name string
		idx  []uint32
		val  []float32
		k    int
		want []Hit
	}{
		{"two shared terms", []uint32{2, 3}, []float32{1, 1}, 10,
			[]Hit{{20, 3 * idf23}, {30, idf23}, {10, 0.5 * idf23}}},
		{"rare term", []uint32{1}, []float32{2}, 10, []Hit{{10, 2 * idf13}}},
		{"k cuts", []uint32{2, 3}, []float32{1, 1}, 1, []Hit{{20, 3 * idf23}}},
		{"unknown term", []uint32{99}, []float32{1}, 10, nil},
		{"zero weight still shares", []uint32{1}, []float32{0}, 10, []Hit{{10, 0}}},
		{"negative weight", []uint32{3}, []float32{-1}, 10, []Hit{{30, -idf23}, {20, -2 * idf23}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Search(tt.idx, tt.val, tt.k, nil)
			if diff := cmp.Diff(tt.want, got, approx, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if got := float32(index.IDF(2, 3)); math.Abs(float64(got-idf23)) > 1e-6 {
		t.Fatalf("index.IDF(2, 3) = %v, hand value %v", got, idf23)
	}
}

func TestSparseIDFIsLive(t *testing.T) {
	s := newTS()
	s.Add(1, []uint32{5, 6}, []float32{1, 1})
	s.Add(2, []uint32{6}, []float32{1})
	q := func() []Hit { return s.Search([]uint32{5, 6}, []float32{1, 1}, 10, nil) }
	idf := func(n, N int) float32 { return float32(index.IDF(n, N)) }

	// N=2: n5=1, n6=2.
	want := []Hit{{1, idf(1, 2) + idf(2, 2)}, {2, idf(2, 2)}}
	if diff := cmp.Diff(want, q(), approx); diff != "" {
		t.Fatalf("N=2 (-want +got):\n%s", diff)
	}
	// A third doc without terms 5 or 6 still raises N, so both IDFs.
	s.Add(3, []uint32{7}, []float32{1})
	want = []Hit{{1, idf(1, 3) + idf(2, 3)}, {2, idf(2, 3)}}
	if diff := cmp.Diff(want, q(), approx); diff != "" {
		t.Fatalf("N=3 (-want +got):\n%s", diff)
	}
	// Removing doc 2 lowers n6 and N.
	s.Remove(2)
	want = []Hit{{1, idf(1, 2) + idf(1, 2)}}
	if diff := cmp.Diff(want, q(), approx); diff != "" {
		t.Fatalf("after removal (-want +got):\n%s", diff)
	}
	// Replacing doc 3 with one that has term 6 raises n6 again.
	s.Add(3, []uint32{6}, []float32{2})
	want = []Hit{{1, idf(1, 2) + idf(2, 2)}, {3, 2 * idf(2, 2)}}
	if diff := cmp.Diff(want, q(), approx); diff != "" {
		t.Fatalf("after replace (-want +got):\n%s", diff)
	}
	// An empty vector means none: Add removes.
	s.Add(3, nil, nil)
	if s.Len() != 1 {
		t.Fatalf("Len() = %d, want 1", s.Len())
	}
}

// sparseRef is the brute-force reference: every doc scored term by term in
// query order, with the same float32 arithmetic as Search.
type sparseRef map[uint32]map[uint32]float32

func (r sparseRef) df() map[uint32]int {
	df := map[uint32]int{}
	for _, d := range r {
		for t := range d {
			df[t]++
		}
	}
	return df
}

func (r sparseRef) search(df map[uint32]int, idx []uint32, val []float32, k int, allow func(uint32) bool) []Hit {
	var all []Hit
	for slot, d := range r {
		if allow != nil && !allow(slot) {
			continue
		}
		var score float32
		shared := false
		for i, t := range idx {
			if v, ok := d[t]; ok {
				shared = true
				score += val[i] * float32(index.IDF(df[t], len(r))) * v
			}
		}
		if shared {
			all = append(all, Hit{slot, score})
		}
	}
	sortByBetter(all)
	return all[:min(k, len(all))]
}

// zipfTerms draws n distinct terms from a Zipf-like distribution.
func zipfTerms(z *rand.Zipf, n int) []uint32 {
	seen := map[uint32]bool{}
	for len(seen) < n {
		seen[uint32(z.Uint64())] = true
	}
	out := make([]uint32, 0, n)
	for t := range seen {
		out = append(out, t)
	}
	return out
}

func TestSparseMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.1, 2, 2000)
	s := newTS()
	ref := sparseRef{}
	add := func(slot uint32) {
		terms := zipfTerms(z, 1+r.IntN(20))
		vals := make([]float32, len(terms))
		m := map[uint32]float32{}
		for i, t := range terms {
			vals[i] = r.Float32() * 3
			m[t] = vals[i]
		}
		s.Add(slot, terms, vals) // unsorted on purpose: Add sorts
		ref[slot] = m
	}
	for slot := range uint32(3000) {
		add(slot)
	}
	// Churn: removals and replacements enough to compact and renumber.
	for i := range 4000 {
		slot := uint32(r.IntN(3000))
		if i%2 == 0 {
			s.Remove(slot)
			delete(ref, slot)
		} else {
			add(slot)
		}
	}
	if s.Len() != len(ref) {
		t.Fatalf("Len() = %d, want %d", s.Len(), len(ref))
	}
	filters := map[string]func(uint32) bool{
		"all": nil,
		"1%":  func(s uint32) bool { return s%100 == 3 },
		"50%": func(s uint32) bool { return s%2 == 1 },
	}
	df := ref.df()
	for i := range 40 {
		terms := zipfTerms(z, 1+r.IntN(8))
		vals := make([]float32, len(terms))
		for j := range vals {
			vals[j] = r.Float32()
		}
		for name, allow := range filters {
			for _, k := range []int{1, 10, 5000} {
				want := ref.search(df, terms, vals, k, allow)
				got := s.Search(terms, vals, k, allow)
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("query %d %s k=%d (-want +got):\n%s", i, name, k, diff)
				}
			}
		}
	}
	for slot, m := range ref {
		idx, val, ok := s.Vector(slot)
		got := map[uint32]float32{}
		for i := range idx {
			got[idx[i]] = val[i]
		}
		if diff := cmp.Diff(m, got); !ok || diff != "" {
			t.Fatalf("Vector(%d) ok=%v (-want +got):\n%s", slot, ok, diff)
		}
	}
}

func TestSparseCanonicalInput(t *testing.T) {
	tests := []struct {
		idx     []uint32
		val     []float32
		wantIdx []uint32
		wantVal []float32
	}{
		{[]uint32{3, 1, 2}, []float32{3, 1, 2}, []uint32{1, 2, 3}, []float32{1, 2, 3}},
		{[]uint32{2, 2, 1}, []float32{1, 4, 1}, []uint32{1, 2}, []float32{1, 5}},
		{[]uint32{1, 2, 3}, []float32{1, 2}, []uint32{1, 2}, []float32{1, 2}},
		{[]uint32{1}, []float32{1, 2}, []uint32{1}, []float32{1}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.idx, tt.val), func(t *testing.T) {
			s := newTS()
			s.Add(1, tt.idx, tt.val)
			idx, val, ok := s.Vector(1)
			if !ok {
				t.Fatal("not stored")
			}
			if diff := cmp.Diff(tt.wantIdx, idx); diff != "" {
				t.Errorf("indices (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantVal, val); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSparseBadInput(t *testing.T) {
	s := newTS()
	if got := s.Search([]uint32{1}, []float32{1}, 10, nil); got != nil {
		t.Errorf("empty index: %v", got)
	}
	s.Add(1, []uint32{1}, []float32{1})
	s.Add(2, []uint32{}, []float32{}) // empty: nothing stored
	s.Remove(42)
	if s.Len() != 1 {
		t.Fatalf("Len() = %d, want 1", s.Len())
	}
	if _, _, ok := s.Vector(2); ok {
		t.Error("empty vector stored")
	}
	for name, got := range map[string][]Hit{
		"nil query":  s.Search(nil, nil, 10, nil),
		"k=0":        s.Search([]uint32{1}, []float32{1}, 0, nil),
		"no values":  s.Search([]uint32{1}, nil, 10, nil),
		"none match": s.Search([]uint32{7}, []float32{1}, 10, nil),
	} {
		if len(got) != 0 {
			t.Errorf("%s: %v, want none", name, got)
		}
	}
	nan := float32(math.NaN())
	_ = s.Search([]uint32{1}, []float32{nan}, 10, nil)
	// The scratch score array must be clean after any query.
	if diff := cmp.Diff([]Hit{{1, float32(index.IDF(1, 1))}}, s.Search([]uint32{1}, []float32{1}, 10, nil), approx); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
