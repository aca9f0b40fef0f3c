package embedded

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/jieda/jieda/index/vecindex"
)

// The dense index holds vectors quantized; the full vectors stay in the
// dense bucket, and a search or a read that needs them fetches them from
// a read transaction. A live slot's vectors never change in the database
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

// vectors opens a read transaction for c's dense vectors; done ends it.
// Callers hold Store.mu for reading (so the store is open). Collections
// without dense vectors get a nil source.
func (s *Store) vectors(c *collection) (exact vecindex.Exact, done func(), err error) {
	if c.dense == nil {
		return nil, func() {}, nil
	}
	tx, err := s.db.Begin(false)
	if err != nil {
		return nil, nil, fmt.Errorf("reading vectors of %s: %w", c.cfg.Name, err)
	}
	cb := collectionBucket(tx, c.cfg.Name)
	if cb == nil || cb.Bucket(bucketDense) == nil {
		_ = tx.Rollback()
		return nil, nil, fmt.Errorf("reading vectors of %s: %w: collection buckets missing", c.cfg.Name, ErrCorrupt)
	}
	return denseFrom(c, cb.Bucket(bucketDense)), func() { _ = tx.Rollback() }, nil
}
