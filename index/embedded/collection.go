package embedded

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/vecindex"
)

// collection is the in-memory state of one collection. Readers hold
// Store.mu for reading; the one writer (holding Store.writeMu) changes it
// under Store.mu held for writing, and may read it without Store.mu.
//
// An upsert that changes a point's vectors gives it a fresh slot, so a new
// vector is added to the dense index (pending, for the indexer to link
// into the graph) before the write becomes visible and the old slot leaves
// it afterwards: readers only ever see slots in live, and a live slot's
// vectors never change (in memory or in the database).
type collection struct {
	cfg     index.CollectionConfig
	uid     string // random id, names the saved HNSW graph
	gen     uint64 // bumped by every committed write
	indexes map[string]index.FieldType

	slotOf map[string]uint32 // id → slot
	ids    []string          // slot → id ("" when free)
	// payloads holds each slot's payload as stored (JSON that decodes to
	// the canonical payload; see payload): one pointer a point for the
	// garbage collector to follow, where a decoded map is one per value.
	payloads [][]byte
	live     bitmap   // slots holding a visible point
	n        int      // live points
	order    []string // live ids, sorted

	dense  *vecindex.Dense  // nil when Dim == 0
	sparse *vecindex.Sparse // nil when !Sparse
	fields map[string]*fieldIndex
	// floats holds the live points' dense vectors in full precision while
	// they fit in floatLimit bytes (nil otherwise, or when Dim == 0).
	floats     *vecindex.Floats
	floatLimit int

	// Writer-only state.
	free        []uint32 // free slots
	nextSlot    uint32   // slots below it have been handed out
	savedGen    uint64   // generation of the HNSW graph on disk (0: none)
	graphLoaded bool     // the dense index came from a saved graph
	// unstored are freed slots whose vectors are still in the dense and
	// sparse buckets: readers may have seen the slots live until the write
	// that freed them was applied, so the next write deletes them.
	unstored []uint32

	work   atomic.Int64 // graph work (vectors linked or removed) since the graph was saved
	saving atomic.Bool  // a background save is pending
	batch  int          // the indexer's batch size (indexer-only)
	// saveMu keeps the indexer out while the graph is saved: an
	// IndexPending waiting for the dense index's write lock would hold up
	// every search until the save ends.
	saveMu sync.Mutex
}

func newCollection(cfg index.CollectionConfig, uid string, opts vecindex.DenseOptions, floatBytes int) *collection {
	c := &collection{
		cfg:        cfg,
		uid:        uid,
		indexes:    map[string]index.FieldType{},
		slotOf:     map[string]uint32{},
		fields:     map[string]*fieldIndex{},
		floatLimit: floatBytes,
	}
	if cfg.Dim > 0 {
		c.dense = vecindex.NewDense(cfg.Dim, opts)
		if floatBytes > 0 {
			c.floats = vecindex.NewFloats(cfg.Dim)
		}
	}
	if cfg.Sparse {
		c.sparse = vecindex.NewSparse()
	}
	return c
}

func (c *collection) info() index.CollectionInfo {
	idx := make(map[string]index.FieldType, len(c.indexes))
	for k, v := range c.indexes {
		idx[k] = v
	}
	return index.CollectionInfo{CollectionConfig: c.cfg, Points: c.n, PayloadIndexes: idx}
}

// allocate returns n fresh slots without handing them out; take commits.
func (c *collection) allocate(n int) []uint32 {
	out := make([]uint32, 0, n)
	for i := len(c.free) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, c.free[i])
	}
	for next := c.nextSlot; len(out) < n; next++ {
		out = append(out, next)
	}
	return out
}

// take hands out slots returned by allocate.
func (c *collection) take(slots []uint32) {
	fromFree := min(len(slots), len(c.free))
	c.free = c.free[:len(c.free)-fromFree]
	for _, s := range slots[fromFree:] {
		c.nextSlot = max(c.nextSlot, s+1)
	}
}

// grow makes the slot-indexed slices cover slot.
func (c *collection) grow(slot uint32) {
	if int(slot) < len(c.ids) {
		return
	}
	n := max(int(slot)+1, len(c.ids)+len(c.ids)/4)
	c.ids = append(c.ids, make([]string, n-len(c.ids))...)
	c.payloads = append(c.payloads, make([][]byte, n-len(c.payloads))...)
	if w := (n + 63) / 64; w > len(c.live) {
		c.live = append(c.live, make(bitmap, w-len(c.live))...)
	}
}

// op is one change of a write, computed before the commit.
type op struct {
	id      string
	old     uint32 // the point's slot before the write
	hadOld  bool
	slot    uint32 // its slot after the write
	deleted bool
	// oldTerms are the terms of the sparse vector at old, when the write
	// takes it out of the sparse index (read from the database in the
	// write's transaction: the index keeps no copy).
	oldTerms []uint32
	// vectors set only for upserts
	upsert  bool
	payload index.Payload
	raw     []byte // payload's JSON, as stored
	dense   []float32
	sparse  *index.Sparse
}

// prepare runs before the visible part of a write, outside Store.mu:
// new dense vectors enter the dense index, pending, under slots no reader
// sees yet; the indexer links them into the graph later. It reports
// whether any vector is new.
func (c *collection) prepare(ops []op) bool {
	if c.dense == nil {
		return false
	}
	var slots []uint32
	var vecs [][]float32
	for i := range ops {
		if o := &ops[i]; o.upsert && o.dense != nil && (!o.hadOld || o.slot != o.old) {
			slots = append(slots, o.slot)
			vecs = append(vecs, o.dense)
		}
	}
	c.dense.AddPending(slots, vecs)
	return len(slots) > 0
}

// apply makes a committed write visible; the caller holds Store.mu for writing.
func (c *collection) apply(ops []op) {
	updates := make(map[string]*indexUpdate, len(c.fields))
	for name := range c.fields {
		updates[name] = &indexUpdate{}
	}
	unindex := func(slot uint32) {
		if len(c.fields) == 0 {
			return
		}
		old := c.payload(slot)
		for name, fi := range c.fields {
			fi.remove(updates[name], slot, index.Values(old, name), c.ids)
		}
	}
	reindex := func(slot uint32, p index.Payload) {
		for name, fi := range c.fields {
			fi.add(updates[name], slot, index.Values(p, name))
		}
	}
	var added []string
	var removed map[string]bool
	for i := range ops {
		o := &ops[i]
		if o.hadOld {
			unindex(o.old)
		}
		switch {
		case o.deleted:
			c.vacate(o.old, o.oldTerms)
			delete(c.slotOf, o.id)
			c.n--
			if removed == nil {
				removed = map[string]bool{}
			}
			removed[o.id] = true
			continue
		case o.upsert && o.hadOld && o.old == o.slot:
			// Same vectors, same slot: only the payload changes.
		case o.upsert:
			if o.hadOld {
				c.vacate(o.old, o.oldTerms)
			} else {
				c.n++
				added = append(added, o.id)
			}
			c.grow(o.slot)
			c.ids[o.slot] = o.id
			c.live.set(o.slot)
			c.slotOf[o.id] = o.slot
			c.keepFloats(o.slot, o.dense)
			if o.sparse != nil && c.sparse != nil {
				c.sparse.Add(o.slot, o.sparse.Indices, o.sparse.Values)
			}
		}
		c.payloads[o.slot] = o.raw
		reindex(o.slot, o.payload)
	}
	for name, fi := range c.fields {
		fi.commit(updates[name], c.ids)
	}
	switch {
	case len(removed) > dropOneByOneMax:
		c.order = slices.DeleteFunc(c.order, func(id string) bool { return removed[id] })
	case len(removed) > 0:
		for id := range removed {
			if i, ok := slices.BinarySearch(c.order, id); ok {
				c.order = slices.Delete(c.order, i, i+1)
			}
		}
	}
	c.order = mergeSorted(c.order, added, strings.Compare)
}

// keepFloats keeps a new live slot's dense vector in full precision, or
// drops them all once they no longer fit.
func (c *collection) keepFloats(slot uint32, vec []float32) {
	if c.floats == nil || vec == nil {
		return
	}
	if (c.floats.Len()+1)*vecindex.FloatsBytesPerVector(c.cfg.Dim) > c.floatLimit {
		c.floats = nil
		return
	}
	c.floats.Set(slot, vec)
}

// vacate empties a slot's visible state, terms being its sparse vector's
// terms; the dense index keeps its vector until finish.
func (c *collection) vacate(slot uint32, terms []uint32) {
	c.ids[slot] = ""
	c.payloads[slot] = nil
	c.live.clear(slot)
	if c.floats != nil {
		c.floats.Delete(slot)
	}
	if c.sparse != nil {
		c.sparse.Remove(slot, terms)
	}
}

// finish runs after the write is visible, outside Store.mu: old slots leave
// the dense index and become free. It returns how many vectors left.
func (c *collection) finish(ops []op) int {
	removed := 0
	for _, o := range ops {
		if o.hadOld && o.old != o.slot || o.deleted {
			if c.dense != nil {
				c.dense.Remove(o.old)
				removed++
			}
			c.free = append(c.free, o.old)
			c.unstored = append(c.unstored, o.old)
		}
	}
	return removed
}

// payload decodes slot's payload (nil for a free slot). Stored payloads
// were decoded once when written or loaded, so decoding cannot fail.
func (c *collection) payload(slot uint32) index.Payload {
	if c.payloads[slot] == nil {
		return nil
	}
	p, _ := index.DecodePayload(c.payloads[slot])
	return p
}

// selectFields keeps the fields of p (a fresh decode: nothing to copy)
// that fields names, or all of them when fields is nil.
func selectFields(p index.Payload, fields []string) index.Payload {
	if p == nil {
		p = index.Payload{}
	}
	if fields == nil {
		return p
	}
	out := make(index.Payload, len(fields))
	for _, k := range fields {
		if v, ok := p[k]; ok {
			out[k] = v
		}
	}
	return out
}

// buildIndex builds a payload index over the live points, whose payloads
// payloadOf returns; only the writer (or the loader) calls it.
func (c *collection) buildIndex(field string, typ index.FieldType, payloadOf func(slot uint32) index.Payload) *fieldIndex {
	fi := newFieldIndex(typ)
	u := &indexUpdate{}
	c.live.each(func(slot uint32) bool {
		fi.add(u, slot, index.Values(payloadOf(slot), field))
		return true
	})
	fi.commit(u, c.ids)
	return fi
}

// record reads a live point back; every slice and map is a copy. vr
// gives the vectors (needed when with.Vectors is set).
func (c *collection) record(slot uint32, with index.With, vr *vectorReader) index.Record {
	r := index.Record{ID: c.ids[slot]}
	if with.Payload {
		r.Payload = selectFields(c.payload(slot), with.Fields)
	}
	if with.Vectors && vr != nil {
		if vr.dense != nil {
			if v, ok := vr.dense(slot, nil); ok {
				r.Dense = slices.Clone(v) // v may be the in-memory copy
			}
		}
		if vr.sparse != nil {
			r.Sparse = vr.sparse(slot)
		}
	}
	return r
}
