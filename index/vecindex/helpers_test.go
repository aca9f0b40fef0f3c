package vecindex

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
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

// tdense is a Dense with the full vectors beside it, as the engine keeps
// them in its database: its Search and SearchExact rescore with them, and
// Vector returns them for the slots the index has. Vectors are stored
// before they enter the index and dropped after they leave it.
type tdense struct {
	*Dense
	mu   sync.RWMutex
	vecs map[uint32][]float32
}

func newTD(dim int, opts DenseOptions) *tdense {
	return &tdense{Dense: NewDense(dim, opts), vecs: map[uint32][]float32{}}
}

// wrapTD pairs a loaded index with the vectors of the one it was saved from.
func wrapTD(d *Dense, from *tdense) *tdense {
	t := &tdense{Dense: d, vecs: map[uint32][]float32{}}
	from.mu.RLock()
	defer from.mu.RUnlock()
	for s, v := range from.vecs {
		t.vecs[s] = v
	}
	return t
}

func (t *tdense) store(slots []uint32, vecs [][]float32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range min(len(slots), len(vecs)) {
		if len(vecs[i]) == t.dim && t.dim > 0 {
			t.vecs[slots[i]] = slices.Clone(vecs[i])
		}
	}
}

func (t *tdense) Add(slot uint32, vec []float32) {
	t.store([]uint32{slot}, [][]float32{vec})
	t.Dense.Add(slot, vec)
}

func (t *tdense) AddBatch(slots []uint32, vecs [][]float32) {
	t.store(slots, vecs)
	t.Dense.AddBatch(slots, vecs)
}

func (t *tdense) AddPending(slots []uint32, vecs [][]float32) {
	t.store(slots, vecs)
	t.Dense.AddPending(slots, vecs)
}

func (t *tdense) Remove(slot uint32) {
	t.Dense.Remove(slot)
	t.mu.Lock()
	delete(t.vecs, slot)
	t.mu.Unlock()
}

func (t *tdense) exact(slot uint32, dst []float32) ([]float32, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	v, ok := t.vecs[slot]
	return append(dst[:0], v...), ok
}

func (t *tdense) Search(q []float32, k int, allow func(uint32) bool) []Hit {
	return t.Dense.Search(q, k, allow, t.exact)
}

func (t *tdense) SearchExact(q []float32, k int, allow func(uint32) bool) []Hit {
	return t.Dense.SearchExact(q, k, allow, t.exact)
}

// Vector returns a copy of slot's full vector, if the index has the slot.
func (t *tdense) Vector(slot uint32) ([]float32, bool) {
	if !t.Has(slot) {
		return nil, false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	v, ok := t.vecs[slot]
	return slices.Clone(v), ok
}

// tsparse is a Sparse with its vectors beside it, as the engine keeps them
// in its database: Add replaces (removing the old vector first), Remove
// gives the index the terms, Vector returns a stored vector.
type tsparse struct {
	*Sparse
	mu   sync.Mutex
	vecs map[uint32][2][]float32 // slot → canonical indices (as float32 bits), values
	idx  map[uint32][]uint32
}

func newTS() *tsparse {
	return &tsparse{Sparse: NewSparse(), idx: map[uint32][]uint32{}, vecs: map[uint32][2][]float32{}}
}

func (t *tsparse) Add(slot uint32, indices []uint32, values []float32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.idx[slot]; ok {
		t.Sparse.Remove(slot, old)
		delete(t.idx, slot)
		delete(t.vecs, slot)
	}
	idx, val := canonicalSparse(indices, values)
	if len(idx) == 0 {
		return
	}
	t.Sparse.Add(slot, idx, val)
	t.idx[slot] = idx
	t.vecs[slot] = [2][]float32{nil, val}
}

func (t *tsparse) Remove(slot uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.idx[slot]; ok {
		t.Sparse.Remove(slot, old)
		delete(t.idx, slot)
		delete(t.vecs, slot)
	}
}

// Vector returns slot's vector if the index has the slot.
func (t *tsparse) Vector(slot uint32) ([]uint32, []float32, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.Has(slot) {
		return nil, nil, false
	}
	return slices.Clone(t.idx[slot]), slices.Clone(t.vecs[slot][1]), true
}
