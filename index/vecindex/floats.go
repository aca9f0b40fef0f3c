package vecindex

import "iter"

// Floats keeps full-precision vectors by slot in one slab, for a
// collection small enough to hold them in memory beside the quantized
// index: exact scores then cost a dot product instead of a read from the
// caller's storage, and a small collection is searched by scanning them.
//
// It is not safe for concurrent use: the caller orders every Set and
// Delete of a slot before or after the reads that may see that slot
// (the embedded engine changes it only while it holds its readers out).
//
// Where dotF16 has a kernel it also keeps each vector in half precision
// with a bound on the error that makes in a dot product (halfBound):
// SearchShared's scans read those, half the memory, and rescore from the
// full vectors only what can still make the top k.
type Floats struct {
	dim    int
	vecs   []float32 // slot s at [s*dim, (s+1)*dim)
	halves []uint16  // the same in half precision (when halfScans)
	bounds []float32 // by slot: halfBound of each vector (when halfScans)
	has    []uint64  // bitset by slot
	n      int

	scans scanQueue // SearchShared's callers
}

// NewFloats returns an empty set of vectors of dimension dim.
func NewFloats(dim int) *Floats { return &Floats{dim: max(dim, 0)} }

// Set stores a copy of vec for slot; a vector whose length is not the
// dimension is ignored.
func (f *Floats) Set(slot uint32, vec []float32) {
	if len(vec) != f.dim || f.dim == 0 {
		return
	}
	f.vecs = extend(f.vecs, (int(slot)+1)*f.dim)
	copy(f.vecs[int(slot)*f.dim:], vec)
	if halfScans {
		f.setHalf(slot, vec)
	}
	if w := int(slot>>6) + 1; w > len(f.has) {
		f.has = append(f.has, make([]uint64, w-len(f.has))...)
	}
	if f.has[slot>>6]&(1<<(slot&63)) == 0 {
		f.has[slot>>6] |= 1 << (slot & 63)
		f.n++
	}
}

// setHalf stores slot's half copy and its bound.
func (f *Floats) setHalf(slot uint32, vec []float32) {
	f.halves = extend(f.halves, (int(slot)+1)*f.dim)
	h := f.halves[int(slot)*f.dim : (int(slot)+1)*f.dim]
	for i, x := range vec {
		h[i] = toHalf(x)
	}
	if int(slot) >= len(f.bounds) {
		f.bounds = append(f.bounds, make([]float32, int(slot)+1-len(f.bounds))...)
	}
	f.bounds[slot] = halfBound(vec, h)
}

// extend returns s with at least n elements, doubling its capacity when
// it grows.
func extend[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n > cap(s) {
		grown := make([]T, n, max(n, 2*cap(s)))
		copy(grown, s)
		return grown
	}
	return s[:n]
}

// Delete forgets slot's vector.
func (f *Floats) Delete(slot uint32) {
	if int(slot>>6) < len(f.has) && f.has[slot>>6]&(1<<(slot&63)) != 0 {
		f.has[slot>>6] &^= 1 << (slot & 63)
		f.n--
	}
}

// Get returns slot's vector. It aliases the slab: callers read it, never
// change it, and do not keep it past the next Set.
func (f *Floats) Get(slot uint32) ([]float32, bool) {
	if int(slot>>6) >= len(f.has) || f.has[slot>>6]&(1<<(slot&63)) == 0 {
		return nil, false
	}
	i := int(slot) * f.dim
	return f.vecs[i : i+f.dim : i+f.dim], true
}

// Len returns the number of vectors held.
func (f *Floats) Len() int { return f.n }

// Bytes returns the memory the slabs take.
func (f *Floats) Bytes() int { return 4*cap(f.vecs) + 2*cap(f.halves) + 4*cap(f.bounds) }

// FloatsBytesPerVector is what a vector of dimension dim takes in Floats.
func FloatsBytesPerVector(dim int) int {
	if halfScans {
		return 6*dim + 4
	}
	return 4 * dim
}

// Exact returns the vectors as an Exact source: the vector it returns
// aliases the slab (dst is not used).
func (f *Floats) Exact() Exact {
	return func(slot uint32, _ []float32) ([]float32, bool) { return f.Get(slot) }
}

// Search returns the k best of slots by dot product with q, best first,
// ties by slot ascending: the exact scan. Slots without a vector are
// skipped. A query of the wrong dimension returns nil.
func (f *Floats) Search(q []float32, k int, slots iter.Seq[uint32]) []Hit {
	if len(q) != f.dim || k <= 0 || f.dim == 0 {
		return nil
	}
	var top topK
	top.reset(k)
	for slot := range slots {
		v, ok := f.Get(slot)
		if !ok {
			continue
		}
		h := Hit{Slot: slot, Score: dot(q, v)}
		if !top.full() || better(h, top.worst()) {
			top.push(h)
		}
	}
	return top.sorted()
}
