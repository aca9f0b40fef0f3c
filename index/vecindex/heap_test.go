package vecindex

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// sortByBetter is the reference order: better through a comparison, with
// none of hitKey's packing.
func sortByBetter(h []Hit) {
	slices.SortFunc(h, func(a, b Hit) int {
		switch {
		case better(a, b):
			return -1
		case better(b, a):
			return 1
		}
		return 0
	})
}

// randomHits draws n hits with distinct slots whose scores tie often and
// include zeros of both signs, negatives and infinities.
func randomHits(r *rand.Rand, n int) []Hit {
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.SmallestNonzeroFloat32}
	slots := r.Perm(4 * n)
	h := make([]Hit, n)
	for i := range h {
		var s float32
		switch r.IntN(4) {
		case 0:
			s = specials[r.IntN(len(specials))]
		case 1:
			s = float32(r.IntN(5)) / 4 // ties
		default:
			s = float32(r.NormFloat64())
		}
		h[i] = Hit{Slot: uint32(slots[i]), Score: s}
	}
	return h
}

func TestHitKeyOrdersAsBetter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		hits := randomHits(r, 50)
		for _, a := range hits {
			ka := hitKey(a)
			if back := keyHit(ka); back.Slot != a.Slot || back.Score != a.Score {
				t.Fatalf("keyHit(hitKey(%v)) = %v", a, back)
			}
			for _, b := range hits {
				if got, want := ka < hitKey(b), better(a, b); got != want {
					t.Fatalf("hitKey(%v) < hitKey(%v) = %v, better = %v", a, b, got, want)
				}
			}
		}
	}
	nan := Hit{Slot: 0, Score: float32(math.NaN())}
	if k := hitKey(nan); k <= hitKey(Hit{Slot: 1, Score: float32(math.Inf(-1))}) || !math.IsNaN(float64(keyHit(k).Score)) {
		t.Errorf("a NaN score orders before -Inf or does not come back NaN")
	}
}

func TestSortHitsMatchesBetter(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 17, 300} {
		hits := randomHits(r, n)
		got, want := slices.Clone(hits), slices.Clone(hits)
		sortHits(got)
		sortByBetter(want)
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: sortHits = %v, want %v", n, got, want)
		}
	}
}

func TestKeyTopKeepsTheBest(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, k := range []int{0, 1, 2, 7, 200} {
		for _, n := range []int{0, 1, k, max(0, 2*k-1), 2 * k, 2*k + 1, 10 * k, 1000} {
			hits := randomHits(r, n)
			var top keyTop
			top.reset(k)
			for _, h := range hits {
				key := hitKey(h)
				if h.Score < top.floor() && top.admits(key) {
					t.Fatalf("k=%d: %v scores below the floor %v but is admitted", k, h, top.floor())
				}
				if top.admits(key) {
					top.push(key)
				}
			}
			want := slices.Clone(hits)
			sortByBetter(want)
			want = want[:min(k, n)]
			if got := top.sorted(); !slices.Equal(got, want) {
				t.Fatalf("k=%d n=%d: kept %v, want %v", k, n, got, want)
			}
		}
	}
}

func TestSelectSmallest(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 500 {
		n := 1 + r.IntN(300)
		keys := make([]uint64, n)
		for i := range keys {
			keys[i] = uint64(r.IntN(1 + r.IntN(2*n))) // duplicates often
		}
		k := 1 + r.IntN(n)
		sorted := slices.Clone(keys)
		slices.Sort(sorted)
		selectSmallest(keys, k)
		if keys[k-1] != sorted[k-1] {
			t.Fatalf("n=%d k=%d: keys[k-1] = %d, want %d", n, k, keys[k-1], sorted[k-1])
		}
		head := slices.Clone(keys[:k])
		slices.Sort(head)
		if !slices.Equal(head, sorted[:k]) {
			t.Fatalf("n=%d k=%d: the first k are not the k smallest", n, k)
		}
	}
}
