package vecindex

import (
	"math"
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
// search can skip what cannot reach the top k (see Search). The index
// keeps no other copy of a vector: the caller keeps them (the embedded
// engine in its database) and gives a vector's terms back to Remove it.
// Removed documents stay in the postings until half of a list is dead;
// internal document ids are renumbered when most are dead. It is safe for
// concurrent use: searches share a read lock, writes take the write lock.
type Sparse struct {
	mu     sync.RWMutex
	slots  []uint32 // internal doc id → slot
	dead   []uint64 // bitset by internal doc id
	bySlot []uint32 // slot → internal doc id, noDoc when none
	terms  map[uint32]*posting
	live   int

	scratch sync.Pool // *sparseScratch
}

// noDoc marks a slot without a document in Sparse.bySlot.
const noDoc = math.MaxUint32

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
	return &Sparse{terms: make(map[uint32]*posting)}
}

// Len returns the number of documents (N).
func (s *Sparse) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.live
}

// Has reports whether slot has a vector.
func (s *Sparse) Has(slot uint32) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.doc(slot)
	return ok
}

// doc returns slot's internal doc id; the caller holds mu.
func (s *Sparse) doc(slot uint32) (uint32, bool) {
	if int(slot) >= len(s.bySlot) || s.bySlot[slot] == noDoc {
		return 0, false
	}
	return s.bySlot[slot], true
}

// Add inserts slot's sparse vector. indices should be strictly ascending;
// otherwise they are sorted and duplicates summed. Extra entries of the
// longer of indices and values are ignored, and an empty vector adds
// nothing. A slot that has a vector keeps it: Remove it first. Slots
// should be dense, as the engine's are: the index keeps a table as long
// as the largest slot.
func (s *Sparse) Add(slot uint32, indices []uint32, values []float32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(slot, indices, values)
}

// add is Add under the write lock.
func (s *Sparse) add(slot uint32, indices []uint32, values []float32) {
	if _, ok := s.doc(slot); ok {
		return
	}
	idx, val := canonicalSparse(indices, values)
	if len(idx) == 0 {
		return
	}
	id := s.addDoc(slot)
	for i, t := range idx {
		s.addPosting(t, id, val[i])
	}
}

// addDoc gives slot a new internal doc id.
func (s *Sparse) addDoc(slot uint32) uint32 {
	id := uint32(len(s.slots))
	s.slots = append(s.slots, slot)
	if int(id>>6) == len(s.dead) {
		s.dead = append(s.dead, 0)
	}
	if int(slot) >= len(s.bySlot) {
		grown := make([]uint32, max(int(slot)+1, len(s.bySlot)*5/4))
		copy(grown, s.bySlot)
		for i := len(s.bySlot); i < len(grown); i++ {
			grown[i] = noDoc
		}
		s.bySlot = grown
	}
	s.bySlot[slot] = id
	s.live++
	return id
}

// addPosting appends document id (the newest) to term t's list.
func (s *Sparse) addPosting(t, id uint32, v float32) {
	p := s.terms[t]
	if p == nil {
		p = new(posting)
		s.terms[t] = p
	}
	p.add(id, v)
}

// canonicalSparse returns a sparse vector with indices strictly ascending:
// the input itself when it is, else a sorted copy with duplicates summed.
func canonicalSparse(indices []uint32, values []float32) ([]uint32, []float32) {
	n := min(len(indices), len(values))
	idx, val := indices[:n:n], values[:n:n]
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
	idx, val = slices.Clone(idx), slices.Clone(val)
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

// Remove deletes slot's vector, whose terms are indices (as given to Add:
// the index keeps no copy to look them up). An unknown slot is ignored.
func (s *Sparse) Remove(slot uint32, indices []uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.doc(slot)
	if !ok {
		return
	}
	s.bySlot[slot] = noDoc
	s.dead[id>>6] |= 1 << (id & 63)
	s.live--
	idx := slices.Clone(indices)
	slices.Sort(idx)
	for _, t := range slices.Compact(idx) {
		p := s.terms[t]
		if p == nil {
			continue // not a term of this document: the caller's mistake
		}
		p.live--
		switch {
		case p.live <= 0:
			delete(s.terms, t)
		case p.live*2 < len(p.docs):
			s.compact(p)
		}
	}
	if len(s.slots) >= 1024 && s.live*2 < len(s.slots) {
		s.renumber()
	}
}

func (s *Sparse) isDead(id uint32) bool { return s.dead[id>>6]&(1<<(id&63)) != 0 }

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
	remap := make([]uint32, len(s.slots))
	slots := make([]uint32, 0, s.live)
	for id, slot := range s.slots {
		if !s.isDead(uint32(id)) {
			remap[id] = uint32(len(slots))
			s.bySlot[slot] = uint32(len(slots))
			slots = append(slots, slot)
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
	s.slots = slots
	s.dead = make([]uint64, (len(slots)+63)/64)
}
