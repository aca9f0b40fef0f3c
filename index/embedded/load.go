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
)

// loaded is one decoded point during loadCollection.
type loaded struct {
	id      string
	rec     record
	payload index.Payload
	err     error
}

// loadCollection reads a collection from bbolt into memory: records are
// decoded in parallel, then the slot tables, sparse index, dense index
// (from the saved HNSW graph when it is current) and payload indexes are
// built.
func (s *Store) loadCollection(name string) (*collection, error) {
	var c *collection
	var points []loaded
	var graph *savedGraph
	err := s.db.View(func(tx *bolt.Tx) error {
		cb := collectionBucket(tx, name)
		meta, pb := cb.Bucket(bucketMeta), cb.Bucket(bucketPoints)
		if meta == nil || pb == nil {
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
		if c.dense != nil {
			var err error
			if graph, err = s.readGraph(c); err != nil && !errors.Is(err, os.ErrNotExist) {
				s.log.Warn("saved HNSW graph unusable; rebuilding", "collection", name, "err", err)
			}
		}

		// bbolt's memory stays valid until the transaction ends, so the
		// workers decode straight from it.
		var keys, vals [][]byte
		err := pb.ForEach(func(k, v []byte) error {
			keys = append(keys, k)
			vals = append(vals, v)
			return nil
		})
		if err != nil {
			return err
		}
		points = make([]loaded, len(keys))
		workers := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(keys); i += workers {
					p := &points[i]
					if p.id, p.err = keyID(keys[i]); p.err != nil {
						continue
					}
					if p.rec, p.err = decodeRecordSkip(vals[i], graph != nil); p.err != nil {
						continue
					}
					if graph != nil && p.rec.gen > graph.gen {
						// Written after the graph was saved: the vector is needed.
						p.rec, p.err = decodeRecord(vals[i])
					}
					p.payload, p.err = index.DecodePayload(p.rec.payload)
					p.rec.payload = nil
				}
			}()
		}
		wg.Wait()
		return nil
	})
	if err != nil {
		return nil, err
	}

	var maxSlot uint32
	for i := range points {
		p := &points[i]
		if p.err != nil {
			return nil, fmt.Errorf("point %s: %w", p.id, p.err)
		}
		if p.rec.dim != c.cfg.Dim {
			return nil, fmt.Errorf("%w: point %s has a dense vector of %d dimensions, collection has %d", ErrCorrupt, p.id, p.rec.dim, c.cfg.Dim)
		}
		maxSlot = max(maxSlot, p.rec.slot)
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
			return nil, fmt.Errorf("%w: points %s and %s share slot %d", ErrCorrupt, c.ids[slot], p.id, slot)
		}
		c.live.set(slot)
		c.ids[slot] = p.id
		c.payloads[slot] = p.payload
		c.slotOf[p.id] = slot
		c.order = append(c.order, p.id) // bbolt iterates keys in id order
		if p.rec.sparse != nil && c.sparse != nil {
			c.sparse.Add(slot, p.rec.sparse.Indices, p.rec.sparse.Values)
		}
	}
	c.n = len(points)
	for slot := c.nextSlot; slot > 0; slot-- {
		if !c.live.has(slot - 1) {
			c.free = append(c.free, slot-1)
		}
	}
	if c.dense != nil {
		if err := s.loadDense(c, points, graph); err != nil {
			return nil, err
		}
	}
	for field, typ := range c.indexes {
		c.fields[field] = c.buildIndex(field, typ)
	}
	return c, nil
}
