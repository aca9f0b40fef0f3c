package embedded

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jieda/jieda/index"
)

// Get returns the existing points among ids, each once, in the order first asked.
func (s *Store) Get(ctx context.Context, collection string, ids []string, with index.With) ([]index.Record, error) {
	c, unlock, err := s.reader(ctx, collection)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ids, err = c.existing(ids)
	if err != nil {
		return nil, err
	}
	vr, done, err := s.readVectors(c, with)
	if err != nil {
		return nil, err
	}
	defer done()
	out := make([]index.Record, 0, len(ids))
	for _, id := range ids {
		out = append(out, c.record(c.slotOf[id], with, vr))
	}
	return out, nil
}

// readVectors opens the vectors when a read returns them.
func (s *Store) readVectors(c *collection, with index.With) (*vectorReader, func(), error) {
	if !with.Vectors {
		return nil, func() {}, nil
	}
	return s.vectors(c)
}

// Count counts the points matching f (nil: all).
func (s *Store) Count(ctx context.Context, collection string, f *index.Filter) (int, error) {
	c, unlock, err := s.reader(ctx, collection)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if err := f.Validate(); err != nil {
		return 0, err
	}
	set, n, all := c.matching(f)
	if !all {
		set.release()
	}
	return n, nil
}

// matcher returns a test for f over live slots. Filters the indexes answer
// become a bitmap; others are checked point by point (after the indexed
// clauses narrow the candidates), so a scroll page costs what it reads.
func (c *collection) matcher(f *index.Filter) func(slot uint32) bool {
	if f == nil || len(f.Must)+len(f.Should)+len(f.MustNot) == 0 {
		return func(uint32) bool { return true }
	}
	if set, ok := c.exact(f); ok {
		return set.has
	}
	cand, ok := c.candidates(f)
	return func(slot uint32) bool {
		return (!ok || cand.has(slot)) && f.Match(c.ids[slot], c.payload(slot))
	}
}

// Scroll pages through matching points by id, or by a payload field with
// an orderable payload index.
func (s *Store) Scroll(ctx context.Context, collection string, req index.ScrollRequest) (index.ScrollPage, error) {
	c, unlock, err := s.reader(ctx, collection)
	if err != nil {
		return index.ScrollPage{}, err
	}
	defer unlock()
	if err := req.Filter.Validate(); err != nil {
		return index.ScrollPage{}, err
	}
	lim, err := index.Limit("limit", req.Limit, 10)
	if err != nil {
		return index.ScrollPage{}, err
	}
	vr, done, err := s.readVectors(c, req.With)
	if err != nil {
		return index.ScrollPage{}, err
	}
	defer done()
	if req.OrderBy != nil {
		return c.scrollOrdered(req, lim, vr)
	}
	start := ""
	if req.Cursor != "" {
		if start, err = index.CanonicalID(req.Cursor); err != nil {
			return index.ScrollPage{}, fmt.Errorf("%w: bad scroll cursor %q", index.ErrInvalidArgument, req.Cursor)
		}
	}
	match := c.matcher(req.Filter)
	page := index.ScrollPage{Points: []index.Record{}}
	i, _ := slices.BinarySearch(c.order, start)
	for _, id := range c.order[i:] {
		slot := c.slotOf[id]
		if !match(slot) {
			continue
		}
		if len(page.Points) == lim {
			page.Next = id
			break
		}
		page.Points = append(page.Points, c.record(slot, req.With, vr))
	}
	return page, nil
}

// cursor is an ordered scroll's position: the last point returned, as
// its order key and id.
type cursor struct {
	Num  float64   `json:"n,omitempty"`
	Time time.Time `json:"t,omitzero"`
	ID   string    `json:"id"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c) // cannot fail: finite float, time, string
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err == nil {
		c.ID, err = index.CanonicalID(c.ID)
	}
	if err != nil {
		return c, fmt.Errorf("%w: bad scroll cursor %q", index.ErrInvalidArgument, s)
	}
	return c, nil
}

func (c *collection) scrollOrdered(req index.ScrollRequest, lim int, vr *vectorReader) (index.ScrollPage, error) {
	ob := req.OrderBy
	if ob.Key == "" {
		return index.ScrollPage{}, fmt.Errorf("%w: order by without a key", index.ErrInvalidArgument)
	}
	if ob.Direction != index.Asc && ob.Direction != index.Desc {
		return index.ScrollPage{}, fmt.Errorf("%w: unknown direction %d", index.ErrInvalidArgument, ob.Direction)
	}
	fi := c.fields[ob.Key]
	if fi == nil || !fi.typ.Orderable() {
		return index.ScrollPage{}, fmt.Errorf("%w: cannot order by %q", index.ErrNoPayloadIndex, ob.Key)
	}
	datetime := fi.typ == index.FieldDatetime
	list := fi.asc
	sign := 1
	if ob.Direction == index.Desc {
		list, sign = fi.desc, -1
	}
	start := 0
	if req.Cursor != "" {
		cur, err := decodeCursor(req.Cursor)
		if err != nil {
			return index.ScrollPage{}, err
		}
		k := key{num: cur.Num}
		if datetime {
			k = timeKey(cur.Time)
		}
		// The first entry ordered after the cursor.
		start, _ = slices.BinarySearchFunc(list, cur, func(e entry, _ cursor) int {
			if r := sign * e.key.compare(k); r != 0 {
				return r
			}
			if strings.Compare(c.ids[e.slot], cur.ID) <= 0 {
				return -1
			}
			return 1
		})
	}
	match := c.matcher(req.Filter)
	page := index.ScrollPage{Points: []index.Record{}}
	var last entry
	for _, e := range list[start:] {
		if !match(e.slot) {
			continue
		}
		if len(page.Points) == lim {
			next := cursor{ID: c.ids[last.slot]}
			if datetime {
				next.Time = last.key.time()
			} else {
				next.Num = last.key.num
			}
			page.Next = next.encode()
			break
		}
		page.Points = append(page.Points, c.record(e.slot, req.With, vr))
		last = e
	}
	return page, nil
}
