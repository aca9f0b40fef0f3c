package index

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkFuseRRF fuses two legs of 101 points, a third of them in
// both, as a hybrid top 10 with 100 per leg does.
func BenchmarkFuseRRF(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	id := func(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", n) }
	leg := func(from int) []ScoredPoint {
		l := make([]ScoredPoint, 101)
		for i, n := range r.Perm(150)[:len(l)] {
			l[i] = ScoredPoint{Record: Record{ID: id(from + n)}, Score: 1 - float32(i)/200}
		}
		return l
	}
	d, s := leg(0), leg(100)
	for b.Loop() {
		FuseRRF(0, d, s)
	}
}
