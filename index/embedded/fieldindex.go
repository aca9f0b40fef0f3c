package embedded

import (
	"cmp"
	"slices"
	"time"

	"github.com/jieda/jieda/index"
)

// fieldIndex is the in-memory payload index of one field. Exact-match
// types keep postings per value; orderable types keep every value sorted
// (for ranges) and each point's smallest and largest value sorted (for
// ordered scrolls, as index.Store's contract orders them).
type fieldIndex struct {
	typ      index.FieldType
	keywords map[string]*postings // keyword
	integers map[int64]*postings  // integer
	bools    [2]postings          // bool: [false, true]
	// values holds every value of every point, sorted by key; for integer
	// and float fields every number (int or float), for datetime fields
	// every string that parses as a datetime.
	values []entry
	// asc holds each point's smallest value, sorted by (key, id); desc each
	// point's largest, sorted by (key descending, id).
	asc, desc []entry
}

// key is a sortable value: a number, or an instant as seconds and nanoseconds.
type key struct {
	num  float64
	sec  int64
	nsec int32
}

func (a key) compare(b key) int {
	return cmp.Or(cmp.Compare(a.num, b.num), cmp.Compare(a.sec, b.sec), cmp.Compare(a.nsec, b.nsec))
}

func timeKey(t time.Time) key { return key{sec: t.Unix(), nsec: int32(t.Nanosecond())} }

func (k key) time() time.Time { return time.Unix(k.sec, int64(k.nsec)).UTC() }

type entry struct {
	key  key
	slot uint32
}

func newFieldIndex(typ index.FieldType) *fieldIndex {
	fi := &fieldIndex{typ: typ}
	switch typ {
	case index.FieldKeyword:
		fi.keywords = map[string]*postings{}
	case index.FieldInteger:
		fi.integers = map[int64]*postings{}
	}
	return fi
}

// keys returns the sortable keys of a value list for an orderable index.
func (fi *fieldIndex) keys(vals []any) []key {
	var out []key
	for _, v := range vals {
		if fi.typ == index.FieldDatetime {
			if s, ok := v.(string); ok {
				if t, err := index.ParseTime(s); err == nil {
					out = append(out, timeKey(t))
				}
			}
		} else if x, ok := index.Number(v); ok {
			out = append(out, key{num: x})
		}
	}
	return out
}

// indexUpdate gathers one write's changes to a field index so sorted lists
// are rebuilt once per write, not once per point.
type indexUpdate struct {
	// dropped counts the points whose entries remove took out of the
	// sorted lists at once; past dropOneByOneMax, removed collects the
	// others' slots for one sweep in commit.
	dropped   int
	removed   bitmap
	values    []entry
	asc, desc []entry
}

// dropOneByOneMax is the number of points a write removes from an index
// one at a time, each entry found by binary search; the rest go in one
// sweep of the lists.
const dropOneByOneMax = 32

// orders are the sort orders of a field index's lists: values by key then
// slot (the slot only to find an entry fast), asc by key then point id,
// desc by key descending then point id. ids maps slots to point ids.
func orders(ids []string) (byKey, asc, desc func(a, b entry) int) {
	byKey = func(a, b entry) int { return cmp.Or(a.key.compare(b.key), cmp.Compare(a.slot, b.slot)) }
	asc = func(a, b entry) int { return cmp.Or(a.key.compare(b.key), cmp.Compare(ids[a.slot], ids[b.slot])) }
	desc = func(a, b entry) int { return cmp.Or(b.key.compare(a.key), cmp.Compare(ids[a.slot], ids[b.slot])) }
	return byKey, asc, desc
}

// remove drops slot's values (vals are the values of its old payload);
// ids maps slots to point ids and must still hold slot's, and every entry
// in the lists must belong to a slot ids holds.
func (fi *fieldIndex) remove(u *indexUpdate, slot uint32, vals []any, ids []string) {
	switch fi.typ {
	case index.FieldKeyword:
		for _, v := range vals {
			if s, ok := v.(string); ok {
				if p := fi.keywords[s]; p != nil {
					p.remove(slot)
					if p.n == 0 {
						delete(fi.keywords, s)
					}
				}
			}
		}
		return
	case index.FieldBool:
		for _, v := range vals {
			if b, ok := v.(bool); ok {
				fi.bools[b2i(b)].remove(slot)
			}
		}
		return
	case index.FieldInteger:
		for _, v := range vals {
			if i, ok := v.(int64); ok {
				if p := fi.integers[i]; p != nil {
					p.remove(slot)
					if p.n == 0 {
						delete(fi.integers, i)
					}
				}
			}
		}
	}
	ks := fi.keys(vals)
	if len(ks) == 0 {
		return
	}
	if u.dropped == dropOneByOneMax {
		u.removed.set(slot)
		return
	}
	u.dropped++
	byKey, asc, desc := orders(ids)
	for _, k := range ks {
		fi.values = dropEntry(fi.values, entry{k, slot}, byKey)
	}
	lo, hi := span(ks)
	fi.asc = dropEntry(fi.asc, entry{lo, slot}, asc)
	fi.desc = dropEntry(fi.desc, entry{hi, slot}, desc)
}

// dropEntry removes e from list, sorted by cmpf, when it is there.
func dropEntry(list []entry, e entry, cmpf func(a, b entry) int) []entry {
	if i, ok := slices.BinarySearchFunc(list, e, cmpf); ok {
		return slices.Delete(list, i, i+1)
	}
	return list
}

// span returns the smallest and the largest of ks (not empty).
func span(ks []key) (lo, hi key) {
	lo, hi = ks[0], ks[0]
	for _, k := range ks[1:] {
		if k.compare(lo) < 0 {
			lo = k
		}
		if k.compare(hi) > 0 {
			hi = k
		}
	}
	return lo, hi
}

// add indexes slot's values (vals are the values of its new payload).
func (fi *fieldIndex) add(u *indexUpdate, slot uint32, vals []any) {
	switch fi.typ {
	case index.FieldKeyword:
		for _, v := range vals {
			if s, ok := v.(string); ok {
				p := fi.keywords[s]
				if p == nil {
					p = &postings{}
					fi.keywords[s] = p
				}
				p.add(slot)
			}
		}
		return
	case index.FieldBool:
		for _, v := range vals {
			if b, ok := v.(bool); ok {
				fi.bools[b2i(b)].add(slot)
			}
		}
		return
	case index.FieldInteger:
		for _, v := range vals {
			if i, ok := v.(int64); ok {
				p := fi.integers[i]
				if p == nil {
					p = &postings{}
					fi.integers[i] = p
				}
				p.add(slot)
			}
		}
	}
	ks := fi.keys(vals)
	if len(ks) == 0 {
		return
	}
	lo, hi := span(ks)
	for _, k := range ks {
		u.values = append(u.values, entry{k, slot})
	}
	u.asc = append(u.asc, entry{lo, slot})
	u.desc = append(u.desc, entry{hi, slot})
}

// commit applies the sorted-list part of an update; ids maps slots to ids
// and must already hold the new points. The lists change in place: a
// write costs what it removes and adds (a point appended in key order,
// the common case for creation times, is an append), not a copy of every
// list.
func (fi *fieldIndex) commit(u *indexUpdate, ids []string) {
	if !fi.typ.Orderable() {
		return
	}
	if len(u.removed) > 0 {
		gone := func(e entry) bool { return u.removed.has(e.slot) }
		fi.values = slices.DeleteFunc(fi.values, gone)
		fi.asc = slices.DeleteFunc(fi.asc, gone)
		fi.desc = slices.DeleteFunc(fi.desc, gone)
	}
	byKey, asc, desc := orders(ids)
	fi.values = mergeSorted(fi.values, u.values, byKey)
	fi.asc = mergeSorted(fi.asc, u.asc, asc)
	fi.desc = mergeSorted(fi.desc, u.desc, desc)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lookup sets in out the slots satisfying fc, and reports whether this
// index answers fc exactly (otherwise out is untouched).
func (fi *fieldIndex) lookup(fc *index.FieldCondition, out bitmap) bool {
	switch {
	case fc.Keyword != nil && fi.typ == index.FieldKeyword:
		if p := fi.keywords[*fc.Keyword]; p != nil {
			p.addTo(out)
		}
	case fc.AnyKeyword != nil && fi.typ == index.FieldKeyword:
		for _, s := range fc.AnyKeyword {
			if p := fi.keywords[s]; p != nil {
				p.addTo(out)
			}
		}
	case fc.Integer != nil && fi.typ == index.FieldInteger:
		if p := fi.integers[*fc.Integer]; p != nil {
			p.addTo(out)
		}
	case fc.AnyInteger != nil && fi.typ == index.FieldInteger:
		for _, i := range fc.AnyInteger {
			if p := fi.integers[i]; p != nil {
				p.addTo(out)
			}
		}
	case fc.Bool != nil && fi.typ == index.FieldBool:
		fi.bools[b2i(*fc.Bool)].addTo(out)
	case fc.Range != nil && (fi.typ == index.FieldInteger || fi.typ == index.FieldFloat):
		r := fc.Range
		lo, hi := 0, len(fi.values)
		if r.Gte != nil {
			lo = max(lo, fi.search(key{num: *r.Gte}, false))
		}
		if r.Gt != nil {
			lo = max(lo, fi.search(key{num: *r.Gt}, true))
		}
		if r.Lte != nil {
			hi = min(hi, fi.search(key{num: *r.Lte}, true))
		}
		if r.Lt != nil {
			hi = min(hi, fi.search(key{num: *r.Lt}, false))
		}
		fi.setRange(lo, hi, out)
	case fc.DatetimeRange != nil && fi.typ == index.FieldDatetime:
		r := fc.DatetimeRange
		lo, hi := 0, len(fi.values)
		if !r.Gte.IsZero() {
			lo = max(lo, fi.search(timeKey(r.Gte), false))
		}
		if !r.Gt.IsZero() {
			lo = max(lo, fi.search(timeKey(r.Gt), true))
		}
		if !r.Lte.IsZero() {
			hi = min(hi, fi.search(timeKey(r.Lte), true))
		}
		if !r.Lt.IsZero() {
			hi = min(hi, fi.search(timeKey(r.Lt), false))
		}
		fi.setRange(lo, hi, out)
	default:
		return false
	}
	return true
}

// search returns the first position whose key is >= k (> k when after).
func (fi *fieldIndex) search(k key, after bool) int {
	i, _ := slices.BinarySearchFunc(fi.values, k, func(e entry, k key) int {
		c := e.key.compare(k)
		if c == 0 && after {
			return -1
		}
		if c == 0 {
			return 1
		}
		return c
	})
	return i
}

func (fi *fieldIndex) setRange(lo, hi int, out bitmap) {
	for _, e := range fi.values[lo:max(lo, hi)] {
		if int(e.slot/64) < len(out) {
			out[e.slot/64] |= 1 << (e.slot % 64)
		}
	}
}
