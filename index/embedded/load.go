package embedded

import (
	"bytes"
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
	payload index.Payload // decoded: checked, and read by the payload indexes
	raw     []byte        // as stored, copied out of the database
	err     error
}

// loadCollection reads a collection from bbolt into memory. The saved HNSW
// graph is read, and the sparse vectors counted (the first pass of
// vecindex.SparseLoader), in the background while the points' records are
// decoded (in parallel) into the slot tables; then the sparse index is
// filled in the background while the payload indexes are built, and the
// dense index is set up from the graph (plus the vectors written since,
// from the dense bucket). Vectors left behind by freed slots (a crash
// between a write and the next) are noted for the next write to delete.
// Each goroutine reads in a read transaction of its own.
func (s *Store) loadCollection(name string) (c *collection, err error) {
	if c, err = s.loadMeta(name); err != nil {
		return nil, err
	}
	var bg sync.WaitGroup
	defer bg.Wait() // nothing outlives a failed load
	var graph *savedGraph
	graphRead := make(chan struct{})
	if c.dense != nil {
		bg.Go(func() {
			defer close(graphRead)
			err := s.db.View(func(tx *bolt.Tx) error {
				var err error
				graph, err = s.readGraph(c, collectionBucket(tx, name).Bucket(bucketDense))
				return err
			})
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				s.log.Warn("saved HNSW graph unusable; rebuilding", "collection", name, "err", err)
			}
		})
	} else {
		close(graphRead)
	}
	var sl *vecindex.SparseLoader
	var countErr error
	counted := make(chan struct{})
	if c.sparse != nil {
		sl = vecindex.NewSparseLoader()
		bg.Go(func() {
			defer close(counted)
			countErr = s.db.View(func(tx *bolt.Tx) error {
				return countSparse(collectionBucket(tx, name).Bucket(bucketSparse), sl)
			})
		})
	} else {
		close(counted)
	}

	var points []loaded
	err = s.db.View(func(tx *bolt.Tx) error {
		var err error
		if points, err = decodePoints(collectionBucket(tx, name).Bucket(bucketPoints)); err != nil {
			return err
		}
		return c.fill(points)
	})
	if err != nil {
		return nil, err
	}

	<-counted
	if countErr != nil {
		return nil, countErr
	}
	var sparseErr error
	var strays []uint32
	if sl != nil {
		bg.Go(func() {
			sparseErr = s.db.View(func(tx *bolt.Tx) error {
				var err error
				strays, err = c.fillSparse(collectionBucket(tx, name).Bucket(bucketSparse), sl)
				return err
			})
		})
	}
	if len(c.indexes) > 0 {
		decoded := make([]index.Payload, len(c.payloads))
		for i := range points {
			decoded[points[i].rec.slot] = points[i].payload
		}
		for field, typ := range c.indexes {
			c.fields[field] = c.buildIndex(field, typ, func(slot uint32) index.Payload { return decoded[slot] })
		}
	}
	for i := range points {
		points[i].payload = nil // the indexes are built: let the maps go
	}
	<-graphRead
	err = s.db.View(func(tx *bolt.Tx) error {
		db := collectionBucket(tx, name).Bucket(bucketDense)
		if c.dense != nil {
			if err := s.loadDense(c, db, points, graph); err != nil {
				return err
			}
			if err := c.loadFloats(db); err != nil {
				return err
			}
		}
		c.findStrayVectors(db)
		return nil
	})
	bg.Wait()
	if err = errors.Join(err, sparseErr); err != nil {
		return nil, err
	}
	if sl != nil {
		c.sparse = sl.Sparse()
	}
	c.unstored = append(c.unstored, strays...)
	return c, nil
}

// loadMeta reads a collection's settings into a fresh collection.
func (s *Store) loadMeta(name string) (c *collection, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
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
		c = newCollection(m.CollectionConfig, string(meta.Get(keyUID)), s.dopt, s.cfg.floatBytes())
		c.gen = binary.BigEndian.Uint64(gen)
		c.indexes = indexes
		return nil
	})
	return c, err
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
				p.raw = bytes.Clone(p.rec.payload)
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
		c.payloads[slot] = p.raw
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

// countSparse is the loader's first pass over the sparse bucket: every
// vector's terms, those of freed slots included (they only make a list's
// first allocation a little larger).
func countSparse(sb *bolt.Bucket, l *vecindex.SparseLoader) error {
	var idx []uint32
	return sb.ForEach(func(k, v []byte) error {
		slot, err := keySlot(k)
		if err != nil {
			return err
		}
		if idx, err = sparseIndices(v, idx); err != nil {
			return fmt.Errorf("slot %d: %w", slot, err)
		}
		l.Count(idx)
		return nil
	})
}

// fillSparse is the loader's second pass: the vectors of live slots go in,
// the others are returned, for deletion.
func (c *collection) fillSparse(sb *bolt.Bucket, l *vecindex.SparseLoader) (strays []uint32, err error) {
	var sp index.Sparse // reused: the loader copies what it keeps
	err = sb.ForEach(func(k, v []byte) error {
		slot, err := keySlot(k)
		if err != nil {
			return err
		}
		if !c.live.has(slot) {
			strays = append(strays, slot)
			return nil
		}
		if err := decodeSparseInto(v, &sp); err != nil {
			return fmt.Errorf("slot %d: %w", slot, err)
		}
		l.Add(slot, sp.Indices, sp.Values)
		return nil
	})
	return strays, err
}

// loadFloats reads the live points' dense vectors into memory when they
// fit (see collection.floats), in key order.
func (c *collection) loadFloats(db *bolt.Bucket) error {
	if c.floats == nil {
		return nil
	}
	if c.n*vecindex.FloatsBytesPerVector(c.cfg.Dim) > c.floatLimit {
		c.floats = nil
		return nil
	}
	var buf []float32
	cur := db.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		slot, err := keySlot(k)
		if err != nil || v == nil || !c.live.has(slot) {
			continue
		}
		if buf, err = decodeDense(v, c.cfg.Dim, buf); err != nil {
			return fmt.Errorf("point %s: %w", c.ids[slot], err)
		}
		c.floats.Set(slot, buf)
	}
	return nil
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
