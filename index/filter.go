package index

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Filter selects points, with Qdrant's semantics: every Must condition
// holds, at least one Should condition holds (when there are any), and no
// MustNot condition holds. An empty filter matches everything.
type Filter struct {
	Must    []Condition
	Should  []Condition
	MustNot []Condition
}

// Condition is one clause of a Filter: exactly one field is set.
type Condition struct {
	// Field tests a payload field.
	Field *FieldCondition
	// HasID holds for points with one of these ids.
	HasID []string
	// IsEmpty holds when the key is missing, null or an empty array.
	IsEmpty string
	// Nested is a sub-filter.
	Nested *Filter
}

// FieldCondition tests a payload field. Key is a path as in Qdrant: "a.b"
// into nested objects, "a[].b" into the objects of array a (see Values);
// when the path ends at an array, the condition holds if it holds for any
// element. Exactly one of the tests is set.
type FieldCondition struct {
	Key string
	// Keyword matches a string value exactly.
	Keyword *string
	// Integer matches an integer value.
	Integer *int64
	// Bool matches a boolean value.
	Bool *bool
	// AnyKeyword matches any of these strings.
	AnyKeyword []string
	// AnyInteger matches any of these integers.
	AnyInteger []int64
	// Range bounds a numeric value.
	Range *Range
	// DatetimeRange bounds an RFC 3339 datetime value.
	DatetimeRange *DatetimeRange
}

// Range bounds a number; nil bounds are open.
type Range struct {
	Gt, Gte, Lt, Lte *float64
}

// DatetimeRange bounds a datetime; zero bounds are open.
type DatetimeRange struct {
	Gt, Gte, Lt, Lte time.Time
}

// MatchKeyword is the condition key == value.
func MatchKeyword(key, value string) Condition {
	return Condition{Field: &FieldCondition{Key: key, Keyword: &value}}
}

// MatchInteger is the condition key == value.
func MatchInteger(key string, value int64) Condition {
	return Condition{Field: &FieldCondition{Key: key, Integer: &value}}
}

// MatchBool is the condition key == value.
func MatchBool(key string, value bool) Condition {
	return Condition{Field: &FieldCondition{Key: key, Bool: &value}}
}

// MatchAnyKeyword is the condition key ∈ values.
func MatchAnyKeyword(key string, values ...string) Condition {
	return Condition{Field: &FieldCondition{Key: key, AnyKeyword: values}}
}

// MatchAnyInteger is the condition key ∈ values.
func MatchAnyInteger(key string, values ...int64) Condition {
	return Condition{Field: &FieldCondition{Key: key, AnyInteger: values}}
}

// NumberRange is the condition r holds for key's number.
func NumberRange(key string, r Range) Condition {
	return Condition{Field: &FieldCondition{Key: key, Range: &r}}
}

// TimeRange is the condition r holds for key's datetime.
func TimeRange(key string, r DatetimeRange) Condition {
	return Condition{Field: &FieldCondition{Key: key, DatetimeRange: &r}}
}

// IsEmpty is the condition key is missing, null or [].
func IsEmpty(key string) Condition { return Condition{IsEmpty: key} }

// HasID is the condition id ∈ ids (no ids: matches nothing).
func HasID(ids ...string) Condition {
	if ids == nil {
		ids = []string{}
	}
	return Condition{HasID: ids}
}

// Nested wraps a filter as a condition.
func Nested(f Filter) Condition { return Condition{Nested: &f} }

// F returns a pointer to v, for Range bounds.
func F(v float64) *float64 { return &v }

// Validate checks the filter's structure: one test per condition, keys
// present, ids valid, bounds finite.
func (f *Filter) Validate() error {
	if f == nil {
		return nil
	}
	for _, list := range [][]Condition{f.Must, f.Should, f.MustNot} {
		for _, c := range list {
			if err := c.validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c Condition) validate() error {
	n := 0
	if c.Field != nil {
		n++
	}
	if c.HasID != nil {
		n++
	}
	if c.IsEmpty != "" {
		n++
	}
	if c.Nested != nil {
		n++
	}
	if n != 1 {
		return fmt.Errorf("%w: a filter condition must set exactly one test, got %d", ErrInvalidArgument, n)
	}
	switch {
	case c.Field != nil:
		return c.Field.validate()
	case c.HasID != nil:
		for _, id := range c.HasID {
			if _, err := CanonicalID(id); err != nil {
				return err
			}
		}
	case c.Nested != nil:
		return c.Nested.Validate()
	}
	return nil
}

func (fc *FieldCondition) validate() error {
	if fc.Key == "" {
		return fmt.Errorf("%w: filter condition without a key", ErrInvalidArgument)
	}
	n := 0
	for _, set := range []bool{fc.Keyword != nil, fc.Integer != nil, fc.Bool != nil, fc.AnyKeyword != nil,
		fc.AnyInteger != nil, fc.Range != nil, fc.DatetimeRange != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%w: condition on %q must set exactly one test, got %d", ErrInvalidArgument, fc.Key, n)
	}
	if r := fc.Range; r != nil {
		for _, b := range []*float64{r.Gt, r.Gte, r.Lt, r.Lte} {
			if b != nil && (math.IsNaN(*b) || math.IsInf(*b, 0)) {
				return fmt.Errorf("%w: range on %q has a non-finite bound", ErrInvalidArgument, fc.Key)
			}
		}
	}
	return nil
}

// Match reports whether a point with this id and payload satisfies f.
// It is the reference semantics every engine implements.
func (f *Filter) Match(id string, p Payload) bool {
	if f == nil {
		return true
	}
	for _, c := range f.Must {
		if !c.match(id, p) {
			return false
		}
	}
	for _, c := range f.MustNot {
		if c.match(id, p) {
			return false
		}
	}
	if len(f.Should) == 0 {
		return true
	}
	for _, c := range f.Should {
		if c.match(id, p) {
			return true
		}
	}
	return false
}

func (c Condition) match(id string, p Payload) bool {
	switch {
	case c.Field != nil:
		return c.Field.match(p)
	case c.HasID != nil:
		for _, want := range c.HasID {
			if w, err := CanonicalID(want); err == nil && w == id {
				return true
			}
		}
		return false
	case c.IsEmpty != "":
		return len(Values(p, c.IsEmpty)) == 0
	case c.Nested != nil:
		return c.Nested.Match(id, p)
	}
	return false
}

func (fc *FieldCondition) match(p Payload) bool {
	for _, v := range Values(p, fc.Key) {
		if fc.matchValue(v) {
			return true
		}
	}
	return false
}

func (fc *FieldCondition) matchValue(v any) bool {
	switch {
	case fc.Keyword != nil:
		s, ok := v.(string)
		return ok && s == *fc.Keyword
	case fc.Integer != nil:
		i, ok := v.(int64)
		return ok && i == *fc.Integer
	case fc.Bool != nil:
		b, ok := v.(bool)
		return ok && b == *fc.Bool
	case fc.AnyKeyword != nil:
		s, ok := v.(string)
		if !ok {
			return false
		}
		for _, w := range fc.AnyKeyword {
			if s == w {
				return true
			}
		}
	case fc.AnyInteger != nil:
		i, ok := v.(int64)
		if !ok {
			return false
		}
		for _, w := range fc.AnyInteger {
			if i == w {
				return true
			}
		}
	case fc.Range != nil:
		x, ok := Number(v)
		return ok && fc.Range.Contains(x)
	case fc.DatetimeRange != nil:
		s, ok := v.(string)
		if !ok {
			return false
		}
		t, err := ParseTime(s)
		return err == nil && fc.DatetimeRange.Contains(t)
	}
	return false
}

// Contains reports whether x is within the range.
func (r Range) Contains(x float64) bool {
	return (r.Gt == nil || x > *r.Gt) && (r.Gte == nil || x >= *r.Gte) &&
		(r.Lt == nil || x < *r.Lt) && (r.Lte == nil || x <= *r.Lte)
}

// Contains reports whether t is within the range.
func (r DatetimeRange) Contains(t time.Time) bool {
	return (r.Gt.IsZero() || t.After(r.Gt)) && (r.Gte.IsZero() || !t.Before(r.Gte)) &&
		(r.Lt.IsZero() || t.Before(r.Lt)) && (r.Lte.IsZero() || !t.After(r.Lte))
}

// ParseTime parses a payload datetime: RFC 3339, or a date and time without
// zone (UTC), or a date.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a datetime: " + s)
}
