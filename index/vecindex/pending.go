package vecindex

// pendingSet holds the vectors added with AddPending that are not yet
// linked into the graph: a FIFO of (slot, vector) entries, vectors in
// chunks of pendingChunk, contiguous within a chunk so that an exact scan
// reads them in order. Entries are numbered from 0 as they come (an
// entry's number never changes while it is pending, so pos needs no
// update); the chunks wholly consumed from the front are dropped as the
// FIFO advances, so a steady stream of puts and pops never copies a
// vector. Entries removed out of order leave holes that scans skip; once
// holes outnumber live entries, the live ones are moved into fresh chunks.
// Dense guards it with pmu.
type pendingSet struct {
	dim    int
	off    int         // number of the first entry kept (a multiple of pendingChunk)
	slots  []uint32    // entry - off → slot
	live   []bool      // entry - off → still pending
	chunks [][]float32 // (entry - off) / pendingChunk → vectors
	head   int         // entries before head are consumed
	pos    map[uint32]int
	holes  int // entries in [head, end) not live
}

// pendingChunk is the number of vectors per chunk of a pendingSet.
const pendingChunk = 256

// pendingCompactMin is the number of holes below which the FIFO is never
// compacted (compacting a few entries often is not worth it).
const pendingCompactMin = 1024

func newPendingSet(dim int) pendingSet {
	return pendingSet{dim: dim, pos: map[uint32]int{}}
}

// len returns the number of pending vectors.
func (p *pendingSet) len() int { return len(p.pos) }

// end returns the number the next entry gets.
func (p *pendingSet) end() int { return p.off + len(p.slots) }

// vec returns entry e's vector (not a copy).
func (p *pendingSet) vec(e int) []float32 {
	i := e - p.off
	c := p.chunks[i/pendingChunk]
	j := (i % pendingChunk) * p.dim
	return c[j : j+p.dim : j+p.dim]
}

// get returns slot's pending vector (not a copy).
func (p *pendingSet) get(slot uint32) ([]float32, bool) {
	e, ok := p.pos[slot]
	if !ok {
		return nil, false
	}
	return p.vec(e), true
}

// put makes vec (copied) slot's pending vector, replacing any it had.
func (p *pendingSet) put(slot uint32, vec []float32) {
	if e, ok := p.pos[slot]; ok {
		copy(p.vec(e), vec)
		return
	}
	if len(p.slots)%pendingChunk == 0 {
		p.chunks = append(p.chunks, make([]float32, pendingChunk*p.dim))
	}
	e := p.end()
	p.pos[slot] = e
	p.slots = append(p.slots, slot)
	p.live = append(p.live, true)
	copy(p.vec(e), vec)
}

// remove drops slot's pending vector and reports whether it had one.
func (p *pendingSet) remove(slot uint32) bool {
	e, ok := p.pos[slot]
	if !ok {
		return false
	}
	delete(p.pos, slot)
	p.live[e-p.off] = false
	p.holes++
	p.maybeCompact()
	return true
}

// pop removes the oldest pending vector; vec stays valid until the next
// change of the set.
func (p *pendingSet) pop() (slot uint32, vec []float32, ok bool) {
	for p.head < p.end() && !p.live[p.head-p.off] {
		p.head++
		p.holes--
	}
	if p.head == p.end() {
		return 0, nil, false
	}
	e := p.head
	p.head++
	p.live[e-p.off] = false
	slot = p.slots[e-p.off]
	delete(p.pos, slot)
	return slot, p.vec(e), true
}

// maybeCompact drops the chunks consumed from the front, moves the live
// entries into fresh chunks once holes outnumber them, and frees
// everything when none is left. Call it when no vector returned by pop is
// still in use.
func (p *pendingSet) maybeCompact() {
	switch {
	case len(p.pos) == 0:
		p.slots, p.live, p.chunks = nil, nil, nil
		p.off, p.head, p.holes = 0, 0, 0
	case p.holes >= pendingCompactMin && p.holes >= len(p.pos):
		old := *p
		p.slots, p.live, p.chunks = nil, nil, nil
		p.off, p.head, p.holes = 0, 0, 0
		for e := old.head; e < old.end(); e++ {
			if old.live[e-old.off] {
				slot := old.slots[e-old.off]
				delete(p.pos, slot)
				p.put(slot, old.vec(e))
			}
		}
	default:
		if drop := (p.head - p.off) / pendingChunk; drop > 0 {
			n := drop * pendingChunk
			p.slots, p.live, p.chunks = p.slots[n:], p.live[n:], p.chunks[drop:]
			p.off += n
		}
	}
}

// each calls fn for every pending vector (not a copy), oldest first.
func (p *pendingSet) each(fn func(slot uint32, vec []float32)) {
	for e := p.head; e < p.end(); e++ {
		if p.live[e-p.off] {
			fn(p.slots[e-p.off], p.vec(e))
		}
	}
}
