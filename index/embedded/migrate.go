package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Format 1 kept each point's vectors inside its record in the points
// bucket:
//
//	version byte 1 | uvarint slot | uvarint gen | uvarint len, payload JSON |
//	uvarint dim, dim × float32 LE | uvarint nnz, nnz × uint32 LE, nnz × float32 LE
//
// so every open read every vector of every point (the saved HNSW graph
// held them again). Format 2 moves the vectors into the dense and sparse
// buckets, keyed by slot. Open migrates a format-1 database in place,
// collection by collection, migrateBatch points per transaction: each
// record is rewritten as format 2 with its vectors beside it, and the
// format key becomes 2 only once every collection is done. A migration
// cut short (a crash, a full disk) leaves both kinds of record, which the
// next Open tells apart by their version byte and finishes. Slots and
// generations are kept, so the saved HNSW graphs stay valid.
const migrateBatch = 5000

// recordV1 is a format-1 record's parts, copied out of bbolt's memory.
type recordV1 struct {
	slot    uint32
	gen     uint64
	payload []byte
	dense   []byte // dim × float32 LE, as format 2 stores it
	sparse  []byte // nnz × uint32 LE then nnz × float32 LE, as format 2 stores it; nil when nnz is 0
}

// decodeRecordV1 parses a format-1 record.
func decodeRecordV1(b []byte) (recordV1, error) {
	var r recordV1
	if len(b) == 0 || b[0] != 1 {
		return r, fmt.Errorf("%w: format-1 point record version %v", ErrCorrupt, first(b))
	}
	p := 1
	uv := func(what string, limit uint64) (uint64, error) {
		v, n := binary.Uvarint(b[p:])
		if n <= 0 || v > limit {
			return 0, fmt.Errorf("%w: format-1 point record: bad %s", ErrCorrupt, what)
		}
		p += n
		return v, nil
	}
	slot, err := uv("slot", math.MaxUint32-1)
	if err != nil {
		return r, err
	}
	if r.gen, err = uv("generation", math.MaxUint64); err != nil {
		return r, err
	}
	pl, err := uv("payload length", uint64(len(b)))
	if err != nil || uint64(len(b)-p) < pl {
		return r, fmt.Errorf("%w: format-1 point record: truncated payload", ErrCorrupt)
	}
	r.slot, r.payload = uint32(slot), bytes.Clone(b[p:p+int(pl)])
	p += int(pl)
	dim, err := uv("dimension", uint64(len(b)))
	if err != nil || uint64(len(b)-p) < 4*dim {
		return r, fmt.Errorf("%w: format-1 point record: truncated dense vector", ErrCorrupt)
	}
	if dim > 0 {
		r.dense = bytes.Clone(b[p : p+4*int(dim)])
	}
	p += 4 * int(dim)
	nnz, err := uv("sparse length", uint64(len(b)))
	if err != nil || uint64(len(b)-p) != 8*nnz {
		return r, fmt.Errorf("%w: format-1 point record: sparse vector length", ErrCorrupt)
	}
	if nnz > 0 {
		r.sparse = bytes.Clone(b[p:])
	}
	return r, nil
}

// migrate brings a format-1 database to format 2 (see migrateBatch).
func (s *Store) migrate(ctx context.Context, names []string) error {
	start := time.Now()
	s.log.Info("migrating the store to format 2 (vectors beside the points)", "path", s.db.Path(), "collections", len(names))
	points := 0
	for _, name := range names {
		var after []byte
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			n, last, err := s.migrateSome(name, after, migrateBatch)
			if err != nil {
				return fmt.Errorf("migrating collection %s: %w", name, err)
			}
			points += n
			if last == nil {
				break
			}
			after = last
		}
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyFormat, binary.BigEndian.AppendUint32(nil, formatVersion))
	})
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	s.log.Info("migrated the store to format 2", "points", points, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// migrateSome rewrites up to limit format-1 records of a collection whose
// keys follow after (nil: from the first) in one transaction. It returns
// how many it rewrote and the last key it looked at, nil when it reached
// the end.
func (s *Store) migrateSome(name string, after []byte, limit int) (n int, last []byte, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		cb := collectionBucket(tx, name)
		if cb == nil || cb.Bucket(bucketPoints) == nil {
			return fmt.Errorf("%w: collection buckets missing", ErrCorrupt)
		}
		db, err := cb.CreateBucketIfNotExists(bucketDense)
		if err != nil {
			return err
		}
		sb, err := cb.CreateBucketIfNotExists(bucketSparse)
		if err != nil {
			return err
		}
		pb := cb.Bucket(bucketPoints)
		// Collect first: a cursor must not walk a bucket being written.
		type old struct {
			key []byte
			rec recordV1
		}
		var todo []old
		c := pb.Cursor()
		k, v := c.First()
		if after != nil {
			if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(todo) < limit; k, v = c.Next() {
			last = bytes.Clone(k)
			if len(v) > 0 && v[0] == recordVersion {
				continue // migrated by an earlier, interrupted run
			}
			r, err := decodeRecordV1(v)
			if err != nil {
				id, _ := keyID(k)
				return fmt.Errorf("point %s: %w", id, err)
			}
			todo = append(todo, old{last, r})
		}
		if k == nil {
			last = nil
		}
		for _, o := range todo {
			r := o.rec
			if err := pb.Put(o.key, encodeRecord(record{slot: r.slot, gen: r.gen, payload: r.payload})); err != nil {
				return err
			}
			key := slotKey(r.slot)
			if r.dense != nil {
				if err := db.Put(key, r.dense); err != nil {
					return err
				}
			}
			if r.sparse != nil {
				if err := sb.Put(key, r.sparse); err != nil {
					return err
				}
			}
		}
		n = len(todo)
		return nil
	})
	return n, last, err
}
