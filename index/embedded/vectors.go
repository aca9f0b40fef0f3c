package embedded

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/vecindex"
)

// The dense index holds vectors quantized; the full vectors stay in the
// dense bucket, and a search or a read that needs them fetches them from
// a read transaction, or from the collection's in-memory copy while it
// keeps one (collection.floats). A live slot's vectors never change in the database
// (see the bbolt layout in store.go), so what such a transaction returns
// for a slot the caller sees live is that point's vector, even while a
// writer commits.

// denseFrom returns a vecindex.Exact reading c's dense vectors from b.
func denseFrom(c *collection, b *bolt.Bucket) vecindex.Exact {
	var key [4]byte
	return func(slot uint32, dst []float32) ([]float32, bool) {
		binary.BigEndian.PutUint32(key[:], slot)
		v := b.Get(key[:])
		if v == nil {
			return nil, false
		}
		out, err := decodeDense(v, c.cfg.Dim, dst)
		return out, err == nil
	}
}

// vectorReader reads a collection's full vectors in one read transaction.
type vectorReader struct {
	dense  vecindex.Exact                  // nil without dense vectors
	sparse func(slot uint32) *index.Sparse // nil without sparse vectors
}

// exact returns the dense source (nil for a nil reader).
func (v *vectorReader) exact() vecindex.Exact {
	if v == nil {
		return nil
	}
	return v.dense
}

// vectors opens a read transaction for c's vectors; done ends it. Callers
// hold Store.mu for reading (so the store is open), or writeMu.
func (s *Store) vectors(c *collection) (vr *vectorReader, done func(), err error) {
	tx, err := s.db.Begin(false)
	if err != nil {
		return nil, nil, fmt.Errorf("reading vectors of %s: %w", c.cfg.Name, err)
	}
	cb := collectionBucket(tx, c.cfg.Name)
	if cb == nil || cb.Bucket(bucketDense) == nil || cb.Bucket(bucketSparse) == nil {
		_ = tx.Rollback()
		return nil, nil, fmt.Errorf("reading vectors of %s: %w: collection buckets missing", c.cfg.Name, ErrCorrupt)
	}
	vr = &vectorReader{}
	switch {
	case c.floats != nil:
		vr.dense = c.floats.Exact()
	case c.dense != nil:
		vr.dense = denseFrom(c, cb.Bucket(bucketDense))
	}
	if c.sparse != nil {
		sb := cb.Bucket(bucketSparse)
		vr.sparse = func(slot uint32) *index.Sparse {
			v := sb.Get(slotKey(slot))
			if v == nil {
				return nil
			}
			sp, err := decodeSparse(v)
			if err != nil {
				return nil
			}
			return sp
		}
	}
	return vr, func() { _ = tx.Rollback() }, nil
}
