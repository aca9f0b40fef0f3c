package vecindex

// SparseLoader builds a Sparse from stored vectors in two passes over
// them. The first counts each term's documents, so that every posting
// list is allocated once at its final size (Add grows them by appending:
// at a million documents, copying and growing dominated the build). The
// second buffers a chunk of postings at a time and appends them term by
// term, so each list's end is written while it is in the cache, instead
// of 30,000 lists' ends in turn, one miss each. Give every document to
// Count, then every document again, in the same order, to Add, then call
// Sparse.
type SparseLoader struct {
	s *Sparse
	// counts maps each term to its document count in the first pass, to
	// its position in lists from the second.
	counts  map[uint32]int32
	lists   []*posting
	docs    int
	started bool
	chunk   int // postings sorted at a time (loadChunk)

	// The chunk of postings waiting, by list position, document, value.
	bufL []uint32
	bufD []uint32
	bufV []float32
	// Sorting scratch.
	starts []int32
	sortD  []uint32
	sortV  []float32
}

// loadChunk is the number of postings SparseLoader sorts by term at a time.
const loadChunk = 1 << 20

// NewSparseLoader returns an empty loader.
func NewSparseLoader() *SparseLoader {
	return &SparseLoader{s: NewSparse(), counts: map[uint32]int32{}, chunk: loadChunk}
}

// Count notes a document's terms (first pass).
func (l *SparseLoader) Count(indices []uint32) {
	for _, t := range indices {
		l.counts[t]++
	}
	l.docs++
}

// start allocates every posting list at its counted size.
func (l *SparseLoader) start() {
	s := l.s
	s.slots = make([]uint32, 0, l.docs)
	s.terms = make(map[uint32]*posting, len(l.counts))
	all := make([]posting, len(l.counts))
	l.lists = make([]*posting, 0, len(l.counts))
	for t, n := range l.counts {
		p := &all[len(l.lists)]
		p.docs, p.vals = make([]uint32, 0, n), make([]float32, 0, n)
		nb := (int(n) + sparseBlock - 1) / sparseBlock
		p.bmax, p.bmin = make([]float32, 0, nb), make([]float32, 0, nb)
		s.terms[t] = p
		l.counts[t] = int32(len(l.lists))
		l.lists = append(l.lists, p)
	}
	l.started = true
}

// Add adds a document (second pass), as Sparse.Add would; indices should be
// strictly ascending (otherwise they are sorted and duplicates summed),
// terms the first pass counted. Slots in ascending order keep the slot
// table from growing piecemeal.
func (l *SparseLoader) Add(slot uint32, indices []uint32, values []float32) {
	if !l.started {
		l.start()
	}
	s := l.s
	if _, ok := s.doc(slot); ok {
		return
	}
	idx, val := canonicalSparse(indices, values)
	if len(idx) == 0 {
		return
	}
	id := s.addDoc(slot)
	for i, t := range idx {
		pos, ok := l.counts[t]
		if !ok { // not counted: appended as Add would
			s.addPosting(t, id, val[i])
			continue
		}
		l.bufL = append(l.bufL, uint32(pos))
		l.bufD = append(l.bufD, id)
		l.bufV = append(l.bufV, val[i])
	}
	if len(l.bufL) >= l.chunk {
		l.flush()
	}
}

// flush appends the buffered postings, sorted by list (a stable counting
// sort, so each list's documents stay in order).
func (l *SparseLoader) flush() {
	n := len(l.bufL)
	if n == 0 {
		return
	}
	if len(l.starts) < len(l.lists)+1 {
		l.starts = make([]int32, len(l.lists)+1)
	}
	starts := l.starts[:len(l.lists)+1]
	clear(starts)
	for _, p := range l.bufL {
		starts[p+1]++
	}
	for i := 1; i < len(starts); i++ {
		starts[i] += starts[i-1]
	}
	if cap(l.sortD) < n {
		l.sortD, l.sortV = make([]uint32, n), make([]float32, n)
	}
	sd, sv := l.sortD[:n], l.sortV[:n]
	next := starts[:len(l.lists)] // consumed as write positions
	for i, p := range l.bufL {
		j := next[p]
		sd[j], sv[j] = l.bufD[i], l.bufV[i]
		next[p]++
	}
	// next[p] is now the end of list p's run, and the start of p+1's.
	from := int32(0)
	for p, end := range next {
		list := l.lists[p]
		for j := from; j < end; j++ {
			list.add(sd[j], sv[j])
		}
		from = end
	}
	l.bufL, l.bufD, l.bufV = l.bufL[:0], l.bufD[:0], l.bufV[:0]
}

// Sparse returns the index built; the loader must not be used again.
func (l *SparseLoader) Sparse() *Sparse {
	if l.started {
		l.flush()
	}
	s := l.s
	*l = SparseLoader{}
	return s
}
