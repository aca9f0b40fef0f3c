package qdrant

import (
	"cmp"
	"fmt"
	"slices"

	qc "github.com/qdrant/go-client/qdrant"

	"github.com/jieda/jieda/index"
)

// toValues converts a canonical payload to Qdrant values.
func toValues(p index.Payload) (map[string]*qc.Value, error) {
	out := make(map[string]*qc.Value, len(p))
	for k, v := range p {
		qv, err := toValue(v)
		if err != nil {
			return nil, fmt.Errorf("payload key %q: %w", k, err)
		}
		out[k] = qv
	}
	return out, nil
}

// toValue converts one canonical payload value: int64 stays an integer,
// float64 a double.
func toValue(v any) (*qc.Value, error) {
	switch x := v.(type) {
	case nil:
		return qc.NewValueNull(), nil
	case bool:
		return qc.NewValueBool(x), nil
	case int64:
		return qc.NewValueInt(x), nil
	case float64:
		return qc.NewValueDouble(x), nil
	case string:
		return qc.NewValueString(x), nil
	case []any:
		list := make([]*qc.Value, len(x))
		for i, e := range x {
			qv, err := toValue(e)
			if err != nil {
				return nil, err
			}
			list[i] = qv
		}
		return qc.NewValueFromList(list...), nil
	case map[string]any:
		fields, err := toValues(x)
		if err != nil {
			return nil, err
		}
		return qc.NewValueFromFields(fields), nil
	}
	return nil, fmt.Errorf("%w: payload value of type %T is not canonical JSON", index.ErrInvalidArgument, v)
}

// fromValues converts Qdrant values to a canonical payload (never nil).
func fromValues(m map[string]*qc.Value) index.Payload {
	out := make(index.Payload, len(m))
	for k, v := range m {
		out[k] = fromValue(v)
	}
	return out
}

func fromValue(v *qc.Value) any {
	switch x := v.GetKind().(type) {
	case *qc.Value_BoolValue:
		return x.BoolValue
	case *qc.Value_IntegerValue:
		return x.IntegerValue
	case *qc.Value_DoubleValue:
		return x.DoubleValue
	case *qc.Value_StringValue:
		return x.StringValue
	case *qc.Value_ListValue:
		list := make([]any, len(x.ListValue.GetValues()))
		for i, e := range x.ListValue.GetValues() {
			list[i] = fromValue(e)
		}
		return list
	case *qc.Value_StructValue:
		return fromValues(x.StructValue.GetFields())
	}
	return nil
}

// pointIDs converts canonical ids.
func pointIDs(ids []string) []*qc.PointId {
	out := make([]*qc.PointId, len(ids))
	for i, id := range ids {
		out[i] = qc.NewIDUUID(id)
	}
	return out
}

// idString returns a point id as index writes it.
func idString(id *qc.PointId) string {
	if u := id.GetUuid(); u != "" {
		if c, err := index.CanonicalID(u); err == nil {
			return c
		}
		return u
	}
	return fmt.Sprint(id.GetNum())
}

func withPayload(with index.With) *qc.WithPayloadSelector {
	if with.Payload && with.Fields != nil {
		return qc.NewWithPayloadInclude(with.Fields...)
	}
	return qc.NewWithPayload(with.Payload)
}

func withVectors(with index.With) *qc.WithVectorsSelector { return qc.NewWithVectors(with.Vectors) }

// record maps a returned point to an index.Record.
func record(id *qc.PointId, payload map[string]*qc.Value, vectors *qc.VectorsOutput, with index.With) index.Record {
	r := index.Record{ID: idString(id)}
	if with.Payload {
		r.Payload = fromValues(payload)
	}
	if with.Vectors {
		named := vectors.GetVectors().GetVectors()
		if d := named[index.DenseVectorName].GetDenseVector(); d != nil && len(d.GetData()) > 0 {
			r.Dense = slices.Clone(d.GetData())
		}
		if sp := named[index.SparseVectorName].GetSparseVector(); sp != nil && len(sp.GetIndices()) > 0 {
			r.Sparse = sortedSparse(sp.GetIndices(), sp.GetValues())
		}
	}
	return r
}

// sortedSparse copies a sparse vector, ordered by index.
func sortedSparse(indices []uint32, values []float32) *index.Sparse {
	type pair struct {
		i uint32
		v float32
	}
	ps := make([]pair, min(len(indices), len(values)))
	for k := range ps {
		ps[k] = pair{indices[k], values[k]}
	}
	slices.SortFunc(ps, func(a, b pair) int { return cmp.Compare(a.i, b.i) })
	sp := &index.Sparse{Indices: make([]uint32, len(ps)), Values: make([]float32, len(ps))}
	for k, p := range ps {
		sp.Indices[k], sp.Values[k] = p.i, p.v
	}
	return sp
}

func scored(p *qc.ScoredPoint, with index.With) index.ScoredPoint {
	return index.ScoredPoint{Record: record(p.GetId(), p.GetPayload(), p.GetVectors(), with), Score: p.GetScore()}
}

// fieldTypes maps index payload-index types to Qdrant's.
var fieldTypes = map[index.FieldType]qc.FieldType{
	index.FieldKeyword:  qc.FieldType_FieldTypeKeyword,
	index.FieldInteger:  qc.FieldType_FieldTypeInteger,
	index.FieldFloat:    qc.FieldType_FieldTypeFloat,
	index.FieldBool:     qc.FieldType_FieldTypeBool,
	index.FieldDatetime: qc.FieldType_FieldTypeDatetime,
}

// schemaTypes maps Qdrant's payload schema types back.
var schemaTypes = map[qc.PayloadSchemaType]index.FieldType{
	qc.PayloadSchemaType_Keyword:  index.FieldKeyword,
	qc.PayloadSchemaType_Integer:  index.FieldInteger,
	qc.PayloadSchemaType_Float:    index.FieldFloat,
	qc.PayloadSchemaType_Bool:     index.FieldBool,
	qc.PayloadSchemaType_Datetime: index.FieldDatetime,
}
