package embedded

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/vecindex"
)

var _ index.Store = (*Store)(nil)

// formatVersion is the storage format this build writes. A database or
// backup with a larger version is refused with ErrNewerFormat; one of
// format 1 is migrated at Open (see migrate.go).
const formatVersion = 2

// DBFile is the database file's name inside the data directory.
const DBFile = "jieda.db"

// lockTimeout is how long Open waits for another process's file lock.
const lockTimeout = time.Second

// bbolt layout:
//
//	meta/format                 uint32 big-endian format version
//	collections/<name>/meta/    config (JSON), uid, gen (uint64 BE), indexes (JSON)
//	collections/<name>/points/  16 id bytes → record: slot, generation, payload (see encodeRecord)
//	collections/<name>/dense/   4-byte BE slot → dense vector (see encodeDense)
//	collections/<name>/sparse/  4-byte BE slot → sparse vector (see encodeSparse)
//
// A slot's vectors never change while a point holds it: a write that
// changes a point's vectors gives it a fresh slot, and the vectors of the
// slots a write frees are deleted by the next write (see
// collection.unstored), once no reader can still see them. So a reader
// holding Store.mu can read a live slot's vectors from the database even
// while a writer commits.
var (
	bucketMeta        = []byte("meta")
	bucketCollections = []byte("collections")
	bucketPoints      = []byte("points")
	bucketDense       = []byte("dense")
	bucketSparse      = []byte("sparse")
	keyFormat         = []byte("format")
	keyConfig         = []byte("config")
	keyUID            = []byte("uid")
	keyGen            = []byte("gen")
	keyIndexes        = []byte("indexes")
)

// Store is the embedded index.Store: bbolt on disk, indexes in memory.
// Every method is safe for concurrent use: readers run in parallel,
// writers one at a time.
type Store struct {
	cfg  Config
	log  *slog.Logger
	db   *bolt.DB
	dopt vecindex.DenseOptions

	// writeMu serializes writers; the writer holding it may read the
	// in-memory state without mu.
	writeMu sync.Mutex
	// mu guards cols, closed and every collection's visible state.
	mu     sync.RWMutex
	cols   map[string]*collection
	closed bool

	bg  sync.WaitGroup // background graph saves
	idx *indexer       // links pending dense vectors into the graphs
}

// Open opens (creating if needed) the store in cfg.Path and loads every
// collection into memory. A directory another store holds open is
// ErrLocked after a short wait, never a hang.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Path, 0o750); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	path := filepath.Join(cfg.Path, DBFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      lockTimeout,
		NoSync:       cfg.NoSync,
		FreelistType: bolt.FreelistMapType,
		MmapFlags:    cfg.mmapFlags(),
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: %w (another jieda process, or another store in this one, has it open)", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	s := &Store{
		cfg:  cfg,
		log:  logger,
		db:   db,
		cols: map[string]*collection{},
		idx:  newIndexer(),
		dopt: vecindex.DenseOptions{
			ExactBelow:     cmp.Or(cfg.ExactBelow, -1), // 0: graph from the first point
			M:              cfg.HNSWM,
			EfConstruction: cfg.HNSWEfConstruction,
			EfSearch:       cfg.HNSWEfSearch,
			Seed:           1,
		},
	}
	if err := s.load(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	s.removeStrayFiles()
	for _, c := range s.cols {
		s.maybeSaveGraph(c)
	}
	go s.runIndexer()
	return s, nil
}

// load checks the format version, migrates a format-1 database, and loads
// every collection.
func (s *Store) load(ctx context.Context) error {
	format := uint32(formatVersion)
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if v := meta.Get(keyFormat); v != nil {
			if len(v) != 4 {
				return fmt.Errorf("%w: format version of %d bytes", ErrCorrupt, len(v))
			}
			switch format = binary.BigEndian.Uint32(v); {
			case format > formatVersion:
				return fmt.Errorf("%w: database format %d, this build reads up to %d", ErrNewerFormat, format, formatVersion)
			case format == 0:
				return fmt.Errorf("%w: database format 0", ErrCorrupt)
			}
		} else if err := meta.Put(keyFormat, binary.BigEndian.AppendUint32(nil, formatVersion)); err != nil {
			return err
		}
		_, err = tx.CreateBucketIfNotExists(bucketCollections)
		return err
	})
	if err != nil {
		return fmt.Errorf("opening %s: %w", s.db.Path(), err)
	}
	var names []string
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCollections).ForEachBucket(func(k []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	if err != nil {
		return err
	}
	if format < formatVersion {
		if err := s.migrate(ctx, names); err != nil {
			return fmt.Errorf("opening %s: %w", s.db.Path(), err)
		}
	}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		c, err := s.loadCollection(name)
		if err != nil {
			return fmt.Errorf("loading collection %s: %w", name, err)
		}
		s.cols[name] = c
		s.log.Debug("loaded collection", "collection", name, "points", c.n, "took", time.Since(start))
	}
	return nil
}

// begin checks the context and the closed flag; callers hold mu or writeMu.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed {
		return index.ErrClosed
	}
	return nil
}

// collection returns the named collection; callers hold mu or writeMu.
func (s *Store) collection(ctx context.Context, name string) (*collection, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	if err := index.ValidateCollectionName(name); err != nil {
		return nil, err
	}
	c, ok := s.cols[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", index.ErrCollectionNotFound, name)
	}
	return c, nil
}

// reader locks the store for reading and returns the named collection.
func (s *Store) reader(ctx context.Context, name string) (*collection, func(), error) {
	s.mu.RLock()
	c, err := s.collection(ctx, name)
	if err != nil {
		s.mu.RUnlock()
		return nil, nil, err
	}
	return c, s.mu.RUnlock, nil
}

// Close stops the indexer (after the batch in progress), saves the HNSW
// graphs that changed, pending vectors included, and closes the database.
// It is idempotent; every other method returns index.ErrClosed afterwards.
func (s *Store) Close() error {
	s.idx.halt()
	s.writeMu.Lock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.writeMu.Unlock()
		return nil
	}
	s.closed = true
	for name, c := range s.cols {
		if err := s.saveGraph(c); err != nil {
			s.log.Warn("saving HNSW graph failed; the next open rebuilds it", "collection", name, "err", err)
		}
	}
	s.cols = nil
	err := s.db.Close()
	s.mu.Unlock()
	s.writeMu.Unlock()
	s.bg.Wait()
	return err
}

// collectionMeta is the JSON of a collection's meta/config key.
type collectionMeta struct {
	index.CollectionConfig
}

// CreateCollection creates a collection, or does nothing if one with the
// same settings exists.
func (s *Store) CreateCollection(ctx context.Context, cfg index.CollectionConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.begin(ctx); err != nil {
		return err
	}
	if c, ok := s.cols[cfg.Name]; ok {
		switch {
		case c.cfg.Dim != cfg.Dim:
			return fmt.Errorf("%w: collection %s has dimension %d, not %d", index.ErrDimensionMismatch, cfg.Name, c.cfg.Dim, cfg.Dim)
		case c.cfg != cfg:
			return fmt.Errorf("%w: collection %s exists with sparse=%t, not %t", index.ErrInvalidArgument, cfg.Name, c.cfg.Sparse, cfg.Sparse)
		}
		return nil
	}
	uid := uuid.NewString()
	conf, err := json.Marshal(collectionMeta{cfg})
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		cb, err := tx.Bucket(bucketCollections).CreateBucket([]byte(cfg.Name))
		if err != nil {
			return err
		}
		meta, err := cb.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		for _, b := range [][]byte{bucketPoints, bucketDense, bucketSparse} {
			if _, err := cb.CreateBucket(b); err != nil {
				return err
			}
		}
		return errors.Join(meta.Put(keyConfig, conf), meta.Put(keyUID, []byte(uid)),
			meta.Put(keyGen, binary.BigEndian.AppendUint64(nil, 0)), meta.Put(keyIndexes, []byte("{}")))
	})
	if err != nil {
		return fmt.Errorf("creating collection %s: %w", cfg.Name, err)
	}
	c := newCollection(cfg, uid, s.dopt, s.cfg.floatBytes())
	s.mu.Lock()
	s.cols[cfg.Name] = c
	s.mu.Unlock()
	return nil
}

// DeleteCollection removes a collection, its points and its saved graph.
func (s *Store) DeleteCollection(ctx context.Context, name string) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	c, err := s.collection(ctx, name)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCollections).DeleteBucket([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("deleting collection %s: %w", name, err)
	}
	s.mu.Lock()
	delete(s.cols, name)
	s.mu.Unlock()
	s.removeGraph(c)
	return nil
}

// Collections lists every collection's info, sorted by name.
func (s *Store) Collections(ctx context.Context) ([]index.CollectionInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(s.cols))
	for name := range s.cols {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make([]index.CollectionInfo, 0, len(names))
	for _, name := range names {
		out = append(out, s.cols[name].info())
	}
	return out, nil
}

// Collection returns one collection's settings, point count and payload indexes.
func (s *Store) Collection(ctx context.Context, name string) (index.CollectionInfo, error) {
	c, unlock, err := s.reader(ctx, name)
	if err != nil {
		return index.CollectionInfo{}, err
	}
	defer unlock()
	return c.info(), nil
}

// CreatePayloadIndex indexes a payload field; another type replaces the
// index's type.
func (s *Store) CreatePayloadIndex(ctx context.Context, collection, field string, typ index.FieldType) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	c, err := s.collection(ctx, collection)
	if err != nil {
		return err
	}
	if field == "" {
		return fmt.Errorf("%w: payload index without a field name", index.ErrInvalidArgument)
	}
	switch typ {
	case index.FieldKeyword, index.FieldInteger, index.FieldFloat, index.FieldBool, index.FieldDatetime:
	default:
		return fmt.Errorf("%w: unknown payload index type %q", index.ErrInvalidArgument, typ)
	}
	if c.indexes[field] == typ {
		return nil
	}
	indexes := c.info().PayloadIndexes
	indexes[field] = typ
	b, err := json.Marshal(indexes)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return collectionBucket(tx, collection).Bucket(bucketMeta).Put(keyIndexes, b)
	})
	if err != nil {
		return fmt.Errorf("creating payload index %s.%s: %w", collection, field, err)
	}
	fi := c.buildIndex(field, typ, c.payload)
	s.mu.Lock()
	c.indexes[field] = typ
	c.fields[field] = fi
	s.mu.Unlock()
	return nil
}

func collectionBucket(tx *bolt.Tx, name string) *bolt.Bucket {
	return tx.Bucket(bucketCollections).Bucket([]byte(name))
}
