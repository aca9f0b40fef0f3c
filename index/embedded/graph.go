package embedded

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/jieda/jieda/index/vecindex"
)

// A saved graph is <uid>.hnsw in the data directory:
//
//	magic "JIEDAHNSW\n" | uint32 BE graphFormat | 16-byte collection uid |
//	uint64 BE generation | uint32 BE dim | uint32 BE slots handed out |
//	uint32 BE CRC-32C of the header so far | the dense index as
//	vecindex.Dense.Save writes it (with its own checksum)
//
// It holds the graph and the vectors still pending at the save. It is
// written (temp file, fsync, rename) at Close and in the background as
// graph work accumulates, and used at Open when the uid matches and its
// generation is not newer than the database's: points written after it
// (their records carry a later generation) are then added as pending, and
// points deleted since are removed, instead of rebuilding the whole graph.
const graphExt = ".hnsw"

// graphFormat is the version of a saved graph's header. Slots and
// generations mean the same in database formats 1 and 2, so a graph saved
// before Open migrated the database stays valid.
const graphFormat = 1

var graphMagic = []byte("JIEDAHNSW\n")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (s *Store) graphPath(c *collection) string {
	return filepath.Join(s.cfg.Path, c.uid+graphExt)
}

// savedGraph is a dense index read from disk.
type savedGraph struct {
	d     *vecindex.Dense
	gen   uint64 // the collection generation it was saved at
	slots uint32 // the slots handed out then
	old   bool   // in an older format, worth saving again
}

// loadDense fills a freshly loaded collection's dense index: from the saved
// HNSW graph when there is a usable one (points written after the save
// then have their vectors read from the dense bucket and added, and
// points deleted since are removed), else by adding every vector from the
// dense bucket. Added vectors are left pending, for the indexer to link
// in the background.
func (s *Store) loadDense(c *collection, db *bolt.Bucket, points []loaded, g *savedGraph) error {
	vector := func(p *loaded) ([]float32, error) {
		v := db.Get(slotKey(p.rec.slot))
		if v == nil {
			return nil, fmt.Errorf("%w: point %s has no dense vector", ErrCorrupt, p.id)
		}
		vec, err := decodeDense(v, c.cfg.Dim, nil)
		if err != nil {
			return nil, fmt.Errorf("point %s: %w", p.id, err)
		}
		return vec, nil
	}
	if g != nil {
		live := newBitmap(int(c.nextSlot))
		var add []uint32
		var vecs [][]float32
		for i := range points {
			p := &points[i]
			live.set(p.rec.slot)
			if p.rec.gen > g.gen {
				vec, err := vector(p)
				if err != nil {
					return err
				}
				add = append(add, p.rec.slot)
				vecs = append(vecs, vec)
			}
		}
		removed := 0
		for slot := range max(g.slots, c.nextSlot) {
			if !live.has(slot) {
				if g.d.Has(slot) {
					g.d.Remove(slot)
					removed++
				}
			}
		}
		g.d.AddPending(add, vecs)
		if g.d.Len() == len(points) {
			c.dense = g.d
			c.savedGen, c.graphLoaded = g.gen, true
			c.work.Store(int64(removed))
			if g.old {
				// Saved again in this format, in the background after Open
				// (maybeSaveGraph: the whole graph counts as work to save).
				c.savedGen = 0
				c.work.Store(int64(c.dense.Len()))
			}
			s.log.Debug("loaded saved HNSW graph", "collection", c.cfg.Name, "generation", g.gen,
				"caught_up", len(add), "removed", removed, "pending", g.d.Pending())
			return nil
		}
		s.log.Warn("saved HNSW graph disagrees with the database; rebuilding", "collection", c.cfg.Name)
	}
	// Every vector pending, a batch at a time (AddPending copies them).
	const batch = 4096
	slots := make([]uint32, 0, batch)
	vecs := make([][]float32, 0, batch)
	for i := range points {
		vec, err := vector(&points[i])
		if err != nil {
			return err
		}
		slots, vecs = append(slots, points[i].rec.slot), append(vecs, vec)
		if len(slots) == batch || i == len(points)-1 {
			c.dense.AddPending(slots, vecs)
			slots, vecs = slots[:0], vecs[:0]
		}
	}
	return nil
}

// readGraph reads and checks c's saved graph; db is c's dense bucket, for
// the vectors that were pending at the save.
func (s *Store) readGraph(c *collection, db *bolt.Bucket) (g *savedGraph, err error) {
	f, err := os.Open(s.graphPath(c))
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	r := bufio.NewReaderSize(f, 1<<20)
	head := make([]byte, len(graphMagic)+4+16+8+4+4+4)
	if _, err := io.ReadFull(r, head); err != nil || !bytes.Equal(head[:len(graphMagic)], graphMagic) {
		return nil, fmt.Errorf("%w: not a saved graph", ErrCorrupt)
	}
	if crc32.Checksum(head[:len(head)-4], castagnoli) != binary.BigEndian.Uint32(head[len(head)-4:]) {
		return nil, fmt.Errorf("%w: saved graph header checksum mismatch", ErrCorrupt)
	}
	p := len(graphMagic)
	if v := binary.BigEndian.Uint32(head[p:]); v != graphFormat {
		return nil, fmt.Errorf("saved graph format %d", v)
	}
	p += 4
	if string(head[p:p+16]) != uidBytes(c.uid) {
		return nil, fmt.Errorf("saved graph belongs to another collection")
	}
	p += 16
	gen := binary.BigEndian.Uint64(head[p:])
	dim := binary.BigEndian.Uint32(head[p+8:])
	slots := binary.BigEndian.Uint32(head[p+12:])
	if gen > c.gen || int(dim) != c.cfg.Dim {
		return nil, fmt.Errorf("saved graph is of generation %d and dimension %d, the database of %d and %d", gen, dim, c.gen, c.cfg.Dim)
	}
	peek, _ := r.Peek(12)
	version, _ := vecindex.SavedVersion(peek)
	d, err := vecindex.LoadDense(r, denseFrom(c, db))
	if err != nil {
		return nil, err
	}
	if d.Dim() != c.cfg.Dim {
		return nil, fmt.Errorf("saved graph has dimension %d", d.Dim())
	}
	// The graph's shape must match the settings; search-time ones follow them.
	got, want := d.Options(), vecindex.NewDense(c.cfg.Dim, s.dopt).Options()
	if got.M != want.M || got.EfConstruction != want.EfConstruction || got.Seed != want.Seed {
		return nil, fmt.Errorf("saved graph was built with other settings (%+v, now %+v)", got, want)
	}
	d.SetSearchOptions(s.dopt)
	return &savedGraph{d: d, gen: gen, slots: slots, old: version < vecindex.FormatVersion}, nil
}

// maybeSaveGraph saves c's graph in the background once the graph work
// since the last save (vectors the indexer linked, vectors removed) reaches
// half the collection (and at least ExactBelow), which bounds what a crash
// leaves to re-link while keeping the total written during a bulk load a
// small multiple of the final size. Writers call it after each write, the
// indexer when it has linked everything pending.
func (s *Store) maybeSaveGraph(c *collection) {
	if c.dense == nil {
		return
	}
	if n := c.dense.Len(); n < max(1, s.cfg.ExactBelow) || c.work.Load() < int64(max(s.cfg.ExactBelow, n/2, 1000)) ||
		!c.saving.CompareAndSwap(false, true) {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
		c.saving.Store(false)
		if s.closed || s.cols[c.cfg.Name] != c {
			return
		}
		if err := s.saveGraph(c); err != nil {
			s.log.Warn("saving HNSW graph failed", "collection", c.cfg.Name, "err", err)
		}
	}()
}

// saveGraph persists c's dense index (graph and pending vectors) when it
// changed since the last save and holds a graph worth keeping. The caller
// holds writeMu, so the index is exactly the database's generation c.gen.
func (s *Store) saveGraph(c *collection) (err error) {
	work := c.work.Load()
	if c.dense == nil || c.gen == c.savedGen && work == 0 || c.dense.Len() < max(1, s.cfg.ExactBelow) {
		return nil
	}
	path := s.graphPath(c)
	tmp, err := os.CreateTemp(s.cfg.Path, ".graph-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	var head []byte
	head = append(head, graphMagic...)
	head = binary.BigEndian.AppendUint32(head, graphFormat)
	head = append(head, uidBytes(c.uid)...)
	head = binary.BigEndian.AppendUint64(head, c.gen)
	head = binary.BigEndian.AppendUint32(head, uint32(c.cfg.Dim))
	head = binary.BigEndian.AppendUint32(head, c.nextSlot)
	head = binary.BigEndian.AppendUint32(head, crc32.Checksum(head, castagnoli))
	if _, err = w.Write(head); err != nil {
		return err
	}
	c.saveMu.Lock()
	err = c.dense.Save(w)
	c.saveMu.Unlock()
	if err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	c.savedGen = c.gen
	c.work.Add(-work)
	return syncDir(s.cfg.Path)
}

// removeGraph deletes c's saved graph.
func (s *Store) removeGraph(c *collection) {
	_ = os.Remove(s.graphPath(c))
}

// removeStrayFiles deletes what a crash can leave in the data directory:
// temporary files of interrupted saves and the graphs of collections that
// no longer exist.
func (s *Store) removeStrayFiles() {
	keep := map[string]bool{}
	for _, c := range s.cols {
		keep[c.uid+graphExt] = true
	}
	entries, _ := os.ReadDir(s.cfg.Path)
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, graphExt) && !keep[name] ||
			strings.HasPrefix(name, ".graph-") && strings.HasSuffix(name, ".tmp") {
			_ = os.Remove(filepath.Join(s.cfg.Path, name))
		}
	}
}

// removeGraphs deletes every saved graph in dir.
func removeGraphs(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), graphExt) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// uidBytes is the 16-byte form of a collection uid (its UUID bytes).
func uidBytes(uid string) string {
	u, _ := uuid.Parse(uid) // a bad uid gives zeros, which match no saved graph's
	return string(u[:])
}
