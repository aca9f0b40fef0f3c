package vecindex

import (
	"math/rand/v2"

	"sync"
)

// DenseOptions tunes the dense index. Zero fields take their defaults.
type DenseOptions struct {
	// ExactBelow: searches scan exactly while Len() < ExactBelow and use the
	// HNSW graph at or above (default 5,000; negative means 0). The graph
	// is kept up to date from the first point either way, so crossing the
	// threshold costs nothing. The default is Qdrant's full_scan_threshold
	// (10,000 KB, 1 KB counting as a vector of 256 dimensions) at 512
	// dimensions.
	ExactBelow int
	// M is the number of HNSW neighbors per node on the upper layers; the
	// bottom layer keeps up to 2×M (default 16, at most 128).
	M int
	// EfConstruction is the candidate list size while inserting (default
	// 200, at least M).
	EfConstruction int
	// EfSearch is the candidate list size while searching (default 128)
	// up to 200,000 linked vectors; above, it grows with the square root
	// of their number (286 at a million). A search for k results uses at
	// least k.
	EfSearch int
	// Seed seeds the level generator, for reproducible graphs.
	Seed int64
}

// Option defaults.
const (
	DefaultExactBelow     = 5_000
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

// Node records live in chunks of a power-of-two number of records, at
// least chunkBytes each, so that growing the index never copies (or
// transiently doubles) the whole store, and chunks are large enough for
// huge pages.
const chunkBytes = 8 << 20

// Dense is a cosine index over L2-normalized float32 vectors (callers
// normalize); the score is the dot product. It holds each vector
// quantized to int8 (see nodes.go), walks the graph on the quantized
// vectors and computes exact scores for the candidates with the vectors
// the caller keeps (Exact). It is safe for concurrent use: searches share
// a read lock, writes take the write lock.
//
// Each vector is a node with an internal id; slots map to nodes. A removed
// node becomes a tombstone that searches walk through but never return;
// its graph neighbors are relinked at once, and tombstones are swept and
// their ids reused once they are a tenth of the nodes.
//
// Vectors added with AddPending wait in a pending set, in full precision,
// outside the graph, until IndexPending links them; searches scan them
// exactly meanwhile. A slot is in the graph or pending, never both.
//
// Locking: mu guards the graph and the node store, pmu the pending set.
// bySlot, slots and recs are written only with both held for writing and
// may be read with either held. Lock order: mu before pmu. So AddPending,
// Has and Len, which take only pmu, never wait for an IndexPending or an
// AddBatch in progress.
type Dense struct {
	mu   sync.RWMutex
	pmu  sync.RWMutex
	dim  int
	opts DenseOptions

	stride int    // bytes per node record
	shift  uint   // log2 of records per chunk
	mask   uint32 // records per chunk - 1

	recs   [][]byte          // chunked node records, by node id
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
	stride := recordStride(dim)
	shift := chunkShift(stride)
	return &Dense{
		stride:  stride,
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

// SetSearchOptions applies the search-time options of o (ExactBelow and
// EfSearch, defaults filled in) and keeps the ones the graph was built
// with (M, EfConstruction, Seed), so a loaded graph follows the current
// settings for searches without a rebuild.
func (d *Dense) SetSearchOptions(o DenseOptions) {
	o = o.withDefaults()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.opts.ExactBelow, d.opts.EfSearch = o.ExactBelow, o.EfSearch
}

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

// Has reports whether slot has a vector (pending or in the graph).
func (d *Dense) Has(slot uint32) bool {
	d.pmu.RLock()
	defer d.pmu.RUnlock()
	if _, ok := d.pending.get(slot); ok {
		return true
	}
	_, ok := d.bySlot[slot]
	return ok
}

// Add inserts vec for slot, replacing any vector the slot had. vec is
// copied (quantized). A vector whose length is not Dim() is ignored (the
// engine validates dimensions before it gets here).
func (d *Dense) Add(slot uint32, vec []float32) {
	if len(vec) != d.dim || d.dim == 0 {
		return
	}
	d.AddBatch([]uint32{slot}, [][]float32{vec})
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
	qs := make([][]float32, 0, len(add))
	for _, i := range add {
		added = append(added, d.newNode(slots[i], vecs[i]))
		qs = append(qs, vecs[i])
	}
	d.pmu.Unlock()
	d.insertParallel(added, qs)
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
	// The vectors, in full precision, are the inserts' queries: copied,
	// since the pending set may move them once pmu is released.
	flat := make([]float32, 0, min(max, d.pending.len())*d.dim)
	for len(nodes) < max {
		slot, vec, ok := d.pending.pop()
		if !ok {
			break
		}
		nodes = append(nodes, d.newNode(slot, vec))
		flat = append(flat, vec...)
	}
	d.pending.maybeCompact()
	d.pmu.Unlock()
	qs := make([][]float32, len(nodes))
	for i := range qs {
		qs[i] = flat[i*d.dim : (i+1)*d.dim : (i+1)*d.dim]
	}
	d.insertParallel(nodes, qs)
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

// growChunk makes room for one more record in a chunk of up to per
// records: capacity doubles from 16 records up to exactly per, so no chunk
// is over-allocated.
func growChunk(c []byte, stride, per int) []byte {
	if len(c)+stride <= cap(c) {
		return c
	}
	nc := make([]byte, len(c), min(max(2*cap(c), 16*stride), per*stride))
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

// newNode stores vec (quantized) for slot in a free node id, or a new one,
// and gives it a level. The node is live but not yet linked into the
// graph. The caller holds mu and pmu for writing, and slot has no node.
func (d *Dense) newNode(slot uint32, vec []float32) uint32 {
	var n uint32
	if len(d.free) > 0 {
		n = d.free[len(d.free)-1]
		d.free = d.free[:len(d.free)-1]
		quantize(vec, d.rec(n))
		d.slots[n] = slot
		d.setDead(n, false)
	} else {
		n = uint32(len(d.slots))
		ci := int(n >> d.shift)
		per := int(d.mask) + 1
		if ci == len(d.recs) {
			var c []byte
			if ci > 0 { // the index is big: take the whole chunk at once
				c = make([]byte, 0, per*d.stride)
				adviseHuge(c, false)
			}
			d.recs = append(d.recs, c)
		}
		c := growChunk(d.recs[ci], d.stride, per)
		c = c[:len(c)+d.stride]
		quantize(vec, c[len(c)-d.stride:])
		d.recs[ci] = c
		if len(c) == per*d.stride {
			adviseHuge(c, true)
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
