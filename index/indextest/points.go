package indextest

import (
	"fmt"
	"math"
	"strings"

	"github.com/jieda/jieda/index"
)

func testUpsertGet(e *env) {
	name := e.collection("get", 2, true)
	var pts []index.Point
	for n := 1; n <= 5; n++ {
		pts = append(pts, index.Point{ID: id(n), Dense: []float32{1, float32(n)}, Payload: index.Payload{"n": n}})
	}
	e.upsert(name, pts...)

	got, err := e.s.Get(e.ctx, name, ids(3, 1, 99, 5), index.With{Payload: true})
	e.must(err)
	e.diff("Get in the order asked, missing skipped", []index.Record{
		{ID: id(3), Payload: index.Payload{"n": int64(3)}},
		{ID: id(1), Payload: index.Payload{"n": int64(1)}},
		{ID: id(5), Payload: index.Payload{"n": int64(5)}},
	}, got)

	// Ids in any case come back canonical; a repeated id comes back once, at its first position.
	got, err = e.s.Get(e.ctx, name, []string{strings.ToUpper(id(4)), id(2), id(4), id(2)}, index.With{})
	e.must(err)
	e.diff("Get with upper case and repeated ids", ids(4, 2), recordIDs(got))

	got, err = e.s.Get(e.ctx, name, nil, index.With{Payload: true})
	e.must(err)
	if len(got) != 0 {
		e.Errorf("Get of no ids: %v", got)
	}
	e.must(e.s.Upsert(e.ctx, name, nil))
	n, err := e.s.Count(e.ctx, name, nil)
	e.must(err)
	if n != 5 {
		e.Errorf("count: %d, want 5", n)
	}

	// Upper-case ids on upsert are stored canonical; the last duplicate in a batch wins.
	e.upsert(name,
		index.Point{ID: strings.ToUpper(id(6)), Dense: []float32{1, 0}, Payload: index.Payload{"v": "first"}},
		index.Point{ID: id(6), Dense: []float32{0, 1}, Payload: index.Payload{"v": "last"}},
	)
	got, err = e.s.Get(e.ctx, name, ids(6), index.With{Payload: true, Vectors: true})
	e.must(err)
	e.diff("duplicate id in one batch", []index.Record{{ID: id(6), Payload: index.Payload{"v": "last"}, Dense: []float32{0, 1}}}, got, approxVectors)
}

func testGetWith(e *env) {
	name := e.collection("with", 2, true)
	sp := &index.Sparse{Indices: []uint32{0, 7, 4000000000}, Values: []float32{0.25, -1, 3}}
	e.upsert(name,
		index.Point{ID: id(1), Dense: []float32{0, 2}, Sparse: sp, Payload: index.Payload{"a": "x"}},
		index.Point{ID: id(2), Dense: []float32{2, 0}},
	)
	for _, tc := range []struct {
		with index.With
		want []index.Record
	}{
		{index.With{}, []index.Record{{ID: id(1)}, {ID: id(2)}}},
		{index.With{Payload: true}, []index.Record{{ID: id(1), Payload: index.Payload{"a": "x"}}, {ID: id(2), Payload: index.Payload{}}}},
		{index.With{Vectors: true}, []index.Record{{ID: id(1), Dense: []float32{0, 1}, Sparse: sp}, {ID: id(2), Dense: []float32{1, 0}}}},
		{index.With{Payload: true, Vectors: true}, []index.Record{
			{ID: id(1), Payload: index.Payload{"a": "x"}, Dense: []float32{0, 1}, Sparse: sp},
			{ID: id(2), Payload: index.Payload{}, Dense: []float32{1, 0}},
		}},
	} {
		got, err := e.s.Get(e.ctx, name, ids(1, 2), tc.with)
		e.must(err)
		e.diff("Get", tc.want, got, approxVectors)
		for _, r := range got {
			if !tc.with.Payload && r.Payload != nil {
				e.Errorf("Get without payload returned payload %v", r.Payload)
			}
			if !tc.with.Vectors && (r.Dense != nil || r.Sparse != nil) {
				e.Errorf("Get without vectors returned vectors %v %v", r.Dense, r.Sparse)
			}
		}
	}
}

// testPayloadFields checks that With.Fields limits every read's payload
// to the listed top-level keys, whole (nested values included), and that
// a listed key a point lacks is simply absent.
func testPayloadFields(e *env) {
	name := e.collection("fields", 2, true)
	full := index.Payload{"a": "x", "n": int64(3), "nested": map[string]any{"k": "v"}, "skip": "me"}
	e.upsert(name,
		index.Point{ID: id(1), Dense: []float32{0, 2}, Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{1}}, Payload: full},
		index.Point{ID: id(2), Dense: []float32{2, 1}, Payload: index.Payload{"n": int64(5)}},
	)
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "n", index.FieldInteger))
	with := index.With{Payload: true, Fields: []string{"a", "nested", "n", "absent"}}
	want := map[string]index.Payload{
		id(1): {"a": "x", "n": int64(3), "nested": map[string]any{"k": "v"}},
		id(2): {"n": int64(5)},
	}
	check := func(what string, recs []index.Record) {
		if len(recs) != 2 {
			e.Errorf("%s: %d records, want 2", what, len(recs))
		}
		for _, r := range recs {
			e.diff(what+" "+r.ID, want[r.ID], r.Payload)
		}
	}
	got, err := e.s.Get(e.ctx, name, ids(1, 2), with)
	e.must(err)
	check("Get", got)
	scored, err := e.s.Query(e.ctx, name, index.QueryRequest{Dense: []float32{1, 1}, Limit: 10, With: with})
	e.must(err)
	check("Query", records(scored))
	scored, err = e.s.Query(e.ctx, name, index.QueryRequest{Dense: []float32{1, 1}, Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{1}}, Limit: 10, With: with})
	e.must(err)
	check("hybrid Query", records(scored))
	for _, order := range []*index.OrderBy{nil, {Key: "n"}} {
		page, err := e.s.Scroll(e.ctx, name, index.ScrollRequest{Limit: 10, OrderBy: order, With: with})
		e.must(err)
		check(fmt.Sprintf("Scroll ordered %t", order != nil), page.Points)
	}
	got, err = e.s.Get(e.ctx, name, ids(1), index.With{Payload: true, Fields: []string{}})
	e.must(err)
	if len(got) != 1 || len(got[0].Payload) != 0 {
		e.Errorf("Get with no fields: %+v, want an empty payload", got)
	}
}

// records returns the points of scored results.
func records(ps []index.ScoredPoint) []index.Record {
	out := make([]index.Record, len(ps))
	for i, p := range ps {
		out[i] = p.Record
	}
	return out
}

func testReplaceAndDelete(e *env) {
	name := e.collection("replace", 2, true)
	e.upsert(name,
		index.Point{ID: id(1), Dense: []float32{1, 0}, Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{1}},
			Payload: index.Payload{"a": 1, "b": 2}},
		index.Point{ID: id(2), Dense: []float32{0, 1}, Payload: index.Payload{"a": 2}},
		index.Point{ID: id(3), Dense: []float32{1, 1}, Payload: index.Payload{"a": 3}},
	)
	// Upsert replaces the whole point: payload keys not given are gone, and
	// so is a sparse vector not given.
	e.upsert(name, index.Point{ID: id(1), Dense: []float32{0, 5}, Payload: index.Payload{"c": 3}})
	got, err := e.s.Get(e.ctx, name, ids(1), index.With{Payload: true, Vectors: true})
	e.must(err)
	e.diff("replaced point", []index.Record{{ID: id(1), Payload: index.Payload{"c": int64(3)}, Dense: []float32{0, 1}}}, got, approxVectors)

	e.must(e.s.Delete(e.ctx, name, []string{id(2), id(42), strings.ToUpper(id(3))}))
	got, err = e.s.Get(e.ctx, name, ids(1, 2, 3), index.With{})
	e.must(err)
	e.diff("ids after delete", ids(1), recordIDs(got))
	e.must(e.s.Delete(e.ctx, name, nil))
	e.must(e.s.Delete(e.ctx, name, ids(2)))
	n, err := e.s.Count(e.ctx, name, nil)
	e.must(err)
	if n != 1 {
		e.Errorf("count after delete: %d, want 1", n)
	}
	res, err := e.s.Query(e.ctx, name, index.QueryRequest{Dense: []float32{1, 1}, Limit: 10})
	e.must(err)
	e.diff("query after delete", ids(1), scoredIDs(res))
}

func testDeleteByFilter(e *env) {
	name := e.collection("delfilter", 2, false)
	for n := 1; n <= 6; n++ {
		e.upsert(name, index.Point{ID: id(n), Dense: []float32{1, 0}, Payload: index.Payload{"n": n, "even": n%2 == 0}})
	}
	e.must(e.s.DeleteByFilter(e.ctx, name, &index.Filter{Must: []index.Condition{index.MatchBool("even", true)}}))
	page, err := e.s.Scroll(e.ctx, name, index.ScrollRequest{Limit: 100})
	e.must(err)
	e.diff("ids after deleting even", ids(1, 3, 5), recordIDs(page.Points))

	e.must(e.s.DeleteByFilter(e.ctx, name, &index.Filter{Must: []index.Condition{index.MatchInteger("n", 100)}}))
	err = e.s.DeleteByFilter(e.ctx, name, nil)
	e.wantErr("DeleteByFilter without a filter", err, index.ErrInvalidArgument)
	err = e.s.DeleteByFilter(e.ctx, name, &index.Filter{Must: []index.Condition{{}}})
	e.wantErr("DeleteByFilter with an invalid filter", err, index.ErrInvalidArgument)
	n, err := e.s.Count(e.ctx, name, nil)
	e.must(err)
	if n != 3 {
		e.Errorf("count: %d, want 3", n)
	}
	// An empty filter matches everything.
	e.must(e.s.DeleteByFilter(e.ctx, name, &index.Filter{}))
	n, err = e.s.Count(e.ctx, name, nil)
	e.must(err)
	if n != 0 {
		e.Errorf("count after deleting everything: %d, want 0", n)
	}
}

func testSetOverwritePayload(e *env) {
	name := e.collection("setpayload", 2, false)
	e.upsert(name,
		index.Point{ID: id(1), Dense: []float32{1, 0}, Payload: index.Payload{"a": 1, "obj": index.Payload{"x": 1, "y": 2}}},
		index.Point{ID: id(2), Dense: []float32{0, 1}, Payload: index.Payload{"a": 2}},
		index.Point{ID: id(3), Dense: []float32{1, 1}, Payload: index.Payload{"a": 3}},
	)
	// Set merges top-level keys (an object value replaces the old object);
	// missing ids are ignored and not created.
	e.must(e.s.SetPayload(e.ctx, name, []string{id(1), strings.ToUpper(id(2)), id(9)},
		index.Payload{"b": "new", "obj": index.Payload{"z": 3}}))
	got, err := e.s.Get(e.ctx, name, ids(1, 2, 3, 9), index.With{Payload: true, Vectors: true})
	e.must(err)
	e.diff("after SetPayload", []index.Record{
		{ID: id(1), Payload: e.payload(index.Payload{"a": 1, "b": "new", "obj": index.Payload{"z": 3}}), Dense: []float32{1, 0}},
		{ID: id(2), Payload: e.payload(index.Payload{"a": 2, "b": "new", "obj": index.Payload{"z": 3}}), Dense: []float32{0, 1}},
		{ID: id(3), Payload: e.payload(index.Payload{"a": 3}), Dense: unit([]float32{1, 1})},
	}, got, approxVectors)

	e.must(e.s.OverwritePayload(e.ctx, name, ids(2, 3, 9), index.Payload{"only": true}))
	e.must(e.s.SetPayload(e.ctx, name, ids(1), index.Payload{"a": nil}))
	got, err = e.s.Get(e.ctx, name, ids(1, 2, 3), index.With{Payload: true})
	e.must(err)
	e.diff("after OverwritePayload", []index.Record{
		{ID: id(1), Payload: e.payload(index.Payload{"a": nil, "b": "new", "obj": index.Payload{"z": 3}})},
		{ID: id(2), Payload: index.Payload{"only": true}},
		{ID: id(3), Payload: index.Payload{"only": true}},
	}, got)

	e.must(e.s.OverwritePayload(e.ctx, name, ids(3), index.Payload{}))
	got, err = e.s.Get(e.ctx, name, ids(3), index.With{Payload: true})
	e.must(err)
	if len(got) != 1 || len(got[0].Payload) != 0 {
		e.Errorf("after overwriting with an empty payload: %v", got)
	}
	n, err := e.s.Count(e.ctx, name, nil)
	e.must(err)
	if n != 3 {
		e.Errorf("count: %d, want 3 (payload updates must not create points)", n)
	}
	err = e.s.SetPayload(e.ctx, name, ids(1), index.Payload{"bad": math.NaN()})
	e.wantErr("SetPayload with NaN", err, index.ErrInvalidArgument)
}

func testCount(e *env) {
	name := e.collection("count", 2, false)
	for n := range 30 {
		e.upsert(name, index.Point{ID: id(n), Dense: []float32{1, 0}, Payload: index.Payload{"mod": n % 3}})
	}
	for _, tc := range []struct {
		f    *index.Filter
		want int
	}{
		{nil, 30},
		{&index.Filter{}, 30},
		{&index.Filter{Must: []index.Condition{index.MatchInteger("mod", 1)}}, 10},
		{&index.Filter{MustNot: []index.Condition{index.MatchInteger("mod", 1)}}, 20},
		{&index.Filter{Must: []index.Condition{index.HasID(ids(0, 1, 2, 99)...)}}, 3},
	} {
		got, err := e.s.Count(e.ctx, name, tc.f)
		e.must(err)
		if got != tc.want {
			e.Errorf("Count(%+v) = %d, want %d", tc.f, got, tc.want)
		}
	}
}

func testInvalidIDs(e *env) {
	name := e.collection("ids", 2, false)
	e.upsert(name, index.Point{ID: id(1), Dense: []float32{1, 0}})
	bad := []string{"", "1", "not-a-uuid", "00000000000040008000000000000001",
		"{" + id(1) + "}", "urn:uuid:" + id(1), id(1) + "0", "g0000000-0000-4000-8000-000000000001"}
	for _, b := range bad {
		err := e.s.Upsert(e.ctx, name, []index.Point{{ID: b, Dense: []float32{1, 0}}})
		e.wantErr("Upsert id "+b, err, index.ErrInvalidID)
		_, err = e.s.Get(e.ctx, name, []string{id(1), b}, index.With{})
		e.wantErr("Get id "+b, err, index.ErrInvalidID)
		err = e.s.Delete(e.ctx, name, []string{b})
		e.wantErr("Delete id "+b, err, index.ErrInvalidID)
		err = e.s.SetPayload(e.ctx, name, []string{b}, index.Payload{"a": 1})
		e.wantErr("SetPayload id "+b, err, index.ErrInvalidID)
		err = e.s.OverwritePayload(e.ctx, name, []string{b}, index.Payload{"a": 1})
		e.wantErr("OverwritePayload id "+b, err, index.ErrInvalidID)
	}
	// A batch with one bad id writes nothing.
	err := e.s.Upsert(e.ctx, name, []index.Point{{ID: id(2), Dense: []float32{1, 0}}, {ID: "bad", Dense: []float32{1, 0}}})
	e.wantErr("batch with a bad id", err, index.ErrInvalidID)
	n, err := e.s.Count(e.ctx, name, nil)
	e.must(err)
	if n != 1 {
		e.Errorf("count after a failed batch: %d, want 1", n)
	}
}

func testInvalidVectors(e *env) {
	name := e.collection("vectors", 4, true)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	good := []float32{1, 0, 0, 0}
	for _, tc := range []struct {
		what    string
		p       index.Point
		target  error
		numbers []int
	}{
		{"short dense", index.Point{Dense: []float32{1, 0, 0}}, index.ErrDimensionMismatch, []int{3, 4}},
		{"long dense", index.Point{Dense: []float32{1, 0, 0, 0, 0, 0}}, index.ErrDimensionMismatch, []int{6, 4}},
		{"missing dense", index.Point{}, index.ErrInvalidArgument, nil},
		{"NaN dense", index.Point{Dense: []float32{1, nan, 0, 0}}, index.ErrInvalidArgument, nil},
		{"Inf dense", index.Point{Dense: []float32{1, 0, -inf, 0}}, index.ErrInvalidArgument, nil},
		{"unsorted sparse", index.Point{Dense: good, Sparse: &index.Sparse{Indices: []uint32{5, 2}, Values: []float32{1, 1}}}, index.ErrInvalidArgument, nil},
		{"repeated sparse index", index.Point{Dense: good, Sparse: &index.Sparse{Indices: []uint32{2, 2}, Values: []float32{1, 1}}}, index.ErrInvalidArgument, nil},
		{"sparse lengths differ", index.Point{Dense: good, Sparse: &index.Sparse{Indices: []uint32{1, 2}, Values: []float32{1}}}, index.ErrInvalidArgument, nil},
		{"NaN sparse", index.Point{Dense: good, Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{nan}}}, index.ErrInvalidArgument, nil},
		{"Inf sparse", index.Point{Dense: good, Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{inf}}}, index.ErrInvalidArgument, nil},
		{"NaN payload", index.Point{Dense: good, Payload: index.Payload{"x": math.NaN()}}, index.ErrInvalidArgument, nil},
		{"Inf payload", index.Point{Dense: good, Payload: index.Payload{"x": []any{math.Inf(-1)}}}, index.ErrInvalidArgument, nil},
		{"unencodable payload", index.Point{Dense: good, Payload: index.Payload{"f": func() {}}}, index.ErrInvalidArgument, nil},
	} {
		tc.p.ID = id(1)
		err := e.s.Upsert(e.ctx, name, []index.Point{{ID: id(2), Dense: good}, tc.p})
		e.wantErr(tc.what, err, tc.target, tc.numbers...)
	}
	n, err := e.s.Count(e.ctx, name, nil)
	e.must(err)
	if n != 0 {
		e.Errorf("count after failed upserts: %d, want 0 (a batch with an invalid point writes nothing)", n)
	}
	// An empty sparse vector means none.
	e.upsert(name, index.Point{ID: id(3), Dense: good, Sparse: &index.Sparse{}})
	got, err := e.s.Get(e.ctx, name, ids(3), index.With{Vectors: true})
	e.must(err)
	e.diff("point with an empty sparse vector", []index.Record{{ID: id(3), Dense: good}}, got, approxVectors)
}

func testPayloadRoundTrip(e *env) {
	name := e.collection("payload", 0, true)
	type inner struct {
		A int    `json:"a"`
		B string `json:"b,omitempty"`
	}
	in := index.Payload{
		"int":        7,
		"int8":       int8(-5),
		"uint32":     uint32(4000000000),
		"int64max":   int64(math.MaxInt64),
		"int64min":   int64(math.MinInt64),
		"float":      2.5,
		"float32":    float32(0.25),
		"integral":   4.0, // integral numbers are integers in canonical form
		"small":      1e-7,
		"big":        1.5e300,
		"neg":        -0.125,
		"true":       true,
		"false":      false,
		"null":       nil,
		"string":     "hello",
		"empty":      "",
		"unicode":    "你好，世界 🚀 ñ \u0000 \"quoted\" \\ \n",
		"array":      []any{1, "two", 3.5, false, nil, []any{1}, map[string]any{"k": "v"}},
		"ints":       []int{1, 2, 3},
		"strings":    []string{"a", "b"},
		"noarray":    []any{},
		"noobject":   map[string]any{},
		"nested":     map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": []any{map[string]any{"e": 1}}}}}},
		"struct":     inner{A: 3},
		"dotted.key": "literal",
	}
	want := index.Payload{
		"int": int64(7), "int8": int64(-5), "uint32": int64(4000000000),
		"int64max": int64(math.MaxInt64), "int64min": int64(math.MinInt64),
		"float": 2.5, "float32": 0.25, "integral": int64(4), "small": 1e-7, "big": 1.5e300, "neg": -0.125,
		"true": true, "false": false, "null": nil, "string": "hello", "empty": "",
		"unicode": "你好，世界 🚀 ñ \u0000 \"quoted\" \\ \n",
		"array":   []any{int64(1), "two", 3.5, false, nil, []any{int64(1)}, map[string]any{"k": "v"}},
		"ints":    []any{int64(1), int64(2), int64(3)}, "strings": []any{"a", "b"},
		"noarray": []any{}, "noobject": map[string]any{},
		"nested": map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{
			"d": []any{map[string]any{"e": int64(1)}}}}}},
		"struct":     map[string]any{"a": int64(3)},
		"dotted.key": "literal",
	}
	if c := e.payload(in); !equalPayload(want, c) {
		e.Fatalf("the suite's expectation disagrees with index.CanonicalPayload: %v", c)
	}
	e.upsert(name, index.Point{ID: id(1), Payload: in})
	got, err := e.s.Get(e.ctx, name, ids(1), index.With{Payload: true})
	e.must(err)
	if len(got) != 1 {
		e.Fatalf("Get: %v", got)
	}
	// Compare exactly: empty arrays and objects must stay what they are.
	e.diffExact("payload round trip", want, got[0].Payload)

	// The same through SetPayload and OverwritePayload.
	e.upsert(name, index.Point{ID: id(2)})
	e.must(e.s.SetPayload(e.ctx, name, ids(2), in))
	e.must(e.s.OverwritePayload(e.ctx, name, ids(3), in)) // missing: ignored
	e.upsert(name, index.Point{ID: id(3)})
	e.must(e.s.OverwritePayload(e.ctx, name, ids(3), in))
	got, err = e.s.Get(e.ctx, name, ids(2, 3), index.With{Payload: true})
	e.must(err)
	if len(got) != 2 {
		e.Fatalf("Get: %v", got)
	}
	e.diffExact("payload through SetPayload", want, got[0].Payload)
	e.diffExact("payload through OverwritePayload", want, got[1].Payload)
}

func testLargePayloads(e *env) {
	name := e.collection("large", 2, false)
	// Five points of ~300 KB each: a 200 KB string, 2,000 small objects and
	// objects nested 10 deep (sizes a gRPC transport must be configured for).
	big := strings.Repeat("长文本 long text ", 200*1024/20)
	arr := make([]any, 2000)
	for i := range arr {
		arr[i] = map[string]any{"i": int64(i), "s": strings.Repeat("x", i%50)}
	}
	deep := map[string]any{"leaf": "bottom"}
	for range 10 {
		deep = map[string]any{"next": deep, "tag": "level"}
	}
	in := index.Payload{"big": big, "arr": arr, "deep": deep}
	var many []index.Point
	for n := range 5 {
		many = append(many, index.Point{ID: id(n), Dense: []float32{1, float32(n)}, Payload: in})
	}
	e.upsert(name, many...)
	got, err := e.s.Get(e.ctx, name, ids(3), index.With{Payload: true})
	e.must(err)
	if len(got) != 1 {
		e.Fatalf("Get: %v", got)
	}
	e.diffExact("large payload", e.payload(in), got[0].Payload)
	res, err := e.s.Query(e.ctx, name, index.QueryRequest{Dense: []float32{0, 1}, Limit: 20, With: index.With{Payload: true}})
	e.must(err)
	if len(res) != 5 {
		e.Fatalf("query: %d results, want 5", len(res))
	}
	for _, r := range res {
		if r.Payload["big"] != big {
			e.Fatalf("large payload of %s truncated or changed in query results", r.ID)
		}
	}
}

func testVectorsNormalized(e *env) {
	name := e.collection("normalized", 4, true)
	e.upsert(name,
		index.Point{ID: id(1), Dense: []float32{3, 4, 0, 0}},
		index.Point{ID: id(2), Dense: []float32{0.001, 0, 0, 0}},
		index.Point{ID: id(3), Dense: []float32{-2, 2, -2, 2}},
		index.Point{ID: id(4), Dense: []float32{1e6, 1e6, 0, 0}},
	)
	got, err := e.s.Get(e.ctx, name, ids(1, 2, 3, 4), index.With{Vectors: true})
	e.must(err)
	e.diff("normalized vectors", []index.Record{
		{ID: id(1), Dense: []float32{0.6, 0.8, 0, 0}},
		{ID: id(2), Dense: []float32{1, 0, 0, 0}},
		{ID: id(3), Dense: []float32{-0.5, 0.5, -0.5, 0.5}},
		{ID: id(4), Dense: unit([]float32{1, 1, 0, 0})},
	}, got, approxVectors)
	// Scores are cosines whatever the query's length.
	res, err := e.s.Query(e.ctx, name, index.QueryRequest{Dense: []float32{0, 100, 0, 0}})
	e.must(err)
	checkRanked(e, "cosine scores", []index.ScoredPoint{sp(id(1), 0.8), sp(id(4), float32(math.Sqrt(0.5))), sp(id(3), 0.5), sp(id(2), 0)},
		nil, res)
}

func testReturnsCopies(e *env) {
	name := e.collection("copies", 2, true)
	in := index.Payload{"obj": map[string]any{"k": "v"}, "arr": []any{"a"}}
	dense := []float32{0, 1}
	sparse := &index.Sparse{Indices: []uint32{1}, Values: []float32{1}}
	e.upsert(name, index.Point{ID: id(1), Dense: dense, Sparse: sparse, Payload: in})
	// Mutating what was written does not change the store.
	in["obj"].(map[string]any)["k"] = "changed"
	in["new"] = 1
	dense[0] = 5
	sparse.Values[0] = 9

	with := index.With{Payload: true, Vectors: true}
	want := []index.Record{{ID: id(1), Payload: index.Payload{"obj": map[string]any{"k": "v"}, "arr": []any{"a"}},
		Dense: []float32{0, 1}, Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{1}}}}
	got, err := e.s.Get(e.ctx, name, ids(1), with)
	e.must(err)
	e.diff("after mutating the input", want, got, approxVectors)

	// Mutating what was read does not change the store either.
	mutate := func(r index.Record) {
		r.Payload["obj"].(map[string]any)["k"] = "changed"
		r.Payload["arr"].([]any)[0] = "changed"
		r.Payload["new"] = 1
		r.Dense[0] = 5
		r.Sparse.Indices[0] = 7
		r.Sparse.Values[0] = 9
	}
	mutate(got[0])
	res, err := e.s.Query(e.ctx, name, index.QueryRequest{Dense: []float32{0, 1}, With: with})
	e.must(err)
	mutate(res[0].Record)
	page, err := e.s.Scroll(e.ctx, name, index.ScrollRequest{With: with})
	e.must(err)
	mutate(page.Points[0])
	groups, err := e.s.QueryGroups(e.ctx, name, index.QueryRequest{Dense: []float32{0, 1}, With: with}, index.GroupBy{Key: "arr"})
	e.must(err)
	if len(groups) == 1 && len(groups[0].Hits) == 1 {
		mutate(groups[0].Hits[0].Record)
	} else {
		e.Errorf("groups: %v", groups)
	}
	got, err = e.s.Get(e.ctx, name, ids(1), with)
	e.must(err)
	e.diff("after mutating what was read", want, got, approxVectors)
}
