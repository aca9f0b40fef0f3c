package qdrant

import (
	"context"
	"fmt"

	qc "github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/proto"

	"github.com/jieda/jieda/index"
)

// An Upsert request carries at most upsertBatch points and, unless one
// point is larger, upsertBytes of them (Qdrant caps request sizes).
const (
	upsertBatch = 256
	upsertBytes = 8 << 20
)

// Upsert validates every point, then writes them in batches, each waited
// for; a later point in the call wins over an earlier one with the same id.
func (s *Store) Upsert(ctx context.Context, collection string, points []index.Point) error {
	cfg, err := s.collection(ctx, collection)
	if err != nil {
		return err
	}
	structs := make([]*qc.PointStruct, len(points))
	for i, p := range points {
		if structs[i], err = toPoint(cfg, p); err != nil {
			return err
		}
	}
	for len(structs) > 0 {
		n, size := 0, 0
		for n < len(structs) && n < upsertBatch {
			size += proto.Size(structs[n])
			if n > 0 && size > upsertBytes {
				break
			}
			n++
		}
		batch := structs[:n]
		structs = structs[n:]
		err := s.do(ctx, collection, "upserting points", func(ctx context.Context) error {
			_, err := s.conn().points.Upsert(ctx, &qc.UpsertPoints{
				CollectionName: s.qname(collection),
				Wait:           qc.PtrOf(true),
				Points:         batch,
				Ordering:       s.ordering(),
			})
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// toPoint validates a point and converts it.
func toPoint(cfg index.CollectionConfig, p index.Point) (*qc.PointStruct, error) {
	id, err := index.CanonicalID(p.ID)
	if err != nil {
		return nil, err
	}
	payload, err := index.CanonicalPayload(p.Payload)
	if err != nil {
		return nil, fmt.Errorf("point %s: %w", id, err)
	}
	values, err := toValues(payload)
	if err != nil {
		return nil, fmt.Errorf("point %s: %w", id, err)
	}
	hasDense, err := checkDense(cfg, p.Dense)
	if err != nil {
		return nil, fmt.Errorf("point %s: %w", id, err)
	}
	if !hasDense && cfg.Dim > 0 {
		return nil, fmt.Errorf("point %s: %w: collection %s needs a dense vector of %d dimensions",
			id, index.ErrInvalidArgument, cfg.Name, cfg.Dim)
	}
	hasSparse, err := checkSparse(cfg, p.Sparse)
	if err != nil {
		return nil, fmt.Errorf("point %s: %w", id, err)
	}
	vectors := map[string]*qc.Vector{}
	if hasDense {
		vectors[index.DenseVectorName] = qc.NewVectorDense(p.Dense)
	}
	if hasSparse {
		vectors[index.SparseVectorName] = qc.NewVectorSparse(p.Sparse.Indices, p.Sparse.Values)
	}
	return &qc.PointStruct{Id: qc.NewIDUUID(id), Payload: values, Vectors: qc.NewVectorsMap(vectors)}, nil
}

// Get returns the existing points among ids, each once, in the order first asked.
func (s *Store) Get(ctx context.Context, collection string, ids []string, with index.With) ([]index.Record, error) {
	if _, err := s.collection(ctx, collection); err != nil {
		return nil, err
	}
	canon, err := index.CanonicalIDs(ids)
	if err != nil {
		return nil, err
	}
	out := []index.Record{}
	if len(canon) == 0 {
		return out, nil
	}
	var resp *qc.GetResponse
	err = s.do(ctx, collection, "getting points", func(ctx context.Context) (err error) {
		resp, err = s.conn().points.Get(ctx, &qc.GetPoints{
			CollectionName: s.qname(collection),
			Ids:            pointIDs(canon),
			WithPayload:    withPayload(with),
			WithVectors:    withVectors(with),
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	byID := map[string]index.Record{}
	for _, p := range resp.GetResult() {
		r := record(p.GetId(), p.GetPayload(), p.GetVectors(), with)
		byID[r.ID] = r
	}
	for _, id := range canon {
		if r, ok := byID[id]; ok {
			out = append(out, r)
			delete(byID, id)
		}
	}
	return out, nil
}

// Delete removes points by id; unknown ids are ignored.
func (s *Store) Delete(ctx context.Context, collection string, ids []string) error {
	if _, err := s.collection(ctx, collection); err != nil {
		return err
	}
	canon, err := index.CanonicalIDs(ids)
	if err != nil {
		return err
	}
	if len(canon) == 0 {
		return nil
	}
	return s.deletePoints(ctx, collection, qc.NewPointsSelectorIDs(pointIDs(canon)))
}

// DeleteByFilter removes every point matching f.
func (s *Store) DeleteByFilter(ctx context.Context, collection string, f *index.Filter) error {
	if _, err := s.collection(ctx, collection); err != nil {
		return err
	}
	if f == nil {
		return fmt.Errorf("%w: DeleteByFilter needs a filter", index.ErrInvalidArgument)
	}
	if err := f.Validate(); err != nil {
		return err
	}
	return s.deletePoints(ctx, collection, qc.NewPointsSelectorFilter(toFilter(f)))
}

func (s *Store) deletePoints(ctx context.Context, collection string, sel *qc.PointsSelector) error {
	return s.do(ctx, collection, "deleting points", func(ctx context.Context) error {
		_, err := s.conn().points.Delete(ctx, &qc.DeletePoints{
			CollectionName: s.qname(collection),
			Wait:           qc.PtrOf(true),
			Points:         sel,
			Ordering:       s.ordering(),
		})
		return err
	})
}

// SetPayload merges payload's top-level keys into each existing point's payload.
func (s *Store) SetPayload(ctx context.Context, collection string, ids []string, payload index.Payload) error {
	return s.setPayload(ctx, collection, ids, payload, false)
}

// OverwritePayload replaces each existing point's payload.
func (s *Store) OverwritePayload(ctx context.Context, collection string, ids []string, payload index.Payload) error {
	return s.setPayload(ctx, collection, ids, payload, true)
}

// setPayload selects the points by a has_id filter, not an id list:
// Qdrant fails an id list naming a missing point, and the contract
// ignores missing ids.
func (s *Store) setPayload(ctx context.Context, collection string, ids []string, payload index.Payload, overwrite bool) error {
	if _, err := s.collection(ctx, collection); err != nil {
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
	values, err := toValues(p)
	if err != nil {
		return err
	}
	if len(canon) == 0 || (len(values) == 0 && !overwrite) {
		return nil
	}
	req := &qc.SetPayloadPoints{
		CollectionName: s.qname(collection),
		Wait:           qc.PtrOf(true),
		Payload:        values,
		PointsSelector: qc.NewPointsSelectorFilter(hasIDs(canon)),
		Ordering:       s.ordering(),
	}
	op, rpc := "setting payload", s.conn().points.SetPayload
	if overwrite {
		op, rpc = "overwriting payload", s.conn().points.OverwritePayload
	}
	return s.do(ctx, collection, op, func(ctx context.Context) error {
		_, err := rpc(ctx, req)
		return err
	})
}

// SetPayloadWhere merges payload's top-level keys into the payload of
// every point matching f: one set_payload with a filter selector, which
// Qdrant evaluates when it applies the update (a shard's updates apply
// in order; write_ordering strong orders them across replicas too).
func (s *Store) SetPayloadWhere(ctx context.Context, collection string, f *index.Filter, payload index.Payload) error {
	if _, err := s.collection(ctx, collection); err != nil {
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
	values, err := toValues(p)
	if err != nil || len(values) == 0 {
		return err
	}
	req := &qc.SetPayloadPoints{
		CollectionName: s.qname(collection),
		Wait:           qc.PtrOf(true),
		Payload:        values,
		PointsSelector: qc.NewPointsSelectorFilter(toFilter(f)),
		Ordering:       s.ordering(),
	}
	return s.do(ctx, collection, "setting payload by filter", func(ctx context.Context) error {
		_, err := s.conn().points.SetPayload(ctx, req)
		return err
	})
}

// Count counts the points matching f (nil: all), exactly.
func (s *Store) Count(ctx context.Context, collection string, f *index.Filter) (int, error) {
	if _, err := s.collection(ctx, collection); err != nil {
		return 0, err
	}
	if err := f.Validate(); err != nil {
		return 0, err
	}
	return s.count(ctx, collection, toFilter(f))
}

func (s *Store) count(ctx context.Context, collection string, f *qc.Filter) (int, error) {
	var resp *qc.CountResponse
	err := s.do(ctx, collection, "counting points", func(ctx context.Context) (err error) {
		resp, err = s.conn().points.Count(ctx, &qc.CountPoints{
			CollectionName: s.qname(collection),
			Filter:         f,
			Exact:          qc.PtrOf(true),
		})
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(resp.GetResult().GetCount()), nil
}
