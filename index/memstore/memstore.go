package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/jieda/jieda/index"
)

var _ index.Store = (*Store)(nil)

// Store is an in-memory index.Store. The zero value is not usable; call New.
type Store struct {
	mu     sync.RWMutex
	closed bool
	cols   map[string]*collection
}

type collection struct {
	cfg     index.CollectionConfig
	indexes map[string]index.FieldType
	points  map[string]*point
}

// point is a stored point; it is never mutated in place, only replaced.
type point struct {
	payload index.Payload // canonical
	dense   []float32     // L2-normalized; nil when the collection has no dense vector
	sparse  *index.Sparse // nil when the point has no sparse vector
}

// New returns an empty store.
func New() *Store {
	return &Store{cols: map[string]*collection{}}
}

// Close marks the store closed. It is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.cols = nil
	return nil
}

// begin checks the context and the closed flag; callers hold s.mu.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed {
		return index.ErrClosed
	}
	return nil
}

// collection returns the named collection; callers hold s.mu.
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

// CreateCollection creates a collection, or does nothing if an identical one exists.
func (s *Store) CreateCollection(ctx context.Context, cfg index.CollectionConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
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
	s.cols[cfg.Name] = &collection{cfg: cfg, indexes: map[string]index.FieldType{}, points: map[string]*point{}}
	return nil
}

// DeleteCollection removes a collection and its points.
func (s *Store) DeleteCollection(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.collection(ctx, name); err != nil {
		return err
	}
	delete(s.cols, name)
	return nil
}

// Collections lists every collection, sorted by name.
func (s *Store) Collections(ctx context.Context) ([]index.CollectionInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	out := make([]index.CollectionInfo, 0, len(s.cols))
	for _, name := range slices.Sorted(maps.Keys(s.cols)) {
		out = append(out, s.cols[name].info())
	}
	return out, nil
}

// Collection returns one collection's info.
func (s *Store) Collection(ctx context.Context, name string) (index.CollectionInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, err := s.collection(ctx, name)
	if err != nil {
		return index.CollectionInfo{}, err
	}
	return c.info(), nil
}

func (c *collection) info() index.CollectionInfo {
	return index.CollectionInfo{CollectionConfig: c.cfg, Points: len(c.points), PayloadIndexes: maps.Clone(c.indexes)}
}

// CreatePayloadIndex records a payload index; another type replaces the old one.
func (s *Store) CreatePayloadIndex(ctx context.Context, collection, field string, typ index.FieldType) error {
	s.mu.Lock()
	defer s.mu.Unlock()
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
	c.indexes[field] = typ
	return nil
}
