package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/jieda/jieda/index"
)

// commit runs one write: ops computed by the caller are stored in a single
// bbolt transaction (fsync'd unless NoSync) and only then applied to
// memory, so memory never runs ahead of disk. The caller holds writeMu.
// vectors says the write changes vectors, which bumps the generation that
// keys the saved HNSW graph; slots are the fresh slots the ops use (from
// allocate), handed out once the commit succeeded.
func (s *Store) commit(c *collection, ops []op, vectors bool, slots []uint32, put func(b buckets, i int, gen uint64) error) error {
	if len(ops) == 0 {
		return nil
	}
	gen := c.gen
	if vectors {
		gen++
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		cb := collectionBucket(tx, c.cfg.Name)
		b := buckets{points: cb.Bucket(bucketPoints), dense: cb.Bucket(bucketDense), sparse: cb.Bucket(bucketSparse)}
		// First the vectors of slots earlier writes freed: no reader sees
		// those slots any more, and this write may reuse them.
		for _, slot := range c.unstored {
			k := slotKey(slot)
			if err := errors.Join(b.dense.Delete(k), b.sparse.Delete(k)); err != nil {
				return err
			}
		}
		for i := range ops {
			o := &ops[i]
			if c.sparse != nil && o.hadOld && (o.deleted || o.old != o.slot) {
				if v := b.sparse.Get(slotKey(o.old)); v != nil {
					var err error
					if o.oldTerms, err = sparseIndices(v, nil); err != nil {
						return fmt.Errorf("point %s: %w", o.id, err)
					}
				}
			}
			if err := put(b, i, gen); err != nil {
				return err
			}
		}
		if gen != c.gen {
			return cb.Bucket(bucketMeta).Put(keyGen, binary.BigEndian.AppendUint64(nil, gen))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("committing to %s: %w", c.cfg.Name, err)
	}
	c.unstored = c.unstored[:0]
	c.take(slots)
	added := c.prepare(ops)
	s.mu.Lock()
	c.apply(ops)
	c.gen = gen
	s.mu.Unlock()
	if removed := c.finish(ops); removed > 0 {
		c.work.Add(int64(removed))
	}
	if added {
		s.idx.poke()
	}
	if vectors {
		s.maybeSaveGraph(c)
	}
	return nil
}

// buckets are a collection's buckets in a write transaction.
type buckets struct {
	points, dense, sparse *bolt.Bucket
}

// writer locks out other writers and returns the named collection.
func (s *Store) writer(ctx context.Context, name string) (*collection, func(), error) {
	s.writeMu.Lock()
	c, err := s.collection(ctx, name)
	if err != nil {
		s.writeMu.Unlock()
		return nil, nil, err
	}
	return c, s.writeMu.Unlock, nil
}

// Upsert validates every point, then inserts or replaces them all in one
// transaction; a later point in the batch wins over an earlier one with
// the same id. New dense vectors are searchable at once and linked into
// the HNSW graph in the background; while the collection has
// Config.MaxPending vectors waiting for that, Upsert waits first.
func (s *Store) Upsert(ctx context.Context, collection string, points []index.Point) error {
	// Validate (canonical payloads, normalized vectors) before taking the
	// writer lock, against the collection as it is now; if it is replaced
	// meanwhile, validate again.
	s.mu.RLock()
	c, err := s.collection(ctx, collection)
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	for {
		ops, err := c.validPoints(points)
		if err != nil {
			return err
		}
		// Backpressure: wait while the indexer is too far behind.
		if err := s.waitPending(ctx, c); err != nil {
			return err
		}
		now, unlock, err := s.writer(ctx, collection)
		if err != nil {
			return err
		}
		if now != c {
			unlock()
			c = now
			continue
		}
		err = s.upsert(c, ops)
		unlock()
		return err
	}
}

// validPoints validates a batch; a later point wins over an earlier one
// with the same id.
func (c *collection) validPoints(points []index.Point) ([]op, error) {
	ops := make([]op, 0, len(points))
	pos := make(map[string]int, len(points))
	for _, p := range points {
		o, err := c.validPoint(p)
		if err != nil {
			return nil, err
		}
		if i, ok := pos[o.id]; ok {
			ops[i] = o
			continue
		}
		pos[o.id] = len(ops)
		ops = append(ops, o)
	}
	return ops, nil
}

// upsert writes validated ops; the caller holds writeMu.
func (s *Store) upsert(c *collection, ops []op) error {
	// A point keeps its slot when its vectors are unchanged (nothing for
	// the indexes to do); otherwise it gets a fresh one (see collection).
	keep := make([]bool, len(ops))
	fresh := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		cb := collectionBucket(tx, c.cfg.Name)
		b := buckets{dense: cb.Bucket(bucketDense), sparse: cb.Bucket(bucketSparse)}
		for i := range ops {
			o := &ops[i]
			o.old, o.hadOld = c.slotOf[o.id]
			keep[i] = o.hadOld && b.holds(o.old, o.dense, o.sparse)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("committing to %s: %w", c.cfg.Name, err)
	}
	for i := range ops {
		if keep[i] {
			ops[i].slot = ops[i].old
		} else {
			fresh++
		}
	}
	slots := c.allocate(fresh)
	for i, k := 0, 0; i < len(ops); i++ {
		if !keep[i] {
			ops[i].slot = slots[k]
			k++
		}
	}
	return s.commit(c, ops, true, slots, func(b buckets, i int, gen uint64) error {
		o := &ops[i]
		if err := b.points.Put(idKey(o.id), encodeRecord(record{slot: o.slot, gen: gen, payload: o.raw})); err != nil {
			return err
		}
		if keep[i] {
			return nil
		}
		k := slotKey(o.slot)
		var err error
		if o.dense != nil {
			err = b.dense.Put(k, encodeDense(o.dense))
		}
		if o.sparse != nil {
			return errors.Join(err, b.sparse.Put(k, encodeSparse(o.sparse)))
		}
		// A reused slot never keeps an earlier point's sparse vector.
		return errors.Join(err, b.sparse.Delete(k))
	})
}

// holds reports whether slot's stored vectors are exactly these.
func (b buckets) holds(slot uint32, dense []float32, sparse *index.Sparse) bool {
	k := slotKey(slot)
	if d := b.dense.Get(k); dense == nil && d != nil || dense != nil && !bytes.Equal(d, encodeDense(dense)) {
		return false
	}
	sp := b.sparse.Get(k)
	if sparse == nil {
		return sp == nil
	}
	return bytes.Equal(sp, encodeSparse(sparse))
}

// validPoint checks a point against the collection and returns its op
// (with the payload decoded and as JSON).
func (c *collection) validPoint(p index.Point) (op, error) {
	o := op{upsert: true}
	var err error
	if o.id, err = index.CanonicalID(p.ID); err != nil {
		return o, err
	}
	// The stored JSON is the input's encoding: it decodes to the canonical
	// payload (what index.CanonicalPayload computes the same way).
	if o.raw, err = json.Marshal(p.Payload); err != nil {
		return o, fmt.Errorf("point %s: %w: payload is not JSON: %w", o.id, index.ErrInvalidArgument, err)
	}
	if o.payload, err = index.DecodePayload(o.raw); err != nil {
		return o, fmt.Errorf("point %s: %w", o.id, err)
	}
	if o.dense, err = index.NormalizeDense(c.cfg, p.Dense); err != nil {
		return o, fmt.Errorf("point %s: %w", o.id, err)
	}
	if o.dense == nil && c.cfg.Dim > 0 {
		return o, fmt.Errorf("point %s: %w: collection %s needs a dense vector of %d dimensions",
			o.id, index.ErrInvalidArgument, c.cfg.Name, c.cfg.Dim)
	}
	if o.sparse, err = index.CheckSparse(c.cfg, p.Sparse); err != nil {
		return o, fmt.Errorf("point %s: %w", o.id, err)
	}
	return o, nil
}

// canonicalIDs validates ids and returns the existing ones, canonical and
// each once.
func (c *collection) existing(ids []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		cid, err := index.CanonicalID(id)
		if err != nil {
			return nil, err
		}
		if _, ok := c.slotOf[cid]; ok && !seen[cid] {
			seen[cid] = true
			out = append(out, cid)
		}
	}
	return out, nil
}

// Delete removes points by id; unknown ids are ignored.
func (s *Store) Delete(ctx context.Context, collection string, ids []string) error {
	c, unlock, err := s.writer(ctx, collection)
	if err != nil {
		return err
	}
	defer unlock()
	ids, err = c.existing(ids)
	if err != nil {
		return err
	}
	return s.delete(c, ids)
}

func (s *Store) delete(c *collection, ids []string) error {
	ops := make([]op, len(ids))
	for i, id := range ids {
		slot := c.slotOf[id]
		ops[i] = op{id: id, old: slot, hadOld: true, slot: slot, deleted: true}
	}
	return s.commit(c, ops, true, nil, func(b buckets, i int, _ uint64) error {
		return b.points.Delete(idKey(ops[i].id))
	})
}

// DeleteByFilter removes every point matching f.
func (s *Store) DeleteByFilter(ctx context.Context, collection string, f *index.Filter) error {
	c, unlock, err := s.writer(ctx, collection)
	if err != nil {
		return err
	}
	defer unlock()
	if f == nil {
		return fmt.Errorf("%w: DeleteByFilter needs a filter", index.ErrInvalidArgument)
	}
	if err := f.Validate(); err != nil {
		return err
	}
	set, _, all := c.matching(f)
	var ids []string
	set.each(func(slot uint32) bool {
		ids = append(ids, c.ids[slot])
		return true
	})
	if !all {
		set.release()
	}
	return s.delete(c, ids)
}

// SetPayload merges payload's top-level keys into each existing point's payload.
func (s *Store) SetPayload(ctx context.Context, collection string, ids []string, payload index.Payload) error {
	return s.updatePayload(ctx, collection, ids, payload, func(old, p index.Payload) index.Payload {
		merged := old // a fresh decode of the stored payload: ours to change
		if merged == nil {
			merged = index.Payload{}
		}
		for k, v := range p {
			merged[k] = index.CopyValue(v)
		}
		return merged
	})
}

// OverwritePayload replaces each existing point's payload.
func (s *Store) OverwritePayload(ctx context.Context, collection string, ids []string, payload index.Payload) error {
	return s.updatePayload(ctx, collection, ids, payload, func(_, p index.Payload) index.Payload {
		return index.CopyPayload(p)
	})
}

func (s *Store) updatePayload(ctx context.Context, collection string, ids []string, payload index.Payload,
	update func(old, p index.Payload) index.Payload) error {
	c, unlock, err := s.writer(ctx, collection)
	if err != nil {
		return err
	}
	defer unlock()
	ids, err = c.existing(ids)
	if err != nil {
		return err
	}
	return s.updatePayloadLocked(c, ids, payload, update)
}

// updatePayloadLocked rewrites the payloads of existing ids; the caller
// holds writeMu.
func (s *Store) updatePayloadLocked(c *collection, ids []string, payload index.Payload,
	update func(old, p index.Payload) index.Payload) error {
	p, err := index.CanonicalPayload(payload)
	if err != nil {
		return err
	}
	ops := make([]op, len(ids))
	for i, id := range ids {
		slot := c.slotOf[id]
		o := op{id: id, old: slot, hadOld: true, slot: slot, payload: update(c.payload(slot), p)}
		if o.raw, err = json.Marshal(o.payload); err != nil {
			return err
		}
		ops[i] = o
	}
	return s.commit(c, ops, false, nil, func(b buckets, i int, _ uint64) error {
		o := &ops[i]
		k := idKey(o.id)
		rec, err := decodeRecord(b.points.Get(k))
		if err != nil {
			return fmt.Errorf("point %s: %w", o.id, err)
		}
		rec.payload = o.raw
		return b.points.Put(k, encodeRecord(rec))
	})
}
