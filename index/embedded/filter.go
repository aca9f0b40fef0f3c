package embedded

import (
	"github.com/jieda/jieda/index"
)

// matching returns the live slots matching f and how many there are. all
// is true when f selects every live point; the bitmap is then c.live
// itself and must not be modified. Conditions on indexed fields are
// answered from the payload indexes; when some are not, the indexed must
// clauses narrow the candidates and index.Filter.Match decides the rest, so
// the result is always exactly the reference semantics.
func (c *collection) matching(f *index.Filter) (set bitmap, n int, all bool) {
	if f == nil || len(f.Must)+len(f.Should)+len(f.MustNot) == 0 {
		return c.live, c.n, true
	}
	if set, ok := c.exact(f); ok {
		set.and(c.live)
		return set, set.count(), false
	}
	cand, ok := c.candidates(f)
	if !ok {
		cand = c.live
	}
	set = scratchBitmap(len(c.live))
	cand.each(func(slot uint32) bool {
		if c.live.has(slot) && f.Match(c.ids[slot], c.payload(slot)) {
			set[slot/64] |= 1 << (slot % 64)
			n++
		}
		return true
	})
	if ok {
		cand.release()
	}
	return set, n, false
}

// exact evaluates f from the indexes alone; ok is false when some
// condition needs the payloads.
func (c *collection) exact(f *index.Filter) (bitmap, bool) {
	words := len(c.live)
	out := scratchBitmap(words)
	copy(out, c.live)
	for _, cond := range f.Must {
		s, ok := c.exactCond(cond)
		if !ok {
			out.release()
			return nil, false
		}
		out.and(s)
		s.release()
	}
	if len(f.Should) > 0 {
		any := scratchBitmap(words)
		for _, cond := range f.Should {
			s, ok := c.exactCond(cond)
			if !ok {
				any.release()
				out.release()
				return nil, false
			}
			any.or(s)
			s.release()
		}
		out.and(any)
		any.release()
	}
	for _, cond := range f.MustNot {
		s, ok := c.exactCond(cond)
		if !ok {
			out.release()
			return nil, false
		}
		out.andNot(s)
		s.release()
	}
	return out, true
}

// exactCond evaluates one condition from the indexes.
func (c *collection) exactCond(cond index.Condition) (bitmap, bool) {
	switch {
	case cond.Field != nil:
		fi := c.fields[cond.Field.Key]
		if fi == nil {
			return nil, false
		}
		out := scratchBitmap(len(c.live))
		if !fi.lookup(cond.Field, out) {
			out.release()
			return nil, false
		}
		return out, true
	case cond.HasID != nil:
		out := scratchBitmap(len(c.live))
		for _, id := range cond.HasID {
			if cid, err := index.CanonicalID(id); err == nil {
				if slot, ok := c.slotOf[cid]; ok {
					out.set(slot)
				}
			}
		}
		return out, true
	case cond.Nested != nil:
		return c.exact(cond.Nested)
	}
	return nil, false
}

// candidates is a superset of f's matches from the must conditions (and
// the should conditions, when all of them are indexed); ok is false when
// no clause is indexed.
func (c *collection) candidates(f *index.Filter) (bitmap, bool) {
	var out bitmap
	for _, cond := range f.Must {
		if s, ok := c.exactCond(cond); ok {
			if out == nil {
				out = s
			} else {
				out.and(s)
				s.release()
			}
		}
	}
	if len(f.Should) > 0 {
		any := scratchBitmap(len(c.live))
		for _, cond := range f.Should {
			s, ok := c.exactCond(cond)
			if !ok {
				any.release()
				any = nil
				break
			}
			any.or(s)
			s.release()
		}
		if any != nil {
			if out == nil {
				out = any
			} else {
				out.and(any)
				any.release()
			}
		}
	}
	return out, out != nil
}
