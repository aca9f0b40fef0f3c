package qdranttest

import (
	"cmp"
	"context"
	"slices"

	qc "github.com/qdrant/go-client/qdrant"

	"github.com/jieda/jieda/index"
)

func (p *points) Scroll(ctx context.Context, req *qc.ScrollPoints) (*qc.ScrollResponse, error) {
	name := req.GetCollectionName()
	f, err := decodeFilter(req.GetFilter())
	if err != nil {
		return nil, err
	}
	with, include, err := decodeWith(req.GetWithPayload(), req.GetWithVectors())
	if err != nil {
		return nil, err
	}
	lim := 10
	if req.Limit != nil {
		lim = int(req.GetLimit())
	}
	if lim < 1 {
		return nil, invalid("Validation error in body: [limit: value 0 invalid, must be 1 or larger]")
	}
	if req.OrderBy != nil {
		if req.Offset != nil {
			return nil, invalid("Bad request: Cannot use an `offset` when using `order_by`. The alternative for paging is to use `order_by.start_from` and a filter to exclude the IDs that you've already seen for the `order_by.start_from` value")
		}
		return p.scrollOrdered(ctx, name, f, req.GetOrderBy(), lim, with, include)
	}
	recs, err := p.all(ctx, name, f, with)
	if err != nil {
		return nil, err
	}
	if req.Offset != nil {
		from, err := decodeID(req.GetOffset())
		if err != nil {
			return nil, err
		}
		i, _ := slices.BinarySearchFunc(recs, from, func(r index.Record, id string) int { return cmp.Compare(r.ID, id) })
		recs = recs[i:]
	}
	out := &qc.ScrollResponse{}
	for i, r := range recs {
		if i == lim {
			out.NextPageOffset = qc.NewIDUUID(r.ID)
			break
		}
		out.Result = append(out.Result, retrieved(r, with, include))
	}
	return out, nil
}

// orderValue is Qdrant's order value: integers (datetimes as microseconds
// since the epoch) or floats, compared numerically.
type orderValue struct {
	isInt bool
	i     int64
	f     float64
}

func (v orderValue) compare(w orderValue) int {
	if v.isInt && w.isInt {
		return cmp.Compare(v.i, w.i)
	}
	return cmp.Compare(v.num(), w.num())
}

func (v orderValue) num() float64 {
	if v.isInt {
		return float64(v.i)
	}
	return v.f
}

func (v orderValue) proto() *qc.OrderValue {
	if v.isInt {
		return qc.NewOrderValueInt(v.i)
	}
	return qc.NewOrderValueFloat(v.f)
}

// indexed returns the values of a payload field as a payload index of
// type t holds them.
func indexed(t index.FieldType, p index.Payload, key string) []orderValue {
	var out []orderValue
	for _, x := range index.Values(p, key) {
		switch t {
		case index.FieldInteger:
			if i, ok := x.(int64); ok {
				out = append(out, orderValue{isInt: true, i: i})
			}
		case index.FieldFloat:
			if f, ok := index.Number(x); ok {
				out = append(out, orderValue{f: f})
			}
		case index.FieldDatetime:
			if s, ok := x.(string); ok {
				if tm, err := index.ParseTime(s); err == nil {
					out = append(out, orderValue{isInt: true, i: tm.UnixMicro()})
				}
			}
		}
	}
	return out
}

// scrollOrdered is Qdrant's scroll with order_by: one (value, point) pair
// per value of the field, from start_from inclusive, no next page offset.
func (p *points) scrollOrdered(ctx context.Context, name string, f *index.Filter, ob *qc.OrderBy, lim int,
	with index.With, include []string) (*qc.ScrollResponse, error) {
	info, err := p.backing().Collection(ctx, name)
	if err != nil {
		return nil, statusOf(err, name)
	}
	t, ok := info.PayloadIndexes[ob.GetKey()]
	if !ok || !t.Orderable() {
		return nil, invalid("Bad request: No range index for `order_by` key: `%s`. Please create one to use `order_by`. "+
			"Check https://qdrant.tech/documentation/concepts/indexing/#payload-index to see which payload schemas support Range conditions", ob.GetKey())
	}
	recs, err := p.all(ctx, name, f, index.With{Payload: true, Vectors: with.Vectors})
	if err != nil {
		return nil, err
	}
	desc := ob.GetDirection() == qc.Direction_Desc
	var start *orderValue
	switch x := ob.GetStartFrom().GetValue().(type) {
	case *qc.StartFrom_Integer:
		start = &orderValue{isInt: true, i: x.Integer}
	case *qc.StartFrom_Float:
		start = &orderValue{f: x.Float}
	case *qc.StartFrom_Timestamp:
		start = &orderValue{isInt: true, i: x.Timestamp.AsTime().UnixMicro()}
	case *qc.StartFrom_Datetime:
		tm, err := index.ParseTime(x.Datetime)
		if err != nil {
			return nil, invalid("Malformed datetime: %s", x.Datetime)
		}
		start = &orderValue{isInt: true, i: tm.UnixMicro()}
	}
	type pair struct {
		v   orderValue
		rec index.Record
	}
	var pairs []pair
	for _, r := range recs {
		for _, v := range indexed(t, r.Payload, ob.GetKey()) {
			if start != nil && ((!desc && v.compare(*start) < 0) || (desc && v.compare(*start) > 0)) {
				continue
			}
			pairs = append(pairs, pair{v, r})
		}
	}
	// Qdrant leaves the order of equal values open; descending ids make a
	// client that relies on any particular order fail.
	slices.SortFunc(pairs, func(a, b pair) int {
		c := a.v.compare(b.v)
		if desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(b.rec.ID, a.rec.ID))
	})
	pairs = slices.CompactFunc(pairs, func(a, b pair) bool { return a.v.compare(b.v) == 0 && a.rec.ID == b.rec.ID })
	out := &qc.ScrollResponse{}
	for _, pr := range pairs[:min(lim, len(pairs))] {
		rp := retrieved(pr.rec, with, include)
		rp.OrderValue = pr.v.proto()
		out.Result = append(out.Result, rp)
	}
	return out, nil
}
