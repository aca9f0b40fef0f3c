package vecindex

import (
	"slices"
	"sync"
)

// Sparse is an inverted index over sparse vectors, scored like Qdrant's
// sparse vectors with the `idf` modifier:
//
//	score(doc) = Σ_t q_t × d_t × IDF(n_t, N)
//
// with IDF = index.IDF, N the number of documents in the index and n_t the
// number containing term t. Both are live: adding or removing a document
// changes every later score. Only documents sharing at least one term with
// the query score (a shared term with weight 0 still counts).
//
// Each term's postings are kept in internal document id order, in blocks
// of sparseBlock with the largest and smallest value of each block, so a
// search can skip what cannot reach the top k (see Search). Removed
// documents stay in the postings until half of a list is dead; internal
// document ids are renumbered when most are dead. It is safe for
// concurrent use: searches share a read lock, writes take the write lock.
type Sparse struct {
	mu     sync.RWMutex
	docs   []sparseDoc // by internal doc id
	slots  []uint32    // by internal doc id (as docs[id].slot, packed for searches)
	dead   []uint64    // bitset by internal doc id
	bySlot map[uint32]uint32
	terms  map[uint32]*posting
	live   int

	scratch sync.Pool // *sparseScratch
}

type sparseDoc struct {
	slot uint32
	idx  []uint32
	val  []float32
}

// sparseBlock is the number of postings per block: the unit a search
// skips by its largest (and smallest) value.
const sparseBlock = 128

// posting lists the documents containing a term, in internal id order;
// live counts those not removed (n_t). bmax and bmin hold each block's
// largest and smallest value, maxv and minv the whole list's.
type posting struct {
	docs       []uint32
	vals       []float32
	bmax, bmin []float32
	maxv, minv float32
	live       int
}

// add appends a document, which must have a larger id than every other.
func (p *posting) add(id uint32, v float32) {
	if len(p.docs)%sparseBlock == 0 {
		p.bmax, p.bmin = append(p.bmax, v), append(p.bmin, v)
	} else {
		b := len(p.bmax) - 1
		p.bmax[b], p.bmin[b] = max(p.bmax[b], v), min(p.bmin[b], v)
	}
	if len(p.docs) == 0 {
		p.maxv, p.minv = v, v
	} else {
		p.maxv, p.minv = max(p.maxv, v), min(p.minv, v)
	}
	p.docs = append(p.docs, id)
	p.vals = append(p.vals, v)
	p.live++
}

// reblock recomputes the block and list bounds after the postings changed.
func (p *posting) reblock() {
	nb := (len(p.docs) + sparseBlock - 1) / sparseBlock
	p.bmax, p.bmin = slices.Grow(p.bmax[:0], nb)[:nb], slices.Grow(p.bmin[:0], nb)[:nb]
	p.bmax, p.bmin = slices.Clip(p.bmax), slices.Clip(p.bmin)
	for b := range nb {
		vs := p.vals[b*sparseBlock : min((b+1)*sparseBlock, len(p.vals))]
		p.bmax[b], p.bmin[b] = slices.Max(vs), slices.Min(vs)
	}
	if nb > 0 {
		p.maxv, p.minv = slices.Max(p.bmax), slices.Min(p.bmin)
	}
}

// NewSparse returns an empty sparse index.
func NewSparse() *Sparse {
	return &Sparse{bySlot: make(map[uint32]uint32), terms: make(map[uint32]*posting)}
}

// Len returns the number of documents (N).
func (s *Sparse) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.live
}

// Vector returns a copy of slot's sparse vector.
func (s *Sparse) Vector(slot uint32) (indices []uint32, values []float32, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.bySlot[slot]
	if !ok {
		return nil, nil, false
	}
	d := s.docs[id]
	return slices.Clone(d.idx), slices.Clone(d.val), true
}

// Add inserts slot's sparse vector, replacing any it had. indices should be
// strictly ascending; otherwise they are sorted and duplicates summed.
// Extra entries of the longer of indices and values are ignored. An empty
// vector means no lexical vector: Add then removes slot.
func (s *Sparse) Add(slot uint32, indices []uint32, values []float32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(slot, indices, values)
}

// add is Add under the write lock.
func (s *Sparse) add(slot uint32, indices []uint32, values []float32) {
	idx, val := canonicalSparse(indices, values)
	if id, ok := s.bySlot[slot]; ok {
		if slices.Equal(s.docs[id].idx, idx) && slices.Equal(s.docs[id].val, val) {
			return
		}
		s.remove(id)
	}
	if len(idx) == 0 {
		return
	}
	id := uint32(len(s.docs))
	s.docs = append(s.docs, sparseDoc{slot: slot, idx: idx, val: val})
	s.slots = append(s.slots, slot)
	if int(id>>6) == len(s.dead) {
		s.dead = append(s.dead, 0)
	}
	s.bySlot[slot] = id
	s.live++
	for i, t := range idx {
		p := s.terms[t]
		if p == nil {
			p = new(posting)
			s.terms[t] = p
		}
		p.add(id, val[i])
	}
}

// canonicalSparse copies a sparse vector with indices strictly ascending.
func canonicalSparse(indices []uint32, values []float32) ([]uint32, []float32) {
	n := min(len(indices), len(values))
	idx, val := slices.Clone(indices[:n:n]), slices.Clone(values[:n:n])
	sorted := true
	for i := 1; i < n; i++ {
		if idx[i] <= idx[i-1] {
			sorted = false
			break
		}
	}
	if sorted {
		return idx, val
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case idx[a] < idx[b]:
			return -1
		case idx[a] > idx[b]:
			return 1
		}
		return 0
	})
	outI, outV := make([]uint32, 0, n), make([]float32, 0, n)
	for _, o := range order {
		if k := len(outI); k > 0 && outI[k-1] == idx[o] {
			outV[k-1] += val[o]
			continue
		}
		outI, outV = append(outI, idx[o]), append(outV, val[o])
	}
	return outI, outV
}

// Remove deletes slot's vector; an unknown slot is ignored.
func (s *Sparse) Remove(slot uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.bySlot[slot]; ok {
		s.remove(id)
	}
}

func (s *Sparse) isDead(id uint32) bool { return s.dead[id>>6]&(1<<(id&63)) != 0 }

func (s *Sparse) remove(id uint32) {
	d := &s.docs[id]
	delete(s.bySlot, d.slot)
	s.dead[id>>6] |= 1 << (id & 63)
	s.live--
	for _, t := range d.idx {
		p := s.terms[t]
		p.live--
		switch {
		case p.live == 0:
			delete(s.terms, t)
		case p.live*2 < len(p.docs):
			s.compact(p)
		}
	}
	d.idx, d.val = nil, nil
	if len(s.docs) >= 1024 && s.live*2 < len(s.docs) {
		s.renumber()
	}
}

// compact drops removed documents from a posting list.
func (s *Sparse) compact(p *posting) {
	j := 0
	for i, id := range p.docs {
		if !s.isDead(id) {
			p.docs[j], p.vals[j] = id, p.vals[i]
			j++
		}
	}
	p.docs, p.vals = slices.Clip(p.docs[:j]), slices.Clip(p.vals[:j])
	p.reblock()
}

// renumber gives the live documents ids 0..live-1, in their current order,
// so the per-query score arrays stay as small as the index.
func (s *Sparse) renumber() {
	remap := make([]uint32, len(s.docs))
	docs := make([]sparseDoc, 0, s.live)
	slots := make([]uint32, 0, s.live)
	for id, d := range s.docs {
		if !s.isDead(uint32(id)) {
			remap[id] = uint32(len(docs))
			s.bySlot[d.slot] = uint32(len(docs))
			docs = append(docs, d)
			slots = append(slots, d.slot)
		}
	}
	for _, p := range s.terms {
		j := 0
		for i, id := range p.docs {
			if !s.isDead(id) {
				p.docs[j], p.vals[j] = remap[id], p.vals[i]
				j++
			}
		}
		p.docs, p.vals = slices.Clip(p.docs[:j]), slices.Clip(p.vals[:j])
		p.reblock()
	}
	s.docs, s.slots = docs, slots
	s.dead = make([]uint64, (len(docs)+63)/64)
}
