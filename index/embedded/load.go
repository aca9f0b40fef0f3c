package embedded

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/vecindex"
)

// loaded is one decoded point during loadCollection.
type loaded struct {
	id      string
	rec     record
	payload index.Payload
	err     error
}

// loadCollection reads a collection from bbolt into memory: the points'
// records are decoded in parallel, then the slot tables, the sparse index
// (from the sparse bucket), the dense index (from the saved HNSW graph
// when it is current, plus the vectors written since from the dense
// bucket) and the payload indexes are built. Vectors left behind by freed
// slots (a crash between a write and the next) are noted for the next
// write to delete.
func (s *Store) loadCollection(name string) (*collection, error) {
	var c *collection
	err := s.db.View(func(tx *bolt.Tx) error {
		cb := collectionBucket(tx, name)
		meta, pb := cb.Bucket(bucketMeta), cb.Bucket(bucketPoints)
		db, sb := cb.Bucket(bucketDense), cb.Bucket(bucketSparse)
		if meta == nil || pb == nil || db == nil || sb == nil {
			return fmt.Errorf("%w: collection buckets missing", ErrCorrupt)
		}
		var m collectionMeta
		if err := json.Unmarshal(meta.Get(keyConfig), &m); err != nil {
			return fmt.Errorf("%w: collection config: %w", ErrCorrupt, err)
		}
		if err := m.Validate(); err != nil || m.Name != name {
			return fmt.Errorf("%w: collection config %+v", ErrCorrupt, m.CollectionConfig)
		}
		indexes := map[string]index.FieldType{}
		if err := json.Unmarshal(meta.Get(keyIndexes), &indexes); err != nil {
			return fmt.Errorf("%w: payload indexes: %w", ErrCorrupt, err)
		}
		gen := meta.Get(keyGen)
		if len(gen) != 8 {
			return fmt.Errorf("%w: generation of %d bytes", ErrCorrupt, len(gen))
		}
		c = newCollection(m.CollectionConfig, string(meta.Get(keyUID)), s.dopt)
		c.gen = binary.BigEndian.Uint64(gen)
		c.indexes = indexes
		points, err := decodePoints(pb)
		if err != nil {
			return err
		}
		if err := c.fill(points); err != nil {
			return err
		}
		if err := c.loadSparse(sb); err != nil {
			return err
		}
		if c.dense != nil {
			var graph *savedGraph
			if graph, err = s.readGraph(c, db); err != nil && !errors.Is(err, os.ErrNotExist) {
				s.log.Warn("saved HNSW graph unusable; rebuilding", "collection", name, "err", err)
			}
			if err := s.loadDense(c, db, points, graph); err != nil {
				return err
			}
		}
		c.findStrayVectors(db)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for field, typ := range c.indexes {
		c.fields[field] = c.buildIndex(field, typ)
	}
	return c, nil
}

// decodePoints decodes every record of a points bucket, in parallel.
func decodePoints(pb *bolt.Bucket) ([]loaded, error) {
	// bbolt's memory stays valid until the transaction ends, so the
	// workers decode straight from it.
	var keys, vals [][]byte
	err := pb.ForEach(func(k, v []byte) error {
		keys = append(keys, k)
		vals = append(vals, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	points := make([]loaded, len(keys))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(keys); i += workers {
				p := &points[i]
				if p.id, p.err = keyID(keys[i]); p.err != nil {
					continue
				}
				if p.rec, p.err = decodeRecord(vals[i]); p.err != nil {
					continue
				}
				p.payload, p.err = index.DecodePayload(p.rec.payload)
				p.rec.payload = nil
			}
		})
	}
	wg.Wait()
	for i := range points {
		if p := &points[i]; p.err != nil {
			return nil, fmt.Errorf("point %s: %w", p.id, p.err)
		}
	}
	return points, nil
}

// fill builds a fresh collection's slot tables from its points.
func (c *collection) fill(points []loaded) error {
	var maxSlot uint32
	for i := range points {
		maxSlot = max(maxSlot, points[i].rec.slot)
	}
	if len(points) > 0 {
		c.grow(maxSlot)
		c.nextSlot = maxSlot + 1
	}
	c.order = make([]string, 0, len(points))
	for i := range points {
		p := &points[i]
		slot := p.rec.slot
		if c.live.has(slot) {
			return fmt.Errorf("%w: points %s and %s share slot %d", ErrCorrupt, c.ids[slot], p.id, slot)
		}
		c.live.set(slot)
		c.ids[slot] = p.id
		c.payloads[slot] = p.payload
		c.slotOf[p.id] = slot
		c.order = append(c.order, p.id) // bbolt iterates keys in id order
	}
	c.n = len(points)
	for slot := c.nextSlot; slot > 0; slot-- {
		if !c.live.has(slot - 1) {
			c.free = append(c.free, slot-1)
		}
	}
	return nil
}

// loadSparse fills the sparse index from the sparse bucket, in two passes
// (vecindex.SparseLoader); vectors of slots no point holds are noted for
// deletion.
func (c *collection) loadSparse(sb *bolt.Bucket) error {
	l := vecindex.NewSparseLoader()
	var idx []uint32
	err := sb.ForEach(func(k, v []byte) error {
		slot, err := keySlot(k)
		if err != nil {
			return err
		}
		if !c.live.has(slot) {
			c.unstored = append(c.unstored, slot)
			return nil
		}
		if c.sparse == nil {
			return fmt.Errorf("%w: collection %s has no sparse vectors, but slot %d has one", ErrCorrupt, c.cfg.Name, slot)
		}
		if idx, err = sparseIndices(v, idx); err != nil {
			return fmt.Errorf("slot %d: %w", slot, err)
		}
		l.Count(idx)
		return nil
	})
	if err != nil || c.sparse == nil {
		return err
	}
	var sp index.Sparse // reused: the loader copies what it keeps
	err = sb.ForEach(func(k, v []byte) error {
		slot, _ := keySlot(k)
		if !c.live.has(slot) {
			return nil
		}
		if err := decodeSparseInto(v, &sp); err != nil {
			return fmt.Errorf("slot %d: %w", slot, err)
		}
		l.Add(slot, sp.Indices, sp.Values)
		return nil
	})
	c.sparse = l.Sparse()
	return err
}

// findStrayVectors notes the dense vectors of slots no point holds (the
// free slots, and any beyond the last live one) for deletion.
func (c *collection) findStrayVectors(db *bolt.Bucket) {
	for _, slot := range c.free {
		if db.Get(slotKey(slot)) != nil {
			c.unstored = append(c.unstored, slot)
		}
	}
	cur := db.Cursor()
	for k, _ := cur.Seek(slotKey(c.nextSlot)); k != nil; k, _ = cur.Next() {
		if slot, err := keySlot(k); err == nil {
			c.unstored = append(c.unstored, slot)
		}
	}
}
