package vecindex

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// Searches run alongside adds, replacements and removals; -race checks the
// locking, and every result must be well formed.
func TestDenseConcurrent(t *testing.T) {
	const dim = 16
	n := 2000
	if raceEnabled {
		n = 600
	}
	d, _, gen := buildClustered(t, n, dim, DenseOptions{ExactBelow: n / 2, M: 8, EfConstruction: 32, Seed: 1})
	checkDense(t, d.Dense)
	qs := gen.take(64)
	extra := gen.take(n)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range n {
				slot := uint32(r.IntN(2 * n))
				switch i % 3 {
				case 0:
					d.Remove(slot)
				default:
					d.Add(slot, extra[i])
				}
			}
		})
	}
	for w := range 4 {
		wg.Go(func() {
			for i := range 300 {
				q := qs[(i+w)%len(qs)]
				var allow func(uint32) bool
				if i%2 == 1 {
					allow = func(s uint32) bool { return s%4 == 0 }
				}
				hits := d.Search(q, 10, allow)
				for j, h := range hits {
					if allow != nil && !allow(h.Slot) {
						t.Errorf("slot %d not allowed", h.Slot)
					}
					if j > 0 && better(h, hits[j-1]) {
						t.Errorf("hits out of order: %v", hits)
					}
				}
				d.Vector(uint32(i))
				d.Len()
			}
		})
	}
	wg.Wait()
}

func TestSparseConcurrent(t *testing.T) {
	s := newTS()
	r := rand.New(rand.NewPCG(1, 1))
	z := rand.NewZipf(r, 1.1, 2, 500)
	docs := make([][]uint32, 3000)
	for i := range docs {
		docs[i] = zipfTerms(z, 1+r.IntN(10))
	}
	ones := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	for i := range 1000 {
		s.Add(uint32(i), docs[i], ones(len(docs[i])))
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 2000 {
			if i%3 == 0 {
				s.Remove(uint32(i % 1500))
			} else {
				s.Add(uint32(i%1500), docs[i], ones(len(docs[i])))
			}
		}
	})
	for w := range 4 {
		wg.Go(func() {
			for i := range 300 {
				q := docs[(i*7+w)%len(docs)]
				hits := s.Search(q, ones(len(q)), 10, func(slot uint32) bool { return slot%2 == 0 })
				for j, h := range hits {
					if h.Slot%2 != 0 || j > 0 && better(h, hits[j-1]) {
						t.Errorf("bad hits %v", hits)
					}
				}
				s.Vector(uint32(i))
			}
		})
	}
	wg.Wait()
}
