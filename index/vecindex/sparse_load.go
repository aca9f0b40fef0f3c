package vecindex

// SparseLoader builds a Sparse from stored vectors in two passes over
// them, so that every posting list is allocated once at its final size
// (Add grows them by appending: at a million documents, copying and
// growing dominated the build). Give every document to Count, then every
// document again, in the same order, to Add, then call Sparse.
type SparseLoader struct {
	s      *Sparse
	counts map[uint32]int32
	docs   int
}

// NewSparseLoader returns an empty loader.
func NewSparseLoader() *SparseLoader {
	return &SparseLoader{s: NewSparse(), counts: map[uint32]int32{}}
}

// Count notes a document's terms (first pass).
func (l *SparseLoader) Count(indices []uint32) {
	for _, t := range indices {
		l.counts[t]++
	}
	l.docs++
}

// Add adds a document (second pass), as Sparse.Add would; indices should be
// strictly ascending (otherwise they are sorted and duplicates summed) and
// the same as counted. Slots in ascending order keep bySlot from growing
// piecemeal.
func (l *SparseLoader) Add(slot uint32, indices []uint32, values []float32) {
	s := l.s
	if l.counts != nil {
		s.slots = make([]uint32, 0, l.docs)
		s.terms = make(map[uint32]*posting, len(l.counts))
		all := make([]posting, len(l.counts))
		for t, n := range l.counts {
			p := &all[len(s.terms)]
			p.docs, p.vals = make([]uint32, 0, n), make([]float32, 0, n)
			nb := (int(n) + sparseBlock - 1) / sparseBlock
			p.bmax, p.bmin = make([]float32, 0, nb), make([]float32, 0, nb)
			s.terms[t] = p
		}
		l.counts = nil
	}
	s.add(slot, indices, values)
}

// Sparse returns the index built; the loader must not be used again.
func (l *SparseLoader) Sparse() *Sparse {
	s := l.s
	l.s = nil
	return s
}
