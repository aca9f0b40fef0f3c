package vecindex

import (
	"math/rand/v2"
	"slices"
	"sync"
)

// DenseOptions tunes the dense index. Zero fields take their defaults.
type DenseOptions struct {
	// ExactBelow: searches scan exactly while Len() < ExactBelow and use the
	// HNSW graph at or above (default 20,000; negative means 0). The graph
	// is kept up to date from the first point either way, so crossing the
	// threshold costs nothing.
	ExactBelow int
	// M is the number of HNSW neighbors per node on the upper layers; the
	// bottom layer keeps up to 2×M (default 16, at most 128).
	M int
	// EfConstruction is the candidate list size while inserting (default
	// 200, at least M).
	EfConstruction int
	// EfSearch is the candidate list size while searching (default 128);
	// a search for k results uses max(EfSearch, k).
	EfSearch int
	// Seed seeds the level generator, for reproducible graphs.
	Seed int64
}

// Option defaults.
const (
	DefaultExactBelow     = 20_000
	DefaultM              = 16
	DefaultEfConstruction = 200
	DefaultEfSearch       = 128
	maxM                  = 128
)

// DefaultDenseOptions returns the defaults.
func DefaultDenseOptions() DenseOptions {
	return DenseOptions{
		ExactBelow:     DefaultExactBelow,
		M:              DefaultM,
		EfConstruction: DefaultEfConstruction,
		EfSearch:       DefaultEfSearch,
	}
}

func (o DenseOptions) withDefaults() DenseOptions {
	switch {
	case o.ExactBelow == 0:
		o.ExactBelow = DefaultExactBelow
	case o.ExactBelow < 0:
		o.ExactBelow = 0
	}
	if o.M <= 1 {
		o.M = DefaultM
	}
	o.M = min(o.M, maxM)
	if o.EfConstruction <= 0 {
		o.EfConstruction = DefaultEfConstruction
	}
	o.EfConstruction = max(o.EfConstruction, o.M)
	if o.EfSearch <= 0 {
		o.EfSearch = DefaultEfSearch
	}
	return o
}

// Vectors live in chunks of a power-of-two number of vectors, at least
// chunkBytes each, so that growing the index never copies (or transiently
// doubles) the whole store, and chunks are large enough for huge pages.
const chunkBytes = 8 << 20

// chunkShift returns log2 of the vectors per chunk for dimension dim.
func chunkShift(dim int) uint {
	s := uint(4)
	for (1<<s)*max(dim, 1)*4 < chunkBytes {
		s++
	}
	return s
}

// Dense is a cosine index over L2-normalized float32 vectors (callers
// normalize); the score is the dot product. It is safe for concurrent use:
// searches share a read lock, writes take the write lock.
//
// Each vector is a node with an internal id; slots map to nodes. A removed
// node becomes a tombstone that searches walk through but never return;
// its graph neighbors are relinked at once, and tombstones are swept and
// their ids reused once they are a tenth of the nodes.
//
// Vectors added with AddPending wait in a pending set, outside the graph,
// until IndexPending links them; searches scan them exactly meanwhile. A
// slot is in the graph or pending, never both.
//
// Locking: mu guards the graph and the node store, pmu the pending set.
// bySlot, slots and vecs are written only with both held for writing and
// may be read with either held. Lock order: mu before pmu. So AddPending,
// Vector and Len, which take only pmu, never wait for an IndexPending or
// an AddBatch in progress.
type Dense struct {
	mu   sync.RWMutex
	pmu  sync.RWMutex
	dim  int
	opts DenseOptions

	shift uint   // log2 of vectors per chunk
	mask  uint32 // vectors per chunk - 1

	vecs   [][]float32       // chunked vector store, by node id
	slots  []uint32          // node id → slot
	dead   []uint64          // bitset by node id: tombstone or free
	bySlot map[uint32]uint32 // live slot → node id
	free   []uint32          // dead node ids no link points to, reusable
	tombs  []uint32          // dead node ids still linked from the graph

	g   *graph
	pcg *rand.PCG // level generator state (saved with the graph)
	rng *rand.Rand

	pending pendingSet // guarded by pmu

	scratch sync.Pool // *scratch
}

// NewDense returns an empty index for vectors of dimension dim.
func NewDense(dim int, opts DenseOptions) *Dense {
	opts = opts.withDefaults()
	seed := uint64(opts.Seed)
	pcg := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	shift := chunkShift(dim)
	return &Dense{
		shift:   shift,
		mask:    1<<shift - 1,
		dim:     max(dim, 0),
		opts:    opts,
		bySlot:  make(map[uint32]uint32),
		g:       newGraph(opts, 0),
		pending: newPendingSet(max(dim, 0)),
		pcg:     pcg,
		rng:     rand.New(pcg),
	}
}

// Dim returns the vector dimension.
func (d *Dense) Dim() int { return d.dim }

// Options returns the options in effect, defaults filled in.
func (d *Dense) Options() DenseOptions { return d.opts }

// Len returns the number of live vectors, pending ones included.
func (d *Dense) Len() int {
	d.pmu.RLock()
	defer d.pmu.RUnlock()
	return len(d.bySlot) + d.pending.len()
}

// Pending returns the number of vectors added with AddPending that
// IndexPending has not linked into the graph yet.
func (d *Dense) Pending() int {
	d.pmu.RLock()
	defer d.pmu.RUnlock()
	return d.pending.len()
}

// Vector returns a copy of the vector stored for slot.
func (d *Dense) Vector(slot uint32) ([]float32, bool) {
	d.pmu.RLock()
	defer d.pmu.RUnlock()
	if v, ok := d.pending.get(slot); ok {
		return slices.Clone(v), true
	}
	n, ok := d.bySlot[slot]
	if !ok {
		return nil, false
	}
	return slices.Clone(d.vec(n)), true
}

// Add inserts vec for slot, replacing any vector the slot had. vec is
// copied. A vector whose length is not Dim() is ignored (the engine
// validates dimensions before it gets here).
func (d *Dense) Add(slot uint32, vec []float32) {
	if len(vec) != d.dim || d.dim == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pmu.Lock()
	d.pending.remove(slot)
	old, had := d.bySlot[slot]
	if had && slices.Equal(d.vec(old), vec) {
		d.pmu.Unlock()
		return
	}
	delete(d.bySlot, slot)
	d.pmu.Unlock()
	if had {
		d.removeNode(old)
	}
	d.pmu.Lock()
	n := d.newNode(slot, vec)
	d.pmu.Unlock()
	s := d.getScratch()
	d.insert(n, s)
	d.putScratch(s)
}

// AddBatch adds many vectors at once, as Add would one by one, but inserts
// them into the graph on all CPUs (GOMAXPROCS): use it to build an index
// from stored vectors.
// slots and vecs pair up by position; vectors of the wrong dimension are
// skipped, and a slot given twice keeps its last vector.
func (d *Dense) AddBatch(slots []uint32, vecs [][]float32) {
	last := d.lastValid(slots, vecs)
	if len(last) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pmu.Lock()
	var olds []uint32
	add := make([]int, 0, len(last))
	for i, slot := range slots[:min(len(slots), len(vecs))] {
		if j, ok := last[slot]; !ok || j != i {
			continue
		}
		d.pending.remove(slot)
		if old, ok := d.bySlot[slot]; ok {
			if slices.Equal(d.vec(old), vecs[i]) {
				continue
			}
			delete(d.bySlot, slot)
			olds = append(olds, old)
		}
		add = append(add, i)
	}
	d.pmu.Unlock()
	for _, old := range olds {
		d.removeNode(old)
	}
	d.pmu.Lock()
	added := make([]uint32, 0, len(add))
	for _, i := range add {
		added = append(added, d.newNode(slots[i], vecs[i]))
	}
	d.pmu.Unlock()
	d.insertParallel(added)
}

// lastValid maps each slot given with a vector of the right dimension to
// the position of its last such vector.
func (d *Dense) lastValid(slots []uint32, vecs [][]float32) map[uint32]int {
	n := min(len(slots), len(vecs))
	last := make(map[uint32]int, n)
	for i := range n {
		if len(vecs[i]) == d.dim && d.dim > 0 {
			last[slots[i]] = i
		}
	}
	return last
}

// AddPending adds vectors as AddBatch does, but leaves them pending: they
// are stored (copied) and found by every search at once, by an exact scan,
// and linked into the graph later by IndexPending. Adding is cheap and
// does not wait for an IndexPending in progress, unless it replaces a
// vector already in the graph.
func (d *Dense) AddPending(slots []uint32, vecs [][]float32) {
	last := d.lastValid(slots, vecs)
	if len(last) == 0 {
		return
	}
	var inGraph []int
	d.pmu.Lock()
	for i, slot := range slots[:min(len(slots), len(vecs))] {
		if j, ok := last[slot]; !ok || j != i {
			continue
		}
		if _, ok := d.bySlot[slot]; ok {
			inGraph = append(inGraph, i)
			continue
		}
		d.pending.put(slot, vecs[i])
	}
	d.pmu.Unlock()
	if len(inGraph) == 0 {
		return
	}
	// Replacing graph vectors: the old nodes leave the graph first.
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pmu.Lock()
	var olds []uint32
	for _, i := range inGraph {
		slot := slots[i]
		if old, ok := d.bySlot[slot]; ok {
			if slices.Equal(d.vec(old), vecs[i]) {
				continue
			}
			delete(d.bySlot, slot)
			olds = append(olds, old)
		}
		d.pending.put(slot, vecs[i])
	}
	d.pmu.Unlock()
	for _, old := range olds {
		d.removeNode(old)
	}
}

// IndexPending links up to max pending vectors, oldest first, into the
// graph on all CPUs and returns how many it linked. It holds the write
// lock meanwhile, so searches wait for it: keep max to what takes a few
// milliseconds.
func (d *Dense) IndexPending(max int) int {
	if max <= 0 {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pmu.Lock()
	nodes := make([]uint32, 0, min(max, d.pending.len()))
	for len(nodes) < max {
		slot, vec, ok := d.pending.pop()
		if !ok {
			break
		}
		nodes = append(nodes, d.newNode(slot, vec))
	}
	d.pending.maybeCompact()
	d.pmu.Unlock()
	d.insertParallel(nodes)
	return len(nodes)
}

// Remove deletes slot's vector; an unknown slot is ignored. A pending
// vector is dropped at once; one in the graph waits for an IndexPending
// in progress.
func (d *Dense) Remove(slot uint32) {
	d.pmu.Lock()
	_, inGraph := d.bySlot[slot]
	d.pending.remove(slot)
	d.pmu.Unlock()
	if !inGraph {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pmu.Lock()
	n, ok := d.bySlot[slot]
	delete(d.bySlot, slot)
	d.pmu.Unlock()
	if ok {
		d.removeNode(n)
	}
}

// vec returns node n's stored vector (not a copy).
func (d *Dense) vec(n uint32) []float32 {
	c := d.vecs[n>>d.shift]
	off := int(n&d.mask) * d.dim
	return c[off : off+d.dim : off+d.dim]
}

// growChunk makes room for one more vector in a chunk of up to per
// vectors: capacity doubles from 16 vectors up to exactly per, so no chunk
// is over-allocated.
func growChunk(c []float32, dim, per int) []float32 {
	if len(c)+dim <= cap(c) {
		return c
	}
	nc := make([]float32, len(c), min(max(2*cap(c), 16*dim), per*dim))
	adviseHuge(nc, false)
	copy(nc, c)
	return nc
}

func (d *Dense) isDead(n uint32) bool { return d.dead[n>>6]&(1<<(n&63)) != 0 }

func (d *Dense) setDead(n uint32, on bool) {
	if on {
		d.dead[n>>6] |= 1 << (n & 63)
	} else {
		d.dead[n>>6] &^= 1 << (n & 63)
	}
}

// newNode stores vec for slot in a free node id, or a new one, and gives it
// a level. The node is live but not yet linked into the graph. The caller
// holds mu and pmu for writing, and slot has no node.
func (d *Dense) newNode(slot uint32, vec []float32) uint32 {
	var n uint32
	if len(d.free) > 0 {
		n = d.free[len(d.free)-1]
		d.free = d.free[:len(d.free)-1]
		copy(d.vec(n), vec)
		d.slots[n] = slot
		d.setDead(n, false)
	} else {
		n = uint32(len(d.slots))
		ci := int(n >> d.shift)
		per := int(d.mask) + 1
		if ci == len(d.vecs) {
			var c []float32
			if ci > 0 { // the index is big: take the whole chunk at once
				c = make([]float32, 0, per*d.dim)
				adviseHuge(c, false)
			}
			d.vecs = append(d.vecs, c)
		}
		d.vecs[ci] = append(growChunk(d.vecs[ci], d.dim, per), vec...)
		if len(d.vecs[ci]) == per*d.dim {
			adviseHuge(d.vecs[ci], true)
		}
		d.slots = append(d.slots, slot)
		if int(n>>6) == len(d.dead) {
			d.dead = append(d.dead, 0)
		}
		d.g.grow(len(d.slots))
	}
	d.bySlot[slot] = n
	d.g.setLevel(n, d.randomLevel())
	return n
}

// removeNode kills node n, already unmapped from bySlot: it becomes a
// tombstone, its neighbors are relinked around it, and tombstones are
// swept once they are a tenth of the nodes. The caller holds mu for
// writing.
func (d *Dense) removeNode(n uint32) {
	d.setDead(n, true)
	d.tombs = append(d.tombs, n)
	s := d.getScratch()
	defer d.putScratch(s)
	d.unlink(n, s)
	if len(d.tombs) >= 16 && len(d.tombs)*10 >= len(d.slots) {
		d.sweep(s)
	}
}

func (d *Dense) randomLevel() int {
	// -ln(U) × mL, mL = 1/ln(M), as in the HNSW paper.
	u := 1 - d.rng.Float64() // (0, 1]
	l := int(-ln(u) * d.g.ml)
	return min(l, maxLevel)
}

func (d *Dense) getScratch() *scratch {
	s, _ := d.scratch.Get().(*scratch)
	if s == nil {
		s = new(scratch)
	}
	return s
}

func (d *Dense) putScratch(s *scratch) { d.scratch.Put(s) }

// Search returns the k best live slots allowed by allow (nil allows all),
// best first, ties by slot ascending. It returns min(k, allowed slots)
// hits: filters that allow few slots are scanned exactly, and a graph
// search that comes up short falls back to the exact scan. Pending
// vectors are always scanned exactly and merged in. A query of the wrong
// dimension returns nil. allow runs under the index's read locks: it must
// not call the index.
func (d *Dense) Search(q []float32, k int, allow func(slot uint32) bool) []Hit {
	if len(q) != d.dim || k <= 0 || d.dim == 0 {
		return nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	d.pmu.RLock()
	defer d.pmu.RUnlock()
	graphed := len(d.bySlot)
	live := graphed + d.pending.len()
	if live == 0 {
		return nil
	}
	ef := max(d.opts.EfSearch, k)
	// A graph search touches about 28×ef vectors at random; an exact scan
	// touches all of them in order, several times cheaper each.
	if live < d.opts.ExactBelow || ef*20 >= graphed {
		return d.exact(q, k, allow)
	}
	if allow != nil {
		frac := d.allowedFraction(allow)
		if frac < filterExactFraction || frac*float64(graphed) < float64(d.opts.ExactBelow) {
			return d.exact(q, k, allow)
		}
	}
	hits := d.graphSearch(q, k, ef, allow)
	if len(hits) < k && len(hits) < graphed {
		// Fewer allowed slots than k, or a part of the graph the search
		// could not reach: the exact scan is the answer either way.
		return d.exact(q, k, allow)
	}
	if d.pending.len() == 0 {
		return hits
	}
	var top topK
	top.reset(k)
	top.h = make([]Hit, 0, k)
	for _, h := range hits {
		top.push(h)
	}
	d.scanPending(q, allow, &top)
	sortHits(top.h)
	return top.h
}

// filterExactFraction: a filter allowing less than this fraction of the
// points is searched by exact scan over the allowed points.
const filterExactFraction = 0.1

// allowedFraction estimates the fraction of live slots allow admits from a
// sample of up to 256 nodes. The sample walks node ids by a golden-ratio
// stride, so periodic filters (every other slot, every hundredth) do not
// alias with it the way a regular stride does.
func (d *Dense) allowedFraction(allow func(slot uint32) bool) float64 {
	const samples = 256
	n := uint64(len(d.slots))
	if n == 0 {
		return 1
	}
	step := uint64(float64(n)*0.6180339887498949) | 1
	x := n / 2
	seen, ok := 0, 0
	for range min(n, samples) {
		id := uint32(x % n)
		x += step
		if d.isDead(id) {
			continue
		}
		seen++
		if allow(d.slots[id]) {
			ok++
		}
	}
	if seen == 0 {
		return 1
	}
	return float64(ok) / float64(seen)
}

// SearchExact is the brute-force search: every live allowed slot is scored.
// It is the reference Search is measured against.
func (d *Dense) SearchExact(q []float32, k int, allow func(slot uint32) bool) []Hit {
	if len(q) != d.dim || k <= 0 || d.dim == 0 {
		return nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	d.pmu.RLock()
	defer d.pmu.RUnlock()
	return d.exact(q, k, allow)
}

// exact scores every live allowed vector, in the graph and pending. The
// caller holds mu and pmu for reading.
func (d *Dense) exact(q []float32, k int, allow func(slot uint32) bool) []Hit {
	var top topK
	top.reset(min(k, len(d.bySlot)+d.pending.len()))
	top.h = make([]Hit, 0, top.k)
	dim := d.dim
	for ci, c := range d.vecs {
		base := uint32(ci) << d.shift
		for j := 0; (j+1)*dim <= len(c); j++ {
			n := base + uint32(j)
			if d.isDead(n) {
				continue
			}
			slot := d.slots[n]
			if allow != nil && !allow(slot) {
				continue
			}
			h := Hit{Slot: slot, Score: dot(q, c[j*dim:(j+1)*dim])}
			if !top.full() || better(h, top.worst()) {
				top.push(h)
			}
		}
	}
	d.scanPending(q, allow, &top)
	sortHits(top.h)
	return top.h
}

// scanPending offers every allowed pending vector to top. The caller holds
// pmu for reading.
func (d *Dense) scanPending(q []float32, allow func(slot uint32) bool, top *topK) {
	d.pending.each(func(slot uint32, v []float32) {
		if allow != nil && !allow(slot) {
			return
		}
		h := Hit{Slot: slot, Score: dot(q, v)}
		if !top.full() || better(h, top.worst()) {
			top.push(h)
		}
	})
}
