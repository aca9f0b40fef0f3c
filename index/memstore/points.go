package memstore

import (
	"context"
	"fmt"

	"github.com/jieda/jieda/index"
)

// Upsert validates every point, then inserts or replaces them all; a later
// point in the batch wins over an earlier one with the same id.
func (s *Store) Upsert(ctx context.Context, collection string, points []index.Point) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(ctx, collection)
	if err != nil {
		return err
	}
	ids := make([]string, len(points))
	stored := make([]*point, len(points))
	for i, p := range points {
		if ids[i], err = index.CanonicalID(p.ID); err != nil {
			return err
		}
		var sp point
		if sp.payload, err = index.CanonicalPayload(p.Payload); err != nil {
			return fmt.Errorf("point %s: %w", ids[i], err)
		}
		if sp.dense, err = index.NormalizeDense(c.cfg, p.Dense); err != nil {
			return fmt.Errorf("point %s: %w", ids[i], err)
		}
		if sp.dense == nil && c.cfg.Dim > 0 {
			return fmt.Errorf("point %s: %w: collection %s needs a dense vector of %d dimensions",
				ids[i], index.ErrInvalidArgument, c.cfg.Name, c.cfg.Dim)
		}
		if sp.sparse, err = index.CheckSparse(c.cfg, p.Sparse); err != nil {
			return fmt.Errorf("point %s: %w", ids[i], err)
		}
		stored[i] = &sp
	}
	for i, id := range ids {
		c.points[id] = stored[i]
	}
	return nil
}

// Get returns the existing points among ids, each once, in the order first asked.
func (s *Store) Get(ctx context.Context, collection string, ids []string, with index.With) ([]index.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, err := s.collection(ctx, collection)
	if err != nil {
		return nil, err
	}
	canon, err := index.CanonicalIDs(ids)
	if err != nil {
		return nil, err
	}
	out := []index.Record{}
	seen := map[string]bool{}
	for _, id := range canon {
		if p, ok := c.points[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, p.record(id, with))
		}
	}
	return out, nil
}

// record is a copy of the point as read back.
func (p *point) record(id string, with index.With) index.Record {
	r := index.Record{ID: id}
	if with.Payload {
		r.Payload = index.CopyFields(p.payload, with.Fields)
	}
	if with.Vectors {
		if p.dense != nil {
			r.Dense = append([]float32(nil), p.dense...)
		}
		r.Sparse = copySparse(p.sparse)
	}
	return r
}

// Delete removes points by id; unknown ids are ignored.
func (s *Store) Delete(ctx context.Context, collection string, ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(ctx, collection)
	if err != nil {
		return err
	}
	canon, err := index.CanonicalIDs(ids)
	if err != nil {
		return err
	}
	for _, id := range canon {
		delete(c.points, id)
	}
	return nil
}

// DeleteByFilter removes every point matching f.
func (s *Store) DeleteByFilter(ctx context.Context, collection string, f *index.Filter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(ctx, collection)
	if err != nil {
		return err
	}
	if f == nil {
		return fmt.Errorf("%w: DeleteByFilter needs a filter", index.ErrInvalidArgument)
	}
	if err := f.Validate(); err != nil {
		return err
	}
	for id, p := range c.points {
		if f.Match(id, p.payload) {
			delete(c.points, id)
		}
	}
	return nil
}

// SetPayload merges payload's top-level keys into each existing point's payload.
func (s *Store) SetPayload(ctx context.Context, collection string, ids []string, payload index.Payload) error {
	return s.updatePayload(ctx, collection, ids, payload, func(old, p index.Payload) index.Payload {
		merged := index.CopyPayload(old)
		for k, v := range p {
			merged[k] = index.CopyValue(v)
		}
		return merged
	})
}

// SetPayloadWhere merges payload's top-level keys into the payload of
// every point matching f, under the store's lock.
func (s *Store) SetPayloadWhere(ctx context.Context, collection string, f *index.Filter, payload index.Payload) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(ctx, collection)
	if err != nil {
		return err
	}
	if f == nil {
		return fmt.Errorf("%w: SetPayloadWhere needs a filter", index.ErrInvalidArgument)
	}
	if err := f.Validate(); err != nil {
		return err
	}
	p, err := index.CanonicalPayload(payload)
	if err != nil {
		return err
	}
	for id, old := range c.points {
		if f.Match(id, old.payload) {
			np := *old
			np.payload = index.CopyPayload(old.payload)
			for k, v := range p {
				np.payload[k] = index.CopyValue(v)
			}
			c.points[id] = &np
		}
	}
	return nil
}

// OverwritePayload replaces each existing point's payload.
func (s *Store) OverwritePayload(ctx context.Context, collection string, ids []string, payload index.Payload) error {
	return s.updatePayload(ctx, collection, ids, payload, func(_, p index.Payload) index.Payload {
		return index.CopyPayload(p)
	})
}

func (s *Store) updatePayload(ctx context.Context, collection string, ids []string, payload index.Payload,
	update func(old, p index.Payload) index.Payload) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(ctx, collection)
	if err != nil {
		return err
	}
	canon, err := index.CanonicalIDs(ids)
	if err != nil {
		return err
	}
	p, err := index.CanonicalPayload(payload)
	if err != nil {
		return err
	}
	for _, id := range canon {
		if old, ok := c.points[id]; ok {
			np := *old
			np.payload = update(old.payload, p)
			c.points[id] = &np
		}
	}
	return nil
}

// Count counts the points matching f (nil: all).
func (s *Store) Count(ctx context.Context, collection string, f *index.Filter) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, err := s.collection(ctx, collection)
	if err != nil {
		return 0, err
	}
	if err := f.Validate(); err != nil {
		return 0, err
	}
	n := 0
	for id, p := range c.points {
		if f.Match(id, p.payload) {
			n++
		}
	}
	return n, nil
}
