package qdrant

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	qc "github.com/qdrant/go-client/qdrant"

	"github.com/jieda/jieda/index"
)

// cursor is a Scroll position, sent to callers as base64url JSON.
type cursor struct {
	// ID is the first id of the next page of a scroll by id.
	ID string `json:"id,omitempty"`
	// Key and Desc name the ordering of a scroll by field.
	Key  string `json:"k,omitempty"`
	Desc bool   `json:"d,omitempty"`
	// Int or Float is the order value of the previous page's last point.
	Int   *int64   `json:"i,omitempty"`
	Float *float64 `json:"f,omitempty"`
	// Seen are the ids already returned at that value.
	Seen []string `json:"s,omitempty"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func badCursor(why string) error {
	return fmt.Errorf("%w: invalid scroll cursor: %s", index.ErrInvalidArgument, why)
}

// decodeCursor parses and checks a cursor against the request it continues.
func decodeCursor(s string, ob *index.OrderBy) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil {
		return c, badCursor("not one of this engine's cursors")
	}
	if ob == nil {
		if c.Key != "" {
			return c, badCursor("it continues a scroll ordered by a field")
		}
		id, err := index.CanonicalID(c.ID)
		if err != nil {
			return c, badCursor("bad point id")
		}
		c.ID = id
		return c, nil
	}
	switch {
	case c.Key != ob.Key || c.Desc != (ob.Direction == index.Desc):
		return c, badCursor("it continues another ordering")
	case (c.Int == nil) == (c.Float == nil):
		return c, badCursor("no order value")
	}
	for i, id := range c.Seen {
		if c.Seen[i], err = index.CanonicalID(id); err != nil {
			return c, badCursor("bad point id")
		}
	}
	return c, nil
}

// Scroll pages through points matching a filter, by id or by a payload field.
func (s *Store) Scroll(ctx context.Context, collection string, req index.ScrollRequest) (index.ScrollPage, error) {
	if _, err := s.collection(ctx, collection); err != nil {
		return index.ScrollPage{}, err
	}
	lim, err := index.Limit("limit", req.Limit, 10)
	if err != nil {
		return index.ScrollPage{}, err
	}
	if err := req.Filter.Validate(); err != nil {
		return index.ScrollPage{}, err
	}
	if ob := req.OrderBy; ob != nil {
		if ob.Key == "" {
			return index.ScrollPage{}, fmt.Errorf("%w: order by without a key", index.ErrInvalidArgument)
		}
		if ob.Direction != index.Asc && ob.Direction != index.Desc {
			return index.ScrollPage{}, fmt.Errorf("%w: unknown direction %d", index.ErrInvalidArgument, ob.Direction)
		}
	}
	var cur *cursor
	if req.Cursor != "" {
		c, err := decodeCursor(req.Cursor, req.OrderBy)
		if err != nil {
			return index.ScrollPage{}, err
		}
		cur = &c
	}
	if req.OrderBy != nil {
		return s.scrollByField(ctx, collection, req, lim, cur)
	}
	var offset *qc.PointId
	if cur != nil {
		offset = qc.NewIDUUID(cur.ID)
	}
	var resp *qc.ScrollResponse
	err = s.do(ctx, collection, "scrolling", func(ctx context.Context) (err error) {
		resp, err = s.conn().points.Scroll(ctx, &qc.ScrollPoints{
			CollectionName: s.qname(collection),
			Filter:         toFilter(req.Filter),
			Offset:         offset,
			Limit:          qc.PtrOf(uint32(lim)),
			WithPayload:    withPayload(req.With),
			WithVectors:    withVectors(req.With),
		})
		return err
	})
	if err != nil {
		return index.ScrollPage{}, err
	}
	page := index.ScrollPage{Points: make([]index.Record, len(resp.GetResult()))}
	for i, p := range resp.GetResult() {
		page.Points[i] = record(p.GetId(), p.GetPayload(), p.GetVectors(), req.With)
	}
	if next := resp.GetNextPageOffset(); next != nil {
		page.Next = cursor{ID: idString(next)}.encode()
	}
	return page, nil
}

// orderValue is a Qdrant order value: integers (and datetimes, as
// microseconds since the epoch) or floats.
type orderValue struct {
	isInt bool
	i     int64
	f     float64
}

func (v orderValue) float() float64 {
	if v.isInt {
		return float64(v.i)
	}
	return v.f
}

func compareValues(a, b orderValue) int {
	if a.isInt && b.isInt {
		return cmp.Compare(a.i, b.i)
	}
	return cmp.Compare(a.float(), b.float())
}

func fromOrderValue(v *qc.OrderValue) (orderValue, bool) {
	switch x := v.GetVariant().(type) {
	case *qc.OrderValue_Int:
		return orderValue{isInt: true, i: x.Int}, true
	case *qc.OrderValue_Float:
		return orderValue{f: x.Float}, true
	}
	return orderValue{}, false
}

// item is one (point, order value) pair of Qdrant's ordered scroll.
type item struct {
	rec     index.Record
	payload index.Payload // at least the order key
	v       orderValue
}

// fieldStream reads Qdrant's scroll ordered by a field in batches, each
// starting from the last value read and excluding the ids already read
// at it. Qdrant yields a point once per value of the field.
type fieldStream struct {
	s          *Store
	collection string
	req        index.ScrollRequest
	ftype      index.FieldType
	filter     *qc.Filter
	start      *orderValue
	seen       []string // ids read at start
	buf        []item
	batch      int
	done       bool
}

func (st *fieldStream) next(ctx context.Context) (item, bool, error) {
	if len(st.buf) == 0 {
		if st.done {
			return item{}, false, nil
		}
		if err := st.fetch(ctx); err != nil {
			return item{}, false, err
		}
		if len(st.buf) == 0 {
			return item{}, false, nil
		}
	}
	it := st.buf[0]
	st.buf = st.buf[1:]
	return it, true, nil
}

func (st *fieldStream) fetch(ctx context.Context) error {
	ob := st.req.OrderBy
	dir := qc.Direction_Asc
	if ob.Direction == index.Desc {
		dir = qc.Direction_Desc
	}
	order := &qc.OrderBy{Key: ob.Key, Direction: dir.Enum()}
	if st.start != nil {
		order.StartFrom = st.startFrom(*st.start)
	}
	// The order key's values decide which pair is a point's own; ask for
	// them even when the caller wants no payload.
	wp := qc.NewWithPayloadInclude(ob.Key)
	if st.req.With.Payload {
		wp = qc.NewWithPayload(true)
	}
	var resp *qc.ScrollResponse
	err := st.s.do(ctx, st.collection, "scrolling", func(ctx context.Context) (err error) {
		resp, err = st.s.conn().points.Scroll(ctx, &qc.ScrollPoints{
			CollectionName: st.s.qname(st.collection),
			Filter:         excludeIDs(st.filter, st.seen),
			Limit:          qc.PtrOf(uint32(st.batch)),
			OrderBy:        order,
			WithPayload:    wp,
			WithVectors:    withVectors(st.req.With),
		})
		return err
	})
	if err != nil {
		return err
	}
	res := resp.GetResult()
	st.done = len(res) < st.batch
	st.batch = min(2*st.batch, 1024)
	for _, p := range res {
		v, ok := fromOrderValue(p.GetOrderValue())
		if !ok {
			return fmt.Errorf("qdrant scrolling %s: a point came back without its order value", st.collection)
		}
		all := index.With{Payload: true, Vectors: st.req.With.Vectors}
		rec := record(p.GetId(), p.GetPayload(), p.GetVectors(), all)
		it := item{rec: rec, payload: rec.Payload, v: v}
		switch {
		case !st.req.With.Payload:
			it.rec.Payload = nil
		case st.req.With.Fields != nil:
			it.rec.Payload = index.CopyFields(rec.Payload, st.req.With.Fields)
		}
		st.buf = append(st.buf, it)
		if st.start == nil || compareValues(*st.start, v) != 0 {
			st.start, st.seen = &v, nil
		}
		st.seen = append(st.seen, rec.ID)
	}
	return nil
}

func (st *fieldStream) startFrom(v orderValue) *qc.StartFrom {
	switch {
	case st.ftype == index.FieldDatetime && v.isInt:
		t := time.UnixMicro(v.i).UTC()
		return qc.NewStartFromTimestamp(t.Unix(), int32(t.Nanosecond()))
	case v.isInt:
		return qc.NewStartFromInt(v.i)
	}
	return qc.NewStartFromFloat(v.f)
}

// own reports whether the pair is the point's own: the smallest of its
// values ascending, the largest descending (every engine orders a
// multi-valued point so). Qdrant yields a pair per value; the others are
// dropped.
func (st *fieldStream) own(it item) bool {
	var best *orderValue
	for _, x := range index.Values(it.payload, st.req.OrderBy.Key) {
		v, ok := valueOf(st.ftype, x)
		if !ok {
			continue
		}
		if best == nil {
			best = &v
			continue
		}
		c := compareValues(v, *best)
		if (st.req.OrderBy.Direction == index.Asc && c < 0) || (st.req.OrderBy.Direction == index.Desc && c > 0) {
			best = &v
		}
	}
	return best == nil || compareValues(*best, it.v) == 0
}

// valueOf is a payload value as Qdrant's index of that type holds it.
func valueOf(t index.FieldType, x any) (orderValue, bool) {
	switch t {
	case index.FieldInteger:
		if i, ok := x.(int64); ok {
			return orderValue{isInt: true, i: i}, true
		}
	case index.FieldFloat:
		if f, ok := index.Number(x); ok {
			return orderValue{f: f}, true
		}
	case index.FieldDatetime:
		if s, ok := x.(string); ok {
			if t, err := index.ParseTime(s); err == nil {
				return orderValue{isInt: true, i: t.UnixMicro()}, true
			}
		}
	}
	return orderValue{}, false
}

// scrollByField pages through Qdrant's order_by scroll. The cursor is
// (last value, ids returned at it): the next page starts from that value
// excluding those ids, so pages neither repeat nor skip points. Ties
// order by id ascending, as on every engine: when a page ends inside a
// run of equal values the whole run is read and its smallest ids taken.
func (s *Store) scrollByField(ctx context.Context, collection string, req index.ScrollRequest, lim int, cur *cursor) (index.ScrollPage, error) {
	info, err := s.info(ctx, collection)
	if err != nil {
		return index.ScrollPage{}, err
	}
	ftype, ok := payloadIndexes(info)[req.OrderBy.Key]
	if !ok || !ftype.Orderable() {
		return index.ScrollPage{}, fmt.Errorf("%w: cannot order by %q: it needs an integer, float or datetime payload index",
			index.ErrNoPayloadIndex, req.OrderBy.Key)
	}
	st := &fieldStream{s: s, collection: collection, req: req, ftype: ftype, filter: toFilter(req.Filter), batch: min(lim+1, index.MaxLimit)}
	if cur != nil {
		v := cur.value()
		st.start, st.seen = &v, slices.Clone(cur.Seen)
	}
	var page []item
	emitted := map[string]bool{}
	take := func() (item, bool, error) {
		for {
			it, ok, err := st.next(ctx)
			if err != nil || !ok {
				return it, ok, err
			}
			if !emitted[it.rec.ID] && st.own(it) {
				return it, true, nil
			}
		}
	}
	for len(page) < lim {
		it, ok, err := take()
		if err != nil {
			return index.ScrollPage{}, err
		}
		if !ok {
			break
		}
		emitted[it.rec.ID] = true
		page = append(page, it)
	}
	more := false
	if len(page) == lim {
		last := page[lim-1].v
		for {
			it, ok, err := take()
			if err != nil {
				return index.ScrollPage{}, err
			}
			if !ok {
				break
			}
			if compareValues(it.v, last) != 0 {
				more = true
				break
			}
			emitted[it.rec.ID] = true
			page = append(page, it)
		}
	}
	desc := req.OrderBy.Direction == index.Desc
	slices.SortFunc(page, func(a, b item) int {
		c := compareValues(a.v, b.v)
		if desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a.rec.ID, b.rec.ID))
	})
	if len(page) > lim {
		more, page = true, page[:lim]
	}
	out := index.ScrollPage{Points: make([]index.Record, len(page))}
	for i, it := range page {
		out.Points[i] = it.rec
	}
	if !more {
		return out, nil
	}
	last := page[len(page)-1].v
	next := cursor{Key: req.OrderBy.Key, Desc: desc}
	if last.isInt {
		next.Int = &last.i
	} else {
		next.Float = &last.f
	}
	if cur != nil && compareValues(cur.value(), last) == 0 {
		next.Seen = slices.Clone(cur.Seen)
	}
	for _, it := range page {
		if compareValues(it.v, last) == 0 {
			next.Seen = append(next.Seen, it.rec.ID)
		}
	}
	return index.ScrollPage{Points: out.Points, Next: next.encode()}, nil
}

// value is the order value of a field cursor.
func (c cursor) value() orderValue {
	if c.Int != nil {
		return orderValue{isInt: true, i: *c.Int}
	}
	return orderValue{f: *c.Float}
}
