package qdranttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	qc "github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jieda/jieda/index"
)

// statusOf converts a backing-store error to the status Qdrant returns.
func statusOf(err error, collection string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, index.ErrCollectionNotFound):
		return status.Errorf(codes.NotFound, "Not found: Collection `%s` doesn't exist!", collection)
	case errors.Is(err, index.ErrDimensionMismatch):
		return status.Errorf(codes.InvalidArgument, "Wrong input: Vector dimension error: %v", err)
	case errors.Is(err, index.ErrNoPayloadIndex):
		return status.Errorf(codes.InvalidArgument, "Bad request: %v", err)
	case errors.Is(err, index.ErrInvalidArgument), errors.Is(err, index.ErrInvalidID):
		return status.Errorf(codes.InvalidArgument, "Wrong input: %v", err)
	case errors.Is(err, index.ErrClosed), errors.Is(err, index.ErrUnavailable):
		return status.Errorf(codes.Unavailable, "Service unavailable: %v", err)
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Errorf(codes.Internal, "Service internal error: %v", err)
}

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, "Wrong input: "+format, args...)
}

func unsupported(what string) error {
	return status.Errorf(codes.Unimplemented, "qdranttest: %s is not supported by the fake", what)
}

// decodeID converts a point id; the fake stores UUIDs only.
func decodeID(id *qc.PointId) (string, error) {
	switch x := id.GetPointIdOptions().(type) {
	case *qc.PointId_Uuid:
		c, err := index.CanonicalID(x.Uuid)
		if err != nil {
			return "", invalid("Unable to parse UUID: %s", x.Uuid)
		}
		return c, nil
	case *qc.PointId_Num:
		return "", unsupported("a numeric point id")
	}
	return "", invalid("empty point id")
}

func decodeIDs(ids []*qc.PointId) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		s, err := decodeID(id)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// decodePayload converts Qdrant values to a payload.
func decodePayload(m map[string]*qc.Value) index.Payload {
	out := index.Payload{}
	for k, v := range m {
		out[k] = decodeValue(v)
	}
	return out
}

func decodeValue(v *qc.Value) any {
	switch x := v.GetKind().(type) {
	case *qc.Value_NullValue:
		return nil
	case *qc.Value_BoolValue:
		return x.BoolValue
	case *qc.Value_IntegerValue:
		return x.IntegerValue
	case *qc.Value_DoubleValue:
		return x.DoubleValue
	case *qc.Value_StringValue:
		return x.StringValue
	case *qc.Value_ListValue:
		out := []any{}
		for _, e := range x.ListValue.GetValues() {
			out = append(out, decodeValue(e))
		}
		return out
	case *qc.Value_StructValue:
		return decodePayload(x.StructValue.GetFields())
	}
	return nil
}

// encodePayload converts a canonical payload to Qdrant values.
func encodePayload(p index.Payload) map[string]*qc.Value {
	out := make(map[string]*qc.Value, len(p))
	for k, v := range p {
		out[k] = encodeValue(v)
	}
	return out
}

func encodeValue(v any) *qc.Value {
	switch x := v.(type) {
	case bool:
		return &qc.Value{Kind: &qc.Value_BoolValue{BoolValue: x}}
	case int64:
		return &qc.Value{Kind: &qc.Value_IntegerValue{IntegerValue: x}}
	case float64:
		return &qc.Value{Kind: &qc.Value_DoubleValue{DoubleValue: x}}
	case string:
		return &qc.Value{Kind: &qc.Value_StringValue{StringValue: x}}
	case []any:
		list := &qc.ListValue{}
		for _, e := range x {
			list.Values = append(list.Values, encodeValue(e))
		}
		return &qc.Value{Kind: &qc.Value_ListValue{ListValue: list}}
	case map[string]any:
		return &qc.Value{Kind: &qc.Value_StructValue{StructValue: &qc.Struct{Fields: encodePayload(x)}}}
	}
	return &qc.Value{Kind: &qc.Value_NullValue{}}
}

// DecodeFilter converts a Qdrant filter back to the index filter it
// expresses, as the server does with every request's filter. Conditions
// the fake does not support are an Unimplemented status error.
func DecodeFilter(f *qc.Filter) (*index.Filter, error) { return decodeFilter(f) }

func decodeFilter(f *qc.Filter) (*index.Filter, error) {
	if f == nil {
		return nil, nil
	}
	if f.MinShould != nil {
		return nil, unsupported("min_should")
	}
	out := &index.Filter{}
	for _, part := range []struct {
		in  []*qc.Condition
		out *[]index.Condition
	}{{f.Must, &out.Must}, {f.Should, &out.Should}, {f.MustNot, &out.MustNot}} {
		for _, c := range part.in {
			dc, err := decodeCondition(c)
			if err != nil {
				return nil, err
			}
			*part.out = append(*part.out, dc)
		}
	}
	return out, nil
}

func decodeCondition(c *qc.Condition) (index.Condition, error) {
	switch x := c.GetConditionOneOf().(type) {
	case *qc.Condition_Field:
		fc, err := decodeFieldCondition(x.Field)
		return index.Condition{Field: fc}, err
	case *qc.Condition_IsEmpty:
		if x.IsEmpty.GetKey() == "" {
			return index.Condition{}, invalid("is_empty without a key")
		}
		return index.IsEmpty(x.IsEmpty.GetKey()), nil
	case *qc.Condition_HasId:
		ids, err := decodeIDs(x.HasId.GetHasId())
		return index.Condition{HasID: ids}, err
	case *qc.Condition_Filter:
		f, err := decodeFilter(x.Filter)
		if err != nil {
			return index.Condition{}, err
		}
		if f == nil {
			f = &index.Filter{}
		}
		return index.Condition{Nested: f}, nil
	case *qc.Condition_IsNull:
		return index.Condition{}, unsupported("is_null")
	case *qc.Condition_Nested:
		return index.Condition{}, unsupported("the nested (array of objects) condition")
	case *qc.Condition_HasVector:
		return index.Condition{}, unsupported("has_vector")
	}
	return index.Condition{}, invalid("empty condition")
}

func decodeFieldCondition(fc *qc.FieldCondition) (*index.FieldCondition, error) {
	if fc.GetKey() == "" {
		return nil, invalid("field condition without a key")
	}
	if fc.GeoBoundingBox != nil || fc.GeoRadius != nil || fc.GeoPolygon != nil || fc.ValuesCount != nil ||
		fc.IsEmpty != nil || fc.IsNull != nil {
		return nil, unsupported("this field condition")
	}
	n := 0
	for _, set := range []bool{fc.Match != nil, fc.Range != nil, fc.DatetimeRange != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, invalid("field condition on %q must set exactly one of match, range, datetime_range", fc.GetKey())
	}
	out := &index.FieldCondition{Key: fc.GetKey()}
	switch {
	case fc.Range != nil:
		r := fc.Range
		out.Range = &index.Range{Gt: r.Gt, Gte: r.Gte, Lt: r.Lt, Lte: r.Lte}
	case fc.DatetimeRange != nil:
		r := fc.DatetimeRange
		out.DatetimeRange = &index.DatetimeRange{}
		if r.Gt != nil {
			out.DatetimeRange.Gt = r.Gt.AsTime().UTC()
		}
		if r.Gte != nil {
			out.DatetimeRange.Gte = r.Gte.AsTime().UTC()
		}
		if r.Lt != nil {
			out.DatetimeRange.Lt = r.Lt.AsTime().UTC()
		}
		if r.Lte != nil {
			out.DatetimeRange.Lte = r.Lte.AsTime().UTC()
		}
	default:
		switch m := fc.Match.GetMatchValue().(type) {
		case *qc.Match_Keyword:
			out.Keyword = &m.Keyword
		case *qc.Match_Integer:
			out.Integer = &m.Integer
		case *qc.Match_Boolean:
			out.Bool = &m.Boolean
		case *qc.Match_Keywords:
			out.AnyKeyword = append([]string{}, m.Keywords.GetStrings()...)
		case *qc.Match_Integers:
			out.AnyInteger = append([]int64{}, m.Integers.GetIntegers()...)
		case nil:
			return nil, invalid("empty match on %q", fc.GetKey())
		default:
			return nil, unsupported(fmt.Sprintf("match %T", m))
		}
	}
	return out, nil
}

// decodeWith reads the payload and vector selectors. include lists the
// only payload keys to return (nil: all).
func decodeWith(wp *qc.WithPayloadSelector, wv *qc.WithVectorsSelector) (with index.With, include []string, err error) {
	switch x := wp.GetSelectorOptions().(type) {
	case *qc.WithPayloadSelector_Enable:
		with.Payload = x.Enable
	case *qc.WithPayloadSelector_Include:
		with.Payload = true
		include = append([]string{}, x.Include.GetFields()...)
	case *qc.WithPayloadSelector_Exclude:
		return with, nil, unsupported("with_payload exclude")
	}
	switch x := wv.GetSelectorOptions().(type) {
	case *qc.WithVectorsSelector_Enable:
		with.Vectors = x.Enable
	case *qc.WithVectorsSelector_Include:
		return with, nil, unsupported("with_vectors include")
	}
	return with, include, nil
}

// project keeps only the listed (dotted) keys of a payload.
func project(p index.Payload, include []string) index.Payload {
	if include == nil {
		return p
	}
	out := index.Payload{}
	for _, key := range include {
		copyPath(out, p, strings.Split(key, "."))
	}
	return out
}

func copyPath(dst, src map[string]any, path []string) {
	v, ok := src[path[0]]
	if !ok {
		return
	}
	sub, isMap := v.(map[string]any)
	if len(path) == 1 || !isMap {
		dst[path[0]] = v
		return
	}
	next, _ := dst[path[0]].(map[string]any)
	if next == nil {
		next = map[string]any{}
		dst[path[0]] = next
	}
	copyPath(next, sub, path[1:])
}

// vectorsOutput encodes a record's vectors as Qdrant returns named vectors.
func vectorsOutput(r index.Record) *qc.VectorsOutput {
	named := map[string]*qc.VectorOutput{}
	if r.Dense != nil {
		named[index.DenseVectorName] = &qc.VectorOutput{Vector: &qc.VectorOutput_Dense{Dense: &qc.DenseVector{Data: slices.Clone(r.Dense)}}}
	}
	if r.Sparse != nil {
		named[index.SparseVectorName] = &qc.VectorOutput{Vector: &qc.VectorOutput_Sparse{Sparse: &qc.SparseVector{
			Indices: slices.Clone(r.Sparse.Indices), Values: slices.Clone(r.Sparse.Values)}}}
	}
	return &qc.VectorsOutput{VectorsOptions: &qc.VectorsOutput_Vectors{Vectors: &qc.NamedVectorsOutput{Vectors: named}}}
}

// retrieved encodes a record.
func retrieved(r index.Record, with index.With, include []string) *qc.RetrievedPoint {
	out := &qc.RetrievedPoint{Id: qc.NewIDUUID(r.ID)}
	if with.Payload {
		out.Payload = encodePayload(project(r.Payload, include))
	}
	if with.Vectors {
		out.Vectors = vectorsOutput(r)
	}
	return out
}

func scoredPoint(p index.ScoredPoint, with index.With, include []string) *qc.ScoredPoint {
	r := retrieved(p.Record, with, include)
	return &qc.ScoredPoint{Id: r.Id, Payload: r.Payload, Vectors: r.Vectors, Score: p.Score}
}
