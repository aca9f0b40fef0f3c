package qdranttest

import (
	"cmp"
	"context"
	"slices"

	qc "github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jieda/jieda/index"
)

// points implements the Points service: Upsert, Get, Delete, SetPayload,
// OverwritePayload, CreateFieldIndex, Count, Scroll, Query and QueryGroups.
type points struct {
	qc.UnimplementedPointsServer
	s *Server
}

func (p *points) backing() index.Store { return p.s.backing }

func requireWait(wait *bool) error {
	if wait == nil || !*wait {
		return status.Error(codes.FailedPrecondition, "qdranttest: writes must set wait=true")
	}
	return nil
}

func done() *qc.PointsOperationResponse {
	return &qc.PointsOperationResponse{Result: &qc.UpdateResult{Status: qc.UpdateStatus_Completed}}
}

func (p *points) Upsert(ctx context.Context, req *qc.UpsertPoints) (*qc.PointsOperationResponse, error) {
	if err := requireWait(req.Wait); err != nil {
		return nil, err
	}
	if req.UpdateFilter != nil || req.UpdateMode != nil || req.ShardKeySelector != nil {
		return nil, unsupported("update_filter, update_mode or shard keys")
	}
	name := req.GetCollectionName()
	pts := make([]index.Point, 0, len(req.GetPoints()))
	for _, ps := range req.GetPoints() {
		id, err := decodeID(ps.GetId())
		if err != nil {
			return nil, err
		}
		pt := index.Point{ID: id, Payload: decodePayload(ps.GetPayload())}
		vs := ps.GetVectors()
		if _, unnamed := vs.GetVectorsOptions().(*qc.Vectors_Vector); unnamed {
			return nil, invalid("Not existing vector name error: ")
		}
		for vname, v := range vs.GetVectors().GetVectors() {
			switch vname {
			case index.DenseVectorName:
				d := v.GetDense().GetData()
				if d == nil && v.GetIndices() == nil { //nolint:staticcheck // the fake accepts Qdrant's deprecated encoding too
					d = v.GetData() //nolint:staticcheck // deprecated encoding
				}
				if d == nil {
					return nil, invalid("Conversion between sparse and regular vectors failed")
				}
				pt.Dense = d
			case index.SparseVectorName:
				sp, err := decodeSparse(v)
				if err != nil {
					return nil, err
				}
				pt.Sparse = sp
			default:
				return nil, invalid("Not existing vector name error: %s", vname)
			}
		}
		pts = append(pts, pt)
	}
	if err := p.backing().Upsert(ctx, name, pts); err != nil {
		return nil, statusOf(err, name)
	}
	return done(), nil
}

// decodeSparse reads a sparse vector; Qdrant accepts any index order but
// refuses duplicates and length mismatches.
func decodeSparse(v *qc.Vector) (*index.Sparse, error) {
	var indices []uint32
	var values []float32
	switch {
	case v.GetSparse() != nil:
		indices, values = v.GetSparse().GetIndices(), v.GetSparse().GetValues()
	case v.GetIndices() != nil: //nolint:staticcheck // deprecated encoding, still accepted by Qdrant
		indices, values = v.GetIndices().GetData(), v.GetData() //nolint:staticcheck // deprecated encoding
	default:
		return nil, invalid("Conversion between sparse and regular vectors failed")
	}
	if len(indices) != len(values) {
		return nil, invalid("Validation error in body: [sparse vector: indices and values must be the same length]")
	}
	order := make([]int, len(indices))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(indices[a], indices[b]) })
	sp := &index.Sparse{}
	for k, i := range order {
		if k > 0 && indices[i] == sp.Indices[k-1] {
			return nil, invalid("Validation error in body: [sparse vector: indices must be unique]")
		}
		sp.Indices = append(sp.Indices, indices[i])
		sp.Values = append(sp.Values, values[i])
	}
	return sp, nil
}

func (p *points) Get(ctx context.Context, req *qc.GetPoints) (*qc.GetResponse, error) {
	name := req.GetCollectionName()
	ids, err := decodeIDs(req.GetIds())
	if err != nil {
		return nil, err
	}
	with, include, err := decodeWith(req.GetWithPayload(), req.GetWithVectors())
	if err != nil {
		return nil, err
	}
	recs, err := p.backing().Get(ctx, name, ids, with)
	if err != nil {
		return nil, statusOf(err, name)
	}
	// Qdrant promises no order; return by id, not as asked.
	slices.SortFunc(recs, func(a, b index.Record) int { return cmp.Compare(a.ID, b.ID) })
	out := &qc.GetResponse{}
	for _, r := range recs {
		out.Result = append(out.Result, retrieved(r, with, include))
	}
	return out, nil
}

// all returns every point matching f, by id.
func (p *points) all(ctx context.Context, name string, f *index.Filter, with index.With) ([]index.Record, error) {
	var out []index.Record
	req := index.ScrollRequest{Filter: f, Limit: 10000, With: with}
	for {
		page, err := p.backing().Scroll(ctx, name, req)
		if err != nil {
			return nil, statusOf(err, name)
		}
		out = append(out, page.Points...)
		if page.Next == "" {
			break
		}
		req.Cursor = page.Next
	}
	slices.SortFunc(out, func(a, b index.Record) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// selected resolves a points selector to ids. With an id list every id
// must exist when mustExist (as Qdrant's payload updates require).
func (p *points) selected(ctx context.Context, name string, sel *qc.PointsSelector, mustExist bool) ([]string, error) {
	switch x := sel.GetPointsSelectorOneOf().(type) {
	case *qc.PointsSelector_Points:
		ids, err := decodeIDs(x.Points.GetIds())
		if err != nil || !mustExist {
			return ids, err
		}
		recs, err := p.backing().Get(ctx, name, ids, index.With{})
		if err != nil {
			return nil, statusOf(err, name)
		}
		have := map[string]bool{}
		for _, r := range recs {
			have[r.ID] = true
		}
		for _, id := range ids {
			if !have[id] {
				return nil, status.Errorf(codes.NotFound, "Not found: No point with id %s found", id)
			}
		}
		return ids, nil
	case *qc.PointsSelector_Filter:
		f, err := decodeFilter(x.Filter)
		if err != nil {
			return nil, err
		}
		recs, err := p.all(ctx, name, f, index.With{})
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(recs))
		for i, r := range recs {
			ids[i] = r.ID
		}
		return ids, nil
	}
	return nil, invalid("points selector is missing")
}

func (p *points) Delete(ctx context.Context, req *qc.DeletePoints) (*qc.PointsOperationResponse, error) {
	if err := requireWait(req.Wait); err != nil {
		return nil, err
	}
	name := req.GetCollectionName()
	var err error
	switch x := req.GetPoints().GetPointsSelectorOneOf().(type) {
	case *qc.PointsSelector_Points:
		var ids []string
		if ids, err = decodeIDs(x.Points.GetIds()); err != nil {
			return nil, err
		}
		err = p.backing().Delete(ctx, name, ids)
	case *qc.PointsSelector_Filter:
		var f *index.Filter
		if f, err = decodeFilter(x.Filter); err != nil {
			return nil, err
		}
		if f == nil {
			f = &index.Filter{}
		}
		err = p.backing().DeleteByFilter(ctx, name, f)
	default:
		return nil, invalid("points selector is missing")
	}
	if err != nil {
		return nil, statusOf(err, name)
	}
	return done(), nil
}

func (p *points) SetPayload(ctx context.Context, req *qc.SetPayloadPoints) (*qc.PointsOperationResponse, error) {
	return p.setPayload(ctx, req, false, p.backing().SetPayload)
}

func (p *points) OverwritePayload(ctx context.Context, req *qc.SetPayloadPoints) (*qc.PointsOperationResponse, error) {
	return p.setPayload(ctx, req, true, p.backing().OverwritePayload)
}

func (p *points) setPayload(ctx context.Context, req *qc.SetPayloadPoints, overwrite bool,
	apply func(context.Context, string, []string, index.Payload) error) (*qc.PointsOperationResponse, error) {
	if err := requireWait(req.Wait); err != nil {
		return nil, err
	}
	if req.Key != nil {
		return nil, unsupported("set_payload with a key")
	}
	name := req.GetCollectionName()
	if x, ok := req.GetPointsSelector().GetPointsSelectorOneOf().(*qc.PointsSelector_Filter); ok && !overwrite {
		// As in Qdrant, the filter is evaluated as the update applies.
		f, err := decodeFilter(x.Filter)
		if err != nil {
			return nil, err
		}
		if f == nil {
			f = &index.Filter{}
		}
		if err := p.backing().SetPayloadWhere(ctx, name, f, decodePayload(req.GetPayload())); err != nil {
			return nil, statusOf(err, name)
		}
		return done(), nil
	}
	ids, err := p.selected(ctx, name, req.GetPointsSelector(), true)
	if err != nil {
		return nil, err
	}
	if err := apply(ctx, name, ids, decodePayload(req.GetPayload())); err != nil {
		return nil, statusOf(err, name)
	}
	return done(), nil
}

var fieldTypes = map[qc.FieldType]index.FieldType{
	qc.FieldType_FieldTypeKeyword:  index.FieldKeyword,
	qc.FieldType_FieldTypeInteger:  index.FieldInteger,
	qc.FieldType_FieldTypeFloat:    index.FieldFloat,
	qc.FieldType_FieldTypeBool:     index.FieldBool,
	qc.FieldType_FieldTypeDatetime: index.FieldDatetime,
}

func (p *points) CreateFieldIndex(ctx context.Context, req *qc.CreateFieldIndexCollection) (*qc.PointsOperationResponse, error) {
	if err := requireWait(req.Wait); err != nil {
		return nil, err
	}
	if req.FieldIndexParams != nil {
		return nil, unsupported("field index params")
	}
	if req.FieldType == nil {
		return nil, invalid("field_type is required")
	}
	t, ok := fieldTypes[req.GetFieldType()]
	if !ok {
		return nil, unsupported("field type " + req.GetFieldType().String())
	}
	name := req.GetCollectionName()
	if err := p.backing().CreatePayloadIndex(ctx, name, req.GetFieldName(), t); err != nil {
		return nil, statusOf(err, name)
	}
	return done(), nil
}

func (p *points) Count(ctx context.Context, req *qc.CountPoints) (*qc.CountResponse, error) {
	name := req.GetCollectionName()
	f, err := decodeFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	n, err := p.backing().Count(ctx, name, f)
	if err != nil {
		return nil, statusOf(err, name)
	}
	return &qc.CountResponse{Result: &qc.CountResult{Count: uint64(n)}}, nil
}
