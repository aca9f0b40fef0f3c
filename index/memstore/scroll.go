package memstore

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jieda/jieda/index"
)

// Scroll pages through matching points by id, or by a payload field with an
// orderable payload index.
func (s *Store) Scroll(ctx context.Context, collection string, req index.ScrollRequest) (index.ScrollPage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, err := s.collection(ctx, collection)
	if err != nil {
		return index.ScrollPage{}, err
	}
	if err := req.Filter.Validate(); err != nil {
		return index.ScrollPage{}, err
	}
	lim, err := index.Limit("limit", req.Limit, 10)
	if err != nil {
		return index.ScrollPage{}, err
	}
	if req.OrderBy != nil {
		return c.scrollOrdered(req, lim)
	}
	start := ""
	if req.Cursor != "" {
		if start, err = index.CanonicalID(req.Cursor); err != nil {
			return index.ScrollPage{}, fmt.Errorf("%w: bad scroll cursor %q", index.ErrInvalidArgument, req.Cursor)
		}
	}
	var page index.ScrollPage
	page.Points = []index.Record{}
	for _, id := range slices.Sorted(maps.Keys(c.points)) {
		p := c.points[id]
		if id < start || !req.Filter.Match(id, p.payload) {
			continue
		}
		if len(page.Points) == lim {
			page.Next = id
			break
		}
		page.Points = append(page.Points, p.record(id, req.With))
	}
	return page, nil
}

// orderKey is a point's position in an ordered scroll. Numbers compare as
// float64, datetimes as instants.
type orderKey struct {
	Num  float64   `json:"n,omitempty"`
	Time time.Time `json:"t,omitzero"`
	ID   string    `json:"id"`
}

func (c *collection) scrollOrdered(req index.ScrollRequest, lim int) (index.ScrollPage, error) {
	ob := req.OrderBy
	if ob.Key == "" {
		return index.ScrollPage{}, fmt.Errorf("%w: order by without a key", index.ErrInvalidArgument)
	}
	if ob.Direction != index.Asc && ob.Direction != index.Desc {
		return index.ScrollPage{}, fmt.Errorf("%w: unknown direction %d", index.ErrInvalidArgument, ob.Direction)
	}
	typ, ok := c.indexes[ob.Key]
	if !ok || !typ.Orderable() {
		return index.ScrollPage{}, fmt.Errorf("%w: cannot order by %q", index.ErrNoPayloadIndex, ob.Key)
	}
	datetime := typ == index.FieldDatetime
	less := func(a, b orderKey) int {
		var c int
		if datetime {
			c = a.Time.Compare(b.Time)
		} else {
			c = cmp.Compare(a.Num, b.Num)
		}
		if ob.Direction == index.Desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a.ID, b.ID))
	}

	var after *orderKey
	if req.Cursor != "" {
		k, err := decodeCursor(req.Cursor)
		if err != nil {
			return index.ScrollPage{}, err
		}
		after = &k
	}
	var keys []orderKey
	for id, p := range c.points {
		if !req.Filter.Match(id, p.payload) {
			continue
		}
		k, ok := pointKey(id, p.payload, ob, datetime)
		if ok && (after == nil || less(k, *after) > 0) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, less)
	page := index.ScrollPage{Points: []index.Record{}}
	for i, k := range keys {
		if i == lim {
			page.Next = encodeCursor(keys[i-1])
			break
		}
		page.Points = append(page.Points, c.points[k.ID].record(k.ID, req.With))
	}
	return page, nil
}

// pointKey is a point's order key: its smallest value ascending, largest
// descending. ok is false when the point has no usable value.
func pointKey(id string, p index.Payload, ob *index.OrderBy, datetime bool) (k orderKey, ok bool) {
	k.ID = id
	better := func(cmpResult int) bool {
		return !ok || (ob.Direction == index.Asc && cmpResult < 0) || (ob.Direction == index.Desc && cmpResult > 0)
	}
	for _, v := range index.Values(p, ob.Key) {
		if datetime {
			s, isStr := v.(string)
			if !isStr {
				continue
			}
			t, err := index.ParseTime(s)
			if err != nil {
				continue
			}
			if better(t.Compare(k.Time)) {
				k.Time, ok = t, true
			}
			continue
		}
		if x, isNum := index.Number(v); isNum && better(cmp.Compare(x, k.Num)) {
			k.Num, ok = x, true
		}
	}
	return k, ok
}

func encodeCursor(k orderKey) string {
	b, _ := json.Marshal(k) // cannot fail: finite float, time, string
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (orderKey, error) {
	var k orderKey
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &k)
	}
	if err == nil {
		_, err = index.CanonicalID(k.ID)
	}
	if err != nil {
		return k, fmt.Errorf("%w: bad scroll cursor %q", index.ErrInvalidArgument, s)
	}
	return k, nil
}
