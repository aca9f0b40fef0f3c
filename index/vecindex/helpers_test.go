package vecindex

import (
	"math"
	"math/rand/v2"
)

// clustered generates n unit vectors drawn around `clusters` Gaussian
// centers: center + noise with ‖noise‖ ≈ noise × ‖center‖, then normalized.
// Queries drawn the same way (another stream) behave like real questions
// near real documents.
type clustered struct {
	dim     int
	noise   float64
	centers [][]float32
	r       *rand.Rand
}

func newClustered(seed uint64, dim, clusters int, noise float64) *clustered {
	c := &clustered{dim: dim, noise: noise, r: rand.New(rand.NewPCG(seed, 7))}
	for range clusters {
		v := make([]float32, dim)
		for i := range v {
			v[i] = float32(c.r.NormFloat64())
		}
		normalize(v)
		c.centers = append(c.centers, v)
	}
	return c
}

func (c *clustered) next() []float32 {
	ctr := c.centers[c.r.IntN(len(c.centers))]
	v := make([]float32, c.dim)
	s := c.noise / math.Sqrt(float64(c.dim))
	for i := range v {
		v[i] = ctr[i] + float32(c.r.NormFloat64()*s)
	}
	normalize(v)
	return v
}

func (c *clustered) take(n int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		out[i] = c.next()
	}
	return out
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

// recall is |got ∩ want| / |want| by slot.
func recall(want, got []Hit) float64 {
	if len(want) == 0 {
		return 1
	}
	in := make(map[uint32]bool, len(want))
	for _, h := range want {
		in[h.Slot] = true
	}
	hit := 0
	for _, h := range got {
		if in[h.Slot] {
			hit++
		}
	}
	return float64(hit) / float64(len(want))
}
