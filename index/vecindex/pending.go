package vecindex

// pendingSet holds the vectors added with AddPending that are not yet
// linked into the graph: a FIFO of (slot, vector) entries, vectors
// contiguous so that an exact scan reads them in order. Entries removed
// out of order leave holes that scans skip; the FIFO is compacted once
// holes outnumber live entries, so each entry is moved O(1) times on
// average. Dense guards it with pmu.
type pendingSet struct {
	dim   int
	slots []uint32  // entry → slot
	live  []bool    // entry → still pending
	vecs  []float32 // entry → vector (dim each)
	head  int       // entries before head are consumed
	pos   map[uint32]int
	holes int // entries in [0, len) not live
}

// pendingCompactMin is the number of holes below which the FIFO is never
// compacted (compacting a few entries often is not worth it).
const pendingCompactMin = 1024

func newPendingSet(dim int) pendingSet {
	return pendingSet{dim: dim, pos: map[uint32]int{}}
}

// len returns the number of pending vectors.
func (p *pendingSet) len() int { return len(p.pos) }

// vec returns entry i's vector (not a copy).
func (p *pendingSet) vec(i int) []float32 {
	return p.vecs[i*p.dim : (i+1)*p.dim : (i+1)*p.dim]
}

// get returns slot's pending vector (not a copy).
func (p *pendingSet) get(slot uint32) ([]float32, bool) {
	i, ok := p.pos[slot]
	if !ok {
		return nil, false
	}
	return p.vec(i), true
}

// put makes vec (copied) slot's pending vector, replacing any it had.
func (p *pendingSet) put(slot uint32, vec []float32) {
	if i, ok := p.pos[slot]; ok {
		copy(p.vec(i), vec)
		return
	}
	p.pos[slot] = len(p.slots)
	p.slots = append(p.slots, slot)
	p.live = append(p.live, true)
	p.vecs = append(p.vecs, vec...)
}

// remove drops slot's pending vector and reports whether it had one.
func (p *pendingSet) remove(slot uint32) bool {
	i, ok := p.pos[slot]
	if !ok {
		return false
	}
	delete(p.pos, slot)
	p.live[i] = false
	p.holes++
	p.maybeCompact()
	return true
}

// pop removes the oldest pending vector; vec stays valid until the next
// change of the set.
func (p *pendingSet) pop() (slot uint32, vec []float32, ok bool) {
	for p.head < len(p.slots) && !p.live[p.head] {
		p.head++
	}
	if p.head == len(p.slots) {
		return 0, nil, false
	}
	i := p.head
	p.head++
	p.live[i] = false
	p.holes++
	slot = p.slots[i]
	delete(p.pos, slot)
	return slot, p.vec(i), true
}

// maybeCompact moves the live entries to the front once holes outnumber
// them, and frees everything when none is left. Call it when no vector
// returned by pop is still in use.
func (p *pendingSet) maybeCompact() {
	switch {
	case len(p.pos) == 0:
		p.slots, p.live, p.vecs = nil, nil, nil
		p.head, p.holes = 0, 0
	case p.holes >= pendingCompactMin && p.holes >= len(p.pos):
		j := 0
		for i := p.head; i < len(p.slots); i++ {
			if !p.live[i] {
				continue
			}
			if i != j {
				p.slots[j] = p.slots[i]
				copy(p.vecs[j*p.dim:(j+1)*p.dim], p.vec(i))
				p.pos[p.slots[j]] = j
			}
			p.live[j] = true
			j++
		}
		p.slots, p.live, p.vecs = p.slots[:j], p.live[:j], p.vecs[:j*p.dim]
		p.head, p.holes = 0, 0
	}
}

// each calls fn for every pending vector (not a copy), oldest first.
func (p *pendingSet) each(fn func(slot uint32, vec []float32)) {
	for i := p.head; i < len(p.slots); i++ {
		if p.live[i] {
			fn(p.slots[i], p.vec(i))
		}
	}
}
