package qdrant

import (
	"time"

	qc "github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jieda/jieda/index"
)

// toFilter converts a validated filter; nil stays nil.
func toFilter(f *index.Filter) *qc.Filter {
	if f == nil {
		return nil
	}
	return &qc.Filter{
		Must:    toConditions(f.Must),
		Should:  toConditions(f.Should),
		MustNot: toConditions(f.MustNot),
	}
}

func toConditions(cs []index.Condition) []*qc.Condition {
	if len(cs) == 0 {
		return nil
	}
	out := make([]*qc.Condition, len(cs))
	for i, c := range cs {
		out[i] = toCondition(c)
	}
	return out
}

func toCondition(c index.Condition) *qc.Condition {
	switch {
	case c.Field != nil:
		return &qc.Condition{ConditionOneOf: &qc.Condition_Field{Field: toFieldCondition(c.Field)}}
	case c.HasID != nil:
		ids := make([]*qc.PointId, len(c.HasID))
		for i, id := range c.HasID {
			canon, _ := index.CanonicalID(id) // validated
			ids[i] = qc.NewIDUUID(canon)
		}
		return &qc.Condition{ConditionOneOf: &qc.Condition_HasId{HasId: &qc.HasIdCondition{HasId: ids}}}
	case c.IsEmpty != "":
		return &qc.Condition{ConditionOneOf: &qc.Condition_IsEmpty{IsEmpty: &qc.IsEmptyCondition{Key: c.IsEmpty}}}
	case c.Nested != nil:
		return &qc.Condition{ConditionOneOf: &qc.Condition_Filter{Filter: toFilter(c.Nested)}}
	}
	return nil
}

func toFieldCondition(fc *index.FieldCondition) *qc.FieldCondition {
	out := &qc.FieldCondition{Key: fc.Key}
	switch {
	case fc.Keyword != nil:
		out.Match = &qc.Match{MatchValue: &qc.Match_Keyword{Keyword: *fc.Keyword}}
	case fc.Integer != nil:
		out.Match = &qc.Match{MatchValue: &qc.Match_Integer{Integer: *fc.Integer}}
	case fc.Bool != nil:
		out.Match = &qc.Match{MatchValue: &qc.Match_Boolean{Boolean: *fc.Bool}}
	case fc.AnyKeyword != nil:
		out.Match = &qc.Match{MatchValue: &qc.Match_Keywords{Keywords: &qc.RepeatedStrings{Strings: fc.AnyKeyword}}}
	case fc.AnyInteger != nil:
		out.Match = &qc.Match{MatchValue: &qc.Match_Integers{Integers: &qc.RepeatedIntegers{Integers: fc.AnyInteger}}}
	case fc.Range != nil:
		out.Range = &qc.Range{Gt: fc.Range.Gt, Gte: fc.Range.Gte, Lt: fc.Range.Lt, Lte: fc.Range.Lte}
	case fc.DatetimeRange != nil:
		r := fc.DatetimeRange
		out.DatetimeRange = &qc.DatetimeRange{Gt: timestamp(r.Gt), Gte: timestamp(r.Gte), Lt: timestamp(r.Lt), Lte: timestamp(r.Lte)}
	}
	return out
}

// timestamp converts a range bound; the zero time is an open bound.
func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// excludeIDs adds must_not has_id(ids) to a filter (a copy; f may be nil).
func excludeIDs(f *qc.Filter, ids []string) *qc.Filter {
	if len(ids) == 0 {
		return f
	}
	out := &qc.Filter{}
	if f != nil {
		out.Must, out.Should, out.MustNot, out.MinShould = f.Must, f.Should, f.MustNot, f.MinShould
	}
	out.MustNot = append(append([]*qc.Condition(nil), out.MustNot...),
		&qc.Condition{ConditionOneOf: &qc.Condition_HasId{HasId: &qc.HasIdCondition{HasId: pointIDs(ids)}}})
	return out
}

// hasIDs is the filter id ∈ ids.
func hasIDs(ids []string) *qc.Filter {
	return &qc.Filter{Must: []*qc.Condition{{ConditionOneOf: &qc.Condition_HasId{HasId: &qc.HasIdCondition{HasId: pointIDs(ids)}}}}}
}
