package indextest

import (
	"fmt"
	"math/rand/v2"

	"github.com/jieda/jieda/index"
)

// testGroupsExact checks hand-computed groups: string and integer keys,
// array-valued keys, points without a usable key, size, limit, filter and
// threshold.
func testGroupsExact(e *env) {
	name := e.collection("groups", 4, true)
	type pt struct {
		n     int
		score float64
		key   any
	}
	data := []pt{
		{1, 0.95, "A"}, {2, 0.80, "A"}, {3, 0.60, "A"},
		{4, 0.90, "B"}, {5, 0.85, "B"},
		{6, 0.70, "C"},
		{7, 0.75, 7},
		{8, 0.65, []any{"A", "D", "D"}},
		{9, 0.99, nil},   // no key
		{10, 0.98, true}, // not a keyword or integer
		{11, 0.97, 1.5},  // not an integer
		{12, 0.96, []any{}},
		{13, 0.55, 7},
	}
	for _, d := range data {
		p := index.Payload{"other": 1}
		if d.key != nil {
			p["article"] = d.key
			p["meta"] = map[string]any{"article": d.key}
		}
		e.upsert(name, index.Point{ID: id(d.n), Dense: cosVec(d.score), Payload: p,
			Sparse: &index.Sparse{Indices: []uint32{uint32(d.n)}, Values: []float32{1}}})
	}
	hit := func(n int, score float32) index.ScoredPoint { return sp(id(n), score) }
	g := func(key any, hits ...index.ScoredPoint) index.Group { return index.Group{Key: key, Hits: hits} }
	notA := &index.Filter{MustNot: []index.Condition{index.MatchKeyword("article", "A")}}
	for _, tc := range []struct {
		what  string
		req   index.QueryRequest
		group index.GroupBy
		want  []index.Group
	}{
		{"size 2", index.QueryRequest{Dense: e1}, index.GroupBy{Key: "article", Size: 2}, []index.Group{
			g("A", hit(1, 0.95), hit(2, 0.80)), g("B", hit(4, 0.90), hit(5, 0.85)), g(int64(7), hit(7, 0.75), hit(13, 0.55)),
			g("C", hit(6, 0.70)), g("D", hit(8, 0.65)),
		}},
		{"size 5", index.QueryRequest{Dense: e1}, index.GroupBy{Key: "article", Size: 5, Limit: 2}, []index.Group{
			g("A", hit(1, 0.95), hit(2, 0.80), hit(8, 0.65), hit(3, 0.60)), g("B", hit(4, 0.90), hit(5, 0.85)),
		}},
		{"defaults: size 1, limit 10", index.QueryRequest{Dense: e1}, index.GroupBy{Key: "article"}, []index.Group{
			g("A", hit(1, 0.95)), g("B", hit(4, 0.90)), g(int64(7), hit(7, 0.75)), g("C", hit(6, 0.70)), g("D", hit(8, 0.65)),
		}},
		{"limit 3", index.QueryRequest{Dense: e1}, index.GroupBy{Key: "article", Limit: 3}, []index.Group{
			g("A", hit(1, 0.95)), g("B", hit(4, 0.90)), g(int64(7), hit(7, 0.75)),
		}},
		{"dotted key", index.QueryRequest{Dense: e1}, index.GroupBy{Key: "meta.article", Limit: 2}, []index.Group{
			g("A", hit(1, 0.95)), g("B", hit(4, 0.90)),
		}},
		{"filter", index.QueryRequest{Dense: e1, Filter: notA}, index.GroupBy{Key: "article", Size: 3}, []index.Group{
			g("B", hit(4, 0.90), hit(5, 0.85)), g(int64(7), hit(7, 0.75), hit(13, 0.55)), g("C", hit(6, 0.70)),
		}},
		{"threshold", index.QueryRequest{Dense: e1, ScoreThreshold: ptr[float32](0.79)}, index.GroupBy{Key: "article", Size: 3}, []index.Group{
			g("A", hit(1, 0.95), hit(2, 0.80)), g("B", hit(4, 0.90), hit(5, 0.85)),
		}},
		{"no such key", index.QueryRequest{Dense: e1}, index.GroupBy{Key: "absent"}, nil},
		{"sparse", index.QueryRequest{Sparse: &index.Sparse{Indices: []uint32{3, 5, 7}, Values: []float32{3, 2, 1}}},
			index.GroupBy{Key: "article", Size: 2}, []index.Group{
				g("A", hit(3, float32(3*index.IDF(1, 13)))), g("B", hit(5, float32(2*index.IDF(1, 13)))), g(int64(7), hit(7, float32(index.IDF(1, 13)))),
			}},
		{"hybrid", index.QueryRequest{Dense: e1, Sparse: &index.Sparse{Indices: []uint32{3}, Values: []float32{1}}, RRFK: 1},
			index.GroupBy{Key: "article", Size: 2, Limit: 2}, []index.Group{
				// Dense ranks: 9 10 11 12 1 4 5 2 7 6 8 3 13; sparse: 3.
				g("A", hit(3, float32(1.0/2+1.0/13)), hit(1, float32(1.0/6))), g("B", hit(4, float32(1.0/7)), hit(5, float32(1.0/8))),
			}},
	} {
		got, err := e.s.QueryGroups(e.ctx, name, tc.req, tc.group)
		e.must(err)
		checkGroups(e, tc.what, tc.want, nil, got)
	}

	// Hits carry what With asks for.
	got, err := e.s.QueryGroups(e.ctx, name, index.QueryRequest{Dense: e1, With: index.With{Payload: true}}, index.GroupBy{Key: "article", Limit: 1})
	e.must(err)
	if len(got) != 1 || len(got[0].Hits) != 1 || got[0].Hits[0].Payload["article"] != "A" {
		e.Errorf("grouped query with payload: %+v", got)
	}
	got, err = e.s.QueryGroups(e.ctx, name, index.QueryRequest{Dense: e1}, index.GroupBy{Key: "article", Limit: 1})
	e.must(err)
	if len(got) != 1 || len(got[0].Hits) != 1 || got[0].Hits[0].Payload != nil {
		e.Errorf("grouped query without payload: %+v", got)
	}
}

// testGroupsReference compares grouped dense, sparse and hybrid queries
// with the reference over random data.
func testGroupsReference(e *env) {
	rng := rand.New(rand.NewPCG(9, 10))
	name := e.collection("groupsref", 16, true)
	m := newModel()
	pts := queryData(rng)
	e.upsert(name, pts...)
	for _, p := range pts {
		m.put(e, p)
	}
	for q := range 3 {
		dense, sparse := pickQuery(e, m, rng)
		filter := &index.Filter{MustNot: []index.Condition{index.MatchInteger("n", 0)}}
		for _, req := range []index.QueryRequest{
			{Dense: dense},
			{Sparse: sparse},
			{Dense: dense, Sparse: sparse},
			{Dense: dense, Sparse: sparse, RRFK: 2, Filter: filter},
			{Dense: dense, Sparse: sparse, Fusion: index.FusionDBSF},
		} {
			for _, group := range []index.GroupBy{
				{Key: "cat", Size: 3},
				{Key: "tags", Size: 2, Limit: 2},
				{Key: "n", Size: 4, Limit: 3},
				{Key: "n"},
			} {
				want, all := m.groups(req, group)
				got, err := e.s.QueryGroups(e.ctx, name, req, group)
				e.must(err)
				checkGroups(e, fmt.Sprintf("query %d %s group by %s size %d limit %d", q, describe(req), group.Key, group.Size, group.Limit),
					want, all, got)
			}
		}
	}
}

func testGroupsInvalid(e *env) {
	name := e.collection("groupsinvalid", 4, false)
	e.upsert(name, index.Point{ID: id(1), Dense: e1, Payload: index.Payload{"k": "a"}})
	for _, g := range []index.GroupBy{
		{Key: ""},
		{Key: "k", Size: -1},
		{Key: "k", Limit: -1},
		{Key: "k", Size: 10001},
		{Key: "k", Limit: 10001},
	} {
		_, err := e.s.QueryGroups(e.ctx, name, index.QueryRequest{Dense: e1}, g)
		e.wantErr(fmt.Sprintf("group by %+v", g), err, index.ErrInvalidArgument)
	}
}
