package indextest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/jieda/jieda/index"
)

func testQueryEmpty(e *env) {
	name := e.collection("qempty", 4, true)
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "n", index.FieldInteger))
	check := func(stage string) {
		sparse := &index.Sparse{Indices: []uint32{1}, Values: []float32{1}}
		for _, req := range []index.QueryRequest{
			{Dense: e1},
			{Sparse: sparse},
			{Dense: e1, Sparse: sparse},
			{Dense: e1, Sparse: sparse, Fusion: index.FusionDBSF},
			{Dense: e1, Filter: &index.Filter{Must: []index.Condition{index.MatchKeyword("k", "v")}}},
		} {
			res, err := e.s.Query(e.ctx, name, req)
			e.must(err)
			if len(res) != 0 {
				e.Errorf("%s: query returned %v", stage, res)
			}
			groups, err := e.s.QueryGroups(e.ctx, name, req, index.GroupBy{Key: "k"})
			e.must(err)
			if len(groups) != 0 {
				e.Errorf("%s: grouped query returned %v", stage, groups)
			}
		}
		for _, req := range []index.ScrollRequest{{}, {OrderBy: &index.OrderBy{Key: "n"}}, {OrderBy: &index.OrderBy{Key: "n", Direction: index.Desc}}} {
			page, err := e.s.Scroll(e.ctx, name, req)
			e.must(err)
			if len(page.Points) != 0 || page.Next != "" {
				e.Errorf("%s: scroll returned %+v", stage, page)
			}
		}
		n, err := e.s.Count(e.ctx, name, nil)
		e.must(err)
		if n != 0 {
			e.Errorf("%s: count %d", stage, n)
		}
	}
	check("new collection")
	e.upsert(name, index.Point{ID: id(1), Dense: e1, Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{1}},
		Payload: index.Payload{"k": "v", "n": 1}})
	e.must(e.s.Delete(e.ctx, name, ids(1)))
	check("after deleting every point")
}

func testQueryInvalid(e *env) {
	name := e.collection("qinvalid", 4, true)
	e.upsert(name, index.Point{ID: id(1), Dense: e1})
	nan := float32(math.NaN())
	sparse := &index.Sparse{Indices: []uint32{1}, Values: []float32{1}}
	for _, tc := range []struct {
		what    string
		req     index.QueryRequest
		target  error
		numbers []int
	}{
		{"short dense", index.QueryRequest{Dense: []float32{1, 0, 0}}, index.ErrDimensionMismatch, []int{3, 4}},
		{"long dense in hybrid", index.QueryRequest{Dense: []float32{1, 0, 0, 0, 0}, Sparse: sparse}, index.ErrDimensionMismatch, []int{5, 4}},
		{"no vector", index.QueryRequest{}, index.ErrInvalidArgument, nil},
		{"empty vectors", index.QueryRequest{Dense: []float32{}, Sparse: &index.Sparse{}}, index.ErrInvalidArgument, nil},
		{"NaN dense", index.QueryRequest{Dense: []float32{nan, 0, 0, 0}}, index.ErrInvalidArgument, nil},
		{"NaN sparse", index.QueryRequest{Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{nan}}}, index.ErrInvalidArgument, nil},
		{"unsorted sparse", index.QueryRequest{Sparse: &index.Sparse{Indices: []uint32{2, 1}, Values: []float32{1, 1}}}, index.ErrInvalidArgument, nil},
		{"sparse lengths", index.QueryRequest{Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{1, 2}}}, index.ErrInvalidArgument, nil},
		{"negative limit", index.QueryRequest{Dense: e1, Limit: -1}, index.ErrInvalidArgument, nil},
		{"limit above 10000", index.QueryRequest{Dense: e1, Limit: 10001}, index.ErrInvalidArgument, nil},
		{"negative offset", index.QueryRequest{Dense: e1, Offset: -1}, index.ErrInvalidArgument, nil},
		{"negative prefetch", index.QueryRequest{Dense: e1, Sparse: sparse, PrefetchLimit: -1}, index.ErrInvalidArgument, nil},
		{"prefetch above 10000", index.QueryRequest{Dense: e1, Sparse: sparse, PrefetchLimit: 10001}, index.ErrInvalidArgument, nil},
		{"negative RRF k", index.QueryRequest{Dense: e1, Sparse: sparse, RRFK: -1}, index.ErrInvalidArgument, nil},
		{"unknown fusion", index.QueryRequest{Dense: e1, Sparse: sparse, Fusion: 7}, index.ErrInvalidArgument, nil},
		{"NaN threshold", index.QueryRequest{Dense: e1, ScoreThreshold: ptr(nan)}, index.ErrInvalidArgument, nil},
		{"invalid filter", index.QueryRequest{Dense: e1, Filter: &index.Filter{Should: []index.Condition{{}}}}, index.ErrInvalidArgument, nil},
	} {
		_, err := e.s.Query(e.ctx, name, tc.req)
		e.wantErr("Query: "+tc.what, err, tc.target, tc.numbers...)
		_, err = e.s.QueryGroups(e.ctx, name, tc.req, index.GroupBy{Key: "k"})
		e.wantErr("QueryGroups: "+tc.what, err, tc.target, tc.numbers...)
	}
	for _, req := range []index.QueryRequest{
		{Dense: e1, Limit: 10000},
		{Dense: e1, Sparse: sparse, PrefetchLimit: 10000, Limit: 10000},
		{Dense: e1, Offset: 20000},
	} {
		if _, err := e.s.Query(e.ctx, name, req); err != nil {
			e.Errorf("Query(limit %d, prefetch %d, offset %d): %v", req.Limit, req.PrefetchLimit, req.Offset, err)
		}
	}
}

func testQueryDefaults(e *env) {
	name := e.collection("qdefaults", 2, true)
	var pts []index.Point
	for n := range 25 {
		pts = append(pts, index.Point{ID: id(n), Dense: []float32{1, float32(n)},
			Sparse: &index.Sparse{Indices: []uint32{uint32(n % 3)}, Values: []float32{1}}})
	}
	e.upsert(name, pts...)
	for _, req := range []index.QueryRequest{
		{Dense: []float32{1, 1}},
		{Sparse: &index.Sparse{Indices: []uint32{0, 1, 2}, Values: []float32{1, 1, 1}}},
		{Dense: []float32{1, 1}, Sparse: &index.Sparse{Indices: []uint32{0}, Values: []float32{1}}},
	} {
		res, err := e.s.Query(e.ctx, name, req)
		e.must(err)
		if len(res) != 10 {
			e.Errorf("query without a limit returned %d results, want the default 10", len(res))
		}
	}
	page, err := e.s.Scroll(e.ctx, name, index.ScrollRequest{})
	e.must(err)
	e.diff("scroll without a limit", ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), recordIDs(page.Points))
	if page.Next == "" {
		e.Errorf("scroll of the first 10 of 25 points has no Next")
	}
}

// testQueryExact checks hand-computed rankings and scores.
func testQueryExact(e *env) {
	name := e.collection("qexact", 4, true)
	sps := func(kv ...float32) *index.Sparse {
		s := &index.Sparse{}
		for i := 0; i < len(kv); i += 2 {
			s.Indices = append(s.Indices, uint32(kv[i]))
			s.Values = append(s.Values, kv[i+1])
		}
		return s
	}
	e.upsert(name,
		index.Point{ID: id(1), Dense: cosVec(0.9), Sparse: sps(1, 1), Payload: index.Payload{"g": "x"}},
		index.Point{ID: id(2), Dense: cosVec(0.7), Payload: index.Payload{"g": "y"}},
		index.Point{ID: id(3), Dense: cosVec(0.5), Sparse: sps(1, 2, 2, 1), Payload: index.Payload{"g": "x"}},
		index.Point{ID: id(4), Dense: cosVec(0.3), Sparse: sps(2, 0.5), Payload: index.Payload{"g": "y"}},
		index.Point{ID: id(5), Dense: cosVec(0.1), Sparse: sps(3, 5), Payload: index.Payload{"g": "x"}},
		index.Point{ID: id(6), Dense: cosVec(-0.2), Payload: index.Payload{"g": "z"}},
	)
	gx := &index.Filter{Must: []index.Condition{index.MatchKeyword("g", "x")}}
	gy := &index.Filter{Must: []index.Condition{index.MatchKeyword("g", "y")}}
	idf24, idf14 := float32(index.IDF(2, 4)), float32(index.IDF(1, 4))
	rrf := func(ranks ...int) float32 { // k = 1
		var s float64
		for _, r := range ranks {
			s += 1 / float64(1+r)
		}
		return float32(s)
	}
	rrf60 := func(ranks ...int) float32 {
		var s float64
		for _, r := range ranks {
			s += 1 / float64(60+r)
		}
		return float32(s)
	}
	for _, tc := range []struct {
		what string
		req  index.QueryRequest
		want []index.ScoredPoint
	}{
		{"dense", index.QueryRequest{Dense: e1, Limit: 3},
			[]index.ScoredPoint{sp(id(1), 0.9), sp(id(2), 0.7), sp(id(3), 0.5)}},
		{"dense offset", index.QueryRequest{Dense: e1, Limit: 2, Offset: 2},
			[]index.ScoredPoint{sp(id(3), 0.5), sp(id(4), 0.3)}},
		{"dense offset past the end", index.QueryRequest{Dense: e1, Offset: 6}, nil},
		{"dense threshold", index.QueryRequest{Dense: e1, ScoreThreshold: ptr[float32](0.4)},
			[]index.ScoredPoint{sp(id(1), 0.9), sp(id(2), 0.7), sp(id(3), 0.5)}},
		{"dense negative threshold", index.QueryRequest{Dense: e1, ScoreThreshold: ptr[float32](-0.5)},
			[]index.ScoredPoint{sp(id(1), 0.9), sp(id(2), 0.7), sp(id(3), 0.5), sp(id(4), 0.3), sp(id(5), 0.1), sp(id(6), -0.2)}},
		{"dense filtered", index.QueryRequest{Dense: e1, Filter: gx},
			[]index.ScoredPoint{sp(id(1), 0.9), sp(id(3), 0.5), sp(id(5), 0.1)}},
		{"dense filtered offset threshold", index.QueryRequest{Dense: e1, Filter: gx, Offset: 1, ScoreThreshold: ptr[float32](0.2)},
			[]index.ScoredPoint{sp(id(3), 0.5)}},
		{"dense opposite", index.QueryRequest{Dense: []float32{-2, 0, 0, 0}, Limit: 2},
			[]index.ScoredPoint{sp(id(6), 0.2), sp(id(5), -0.1)}},
		{"sparse one term", index.QueryRequest{Sparse: sps(1, 1)},
			[]index.ScoredPoint{sp(id(3), 2*idf24), sp(id(1), idf24)}},
		{"sparse two terms", index.QueryRequest{Sparse: sps(2, 1, 3, 0.1)},
			[]index.ScoredPoint{sp(id(3), idf24), sp(id(5), 0.5*idf14), sp(id(4), 0.5*idf24)}},
		{"sparse unknown term", index.QueryRequest{Sparse: sps(9, 1)}, nil},
		{"sparse filtered", index.QueryRequest{Sparse: sps(2, 1, 3, 0.1), Filter: gy},
			[]index.ScoredPoint{sp(id(4), 0.5*idf24)}},
		{"sparse threshold", index.QueryRequest{Sparse: sps(2, 1, 3, 0.1), ScoreThreshold: ptr[float32](0.45)},
			[]index.ScoredPoint{sp(id(3), idf24), sp(id(5), 0.5*idf14)}},
		{"RRF k=1", index.QueryRequest{Dense: e1, Sparse: sps(1, 1), RRFK: 1},
			[]index.ScoredPoint{sp(id(1), rrf(1, 2)), sp(id(3), rrf(3, 1)), sp(id(2), rrf(2)), sp(id(4), rrf(4)), sp(id(5), rrf(5)), sp(id(6), rrf(6))}},
		{"RRF default k", index.QueryRequest{Dense: e1, Sparse: sps(1, 1), Limit: 3},
			[]index.ScoredPoint{sp(id(1), rrf60(1, 2)), sp(id(3), rrf60(3, 1)), sp(id(2), rrf60(2))}},
		{"RRF prefetch 2", index.QueryRequest{Dense: e1, Sparse: sps(1, 1), RRFK: 1, PrefetchLimit: 2},
			[]index.ScoredPoint{sp(id(1), rrf(1, 2)), sp(id(3), rrf(1)), sp(id(2), rrf(2))}},
		{"RRF filtered, sparse leg empty", index.QueryRequest{Dense: e1, Sparse: sps(1, 1), RRFK: 1, Filter: gy},
			[]index.ScoredPoint{sp(id(2), rrf(1)), sp(id(4), rrf(2))}},
		{"RRF threshold offset", index.QueryRequest{Dense: e1, Sparse: sps(1, 1), RRFK: 1, ScoreThreshold: ptr[float32](0.3), Offset: 1},
			[]index.ScoredPoint{sp(id(3), rrf(3, 1)), sp(id(2), rrf(2))}},
	} {
		got, err := e.s.Query(e.ctx, name, tc.req)
		e.must(err)
		checkRanked(e, tc.what, tc.want, nil, got)
	}

	// Results carry what With asks for.
	got, err := e.s.Query(e.ctx, name, index.QueryRequest{Dense: e1, Sparse: sps(1, 1), Limit: 1, With: index.With{Payload: true, Vectors: true}})
	e.must(err)
	if len(got) == 1 {
		got[0].Score = 0
	}
	e.diff("query result with payload and vectors",
		[]index.ScoredPoint{{Record: index.Record{ID: id(1), Payload: index.Payload{"g": "x"}, Dense: cosVec(0.9), Sparse: sps(1, 1)}}}, got, approxVectors)
	got, err = e.s.Query(e.ctx, name, index.QueryRequest{Dense: e1, Limit: 1})
	e.must(err)
	if len(got) != 1 || got[0].Payload != nil || got[0].Dense != nil || got[0].Sparse != nil {
		e.Errorf("query without With returned %+v", got)
	}
}

// queryData is the random collection of the reference tests: 80 points
// of dimension 16, most with 2-8 terms of a 40-term vocabulary.
func queryData(rng *rand.Rand) []index.Point {
	cats := []string{"a", "b", "c"}
	tags := []string{"x", "y", "z"}
	var pts []index.Point
	for n := range 80 {
		p := index.Point{ID: id(n), Dense: randVec(rng, 16)}
		var t []any
		for _, tag := range tags {
			if rng.IntN(3) == 0 {
				t = append(t, tag)
			}
		}
		p.Payload = index.Payload{"cat": cats[rng.IntN(3)], "tags": t, "n": int64(rng.IntN(5))}
		if rng.IntN(100) < 85 {
			p.Sparse = randSparse(rng, 2+rng.IntN(7), 40)
		}
		pts = append(pts, p)
	}
	return pts
}

func randVec(rng *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// randSparse draws n distinct terms below vocab (low terms more often).
func randSparse(rng *rand.Rand, n, vocab int) *index.Sparse {
	set := map[uint32]bool{}
	for len(set) < n {
		set[uint32(rng.IntN(1+rng.IntN(vocab)))] = true
	}
	s := &index.Sparse{}
	for t := range uint32(vocab) {
		if set[t] {
			s.Indices = append(s.Indices, t)
			s.Values = append(s.Values, float32(0.1+1.9*rng.Float64()))
		}
	}
	return s
}

// queryVariants are the requests the reference tests run for one query.
func queryVariants(dense []float32, sparse *index.Sparse) []index.QueryRequest {
	filter := &index.Filter{
		Must:    []index.Condition{index.MatchAnyKeyword("cat", "a", "b")},
		MustNot: []index.Condition{index.MatchKeyword("tags", "z")},
	}
	base := []index.QueryRequest{
		{Dense: dense},
		{Dense: dense, Limit: 5, Offset: 3},
		{Dense: dense, Limit: 100},
		{Sparse: sparse},
		{Sparse: sparse, Limit: 100},
		{Sparse: sparse, Limit: 4, Offset: 2},
		{Dense: dense, Sparse: sparse},
		{Dense: dense, Sparse: sparse, Limit: 100},
		{Dense: dense, Sparse: sparse, RRFK: 1, Limit: 20},
		{Dense: dense, Sparse: sparse, RRFK: 10, Limit: 15, PrefetchLimit: 10},
		{Dense: dense, Sparse: sparse, Limit: 7, Offset: 5, PrefetchLimit: 30},
		{Dense: dense, Sparse: sparse, Fusion: index.FusionDBSF},
		{Dense: dense, Sparse: sparse, Fusion: index.FusionDBSF, Limit: 100},
		{Dense: dense, Sparse: sparse, Fusion: index.FusionDBSF, Limit: 30, Offset: 2, PrefetchLimit: 20},
		{Dense: dense, Sparse: sparse, Fusion: index.FusionDBSF, PrefetchLimit: 1},
	}
	var out []index.QueryRequest
	for _, req := range base {
		out = append(out, req)
		req.Filter = filter
		out = append(out, req)
	}
	return out
}

// pickQuery draws a query whose reference rankings are well separated in
// every variant, so that float rounding in an engine cannot reorder them.
func pickQuery(e *env, m *model, rng *rand.Rand) ([]float32, *index.Sparse) {
	e.Helper()
	for range 1000 {
		dense, sparse := randVec(rng, 16), randSparse(rng, 1+rng.IntN(4), 40)
		ok := separated(m.denseLeg(dense, nil), false) && separated(m.sparseLeg(sparse, nil), false)
		for _, req := range queryVariants(dense, sparse) {
			if !ok {
				break
			}
			want, _ := m.query(req)
			full, _ := m.query(index.QueryRequest{Dense: req.Dense, Sparse: req.Sparse, Fusion: req.Fusion, RRFK: req.RRFK,
				PrefetchLimit: req.PrefetchLimit, Filter: req.Filter, Limit: 10000})
			ok = len(want) > 0 && separated(full, true)
		}
		if ok {
			return dense, sparse
		}
	}
	e.Fatalf("no well-separated query found")
	return nil, nil
}

// withThreshold adds a score threshold in a wide gap of the ranking.
func withThreshold(req index.QueryRequest, ranked []index.ScoredPoint) (index.QueryRequest, bool) {
	best, at := 0.0, -1
	for i := 1; i < len(ranked)-1 && i < 12; i++ {
		if d := float64(ranked[i-1].Score - ranked[i].Score); d > best {
			best, at = d, i
		}
	}
	if at < 0 || best < 1e-4 {
		return req, false
	}
	t := (ranked[at-1].Score + ranked[at].Score) / 2
	req.ScoreThreshold = &t
	return req, true
}

func describe(req index.QueryRequest) string {
	kind := "dense"
	switch {
	case req.Dense != nil && req.Sparse != nil && req.Fusion == index.FusionDBSF:
		kind = "DBSF"
	case req.Dense != nil && req.Sparse != nil:
		kind = fmt.Sprintf("RRF(k=%d)", req.RRFK)
	case req.Sparse != nil:
		kind = "sparse"
	}
	s := fmt.Sprintf("%s limit=%d offset=%d prefetch=%d filter=%t", kind, req.Limit, req.Offset, req.PrefetchLimit, req.Filter != nil)
	if req.ScoreThreshold != nil {
		s += fmt.Sprintf(" threshold=%g", *req.ScoreThreshold)
	}
	return s
}

// testQueryReference compares dense, sparse and hybrid queries with the
// brute-force reference over random data.
func testQueryReference(e *env) {
	rng := rand.New(rand.NewPCG(1, 2))
	name := e.collection("qref", 16, true)
	m := newModel()
	pts := queryData(rng)
	e.upsert(name, pts...)
	for _, p := range pts {
		m.put(e, p)
	}
	var buf []index.ScoredPoint
	for q := range 4 {
		dense, sparse := pickQuery(e, m, rng)
		for _, req := range queryVariants(dense, sparse) {
			want, all := m.query(req)
			got, err := e.s.Query(e.ctx, name, req)
			e.must(err)
			checkRanked(e, fmt.Sprintf("query %d %s", q, describe(req)), want, all, got)
			exact := req
			exact.Exact = true
			got, err = e.s.Query(e.ctx, name, exact)
			e.must(err)
			checkRanked(e, fmt.Sprintf("query %d %s, exact", q, describe(req)), want, all, got)
			// Into: the same results in a buffer the last query's results
			// are still in (a store may write into it or not).
			into := req
			into.Into = buf
			got, err = e.s.Query(e.ctx, name, into)
			e.must(err)
			checkRanked(e, fmt.Sprintf("query %d %s, into a used buffer", q, describe(req)), want, all, got)
			buf = append(got[:0:0], got...)
			buf = append(buf, sp("stale", 9))[:len(got)]

			if req.Offset == 0 {
				full, _ := m.query(index.QueryRequest{Dense: req.Dense, Sparse: req.Sparse, Fusion: req.Fusion, RRFK: req.RRFK,
					PrefetchLimit: req.PrefetchLimit, Filter: req.Filter, Limit: max(req.Limit, 10)})
				if treq, ok := withThreshold(req, full); ok {
					want, all := m.query(treq)
					got, err := e.s.Query(e.ctx, name, treq)
					e.must(err)
					checkRanked(e, fmt.Sprintf("query %d %s", q, describe(treq)), want, all, got)
				}
			}
		}
	}
}

// testIDF checks that sparse scores follow live document frequencies.
func testIDF(e *env) {
	name := e.collection("idf", 0, true)
	m := newModel()
	s := func(kv ...float32) *index.Sparse {
		v := &index.Sparse{}
		for i := 0; i < len(kv); i += 2 {
			v.Indices = append(v.Indices, uint32(kv[i]))
			v.Values = append(v.Values, kv[i+1])
		}
		return v
	}
	put := func(pts ...index.Point) {
		e.upsert(name, pts...)
		for _, p := range pts {
			m.put(e, p)
		}
	}
	check := func(stage string, q *index.Sparse, f *index.Filter, want []index.ScoredPoint) {
		e.Helper()
		got, err := e.s.Query(e.ctx, name, index.QueryRequest{Sparse: q, Filter: f})
		e.must(err)
		checkRanked(e, stage, want, nil, got)
		// The model agrees with the hand computation.
		ref, _ := m.query(index.QueryRequest{Sparse: q, Filter: f})
		checkRanked(e, stage+" (suite reference)", want, nil, ref)
	}
	idf := func(n, N int) float32 { return float32(index.IDF(n, N)) }

	put(index.Point{ID: id(1), Sparse: s(1, 1, 2, 1), Payload: index.Payload{"k": "a"}},
		index.Point{ID: id(2), Sparse: s(2, 2), Payload: index.Payload{"k": "b"}})
	check("N=2 n=1", s(1, 1), nil, []index.ScoredPoint{sp(id(1), idf(1, 2))})

	put(index.Point{ID: id(3), Sparse: s(1, 0.5)})
	check("a document with the term added", s(1, 1), nil, []index.ScoredPoint{sp(id(1), idf(2, 3)), sp(id(3), 0.5*idf(2, 3))})

	put(index.Point{ID: id(4), Sparse: s(3, 1)})
	check("a document without the term added", s(1, 1), nil, []index.ScoredPoint{sp(id(1), idf(2, 4)), sp(id(3), 0.5*idf(2, 4))})

	put(index.Point{ID: id(5), Payload: index.Payload{"k": "none"}}, index.Point{ID: id(6), Sparse: &index.Sparse{}})
	check("points without a sparse vector do not count", s(1, 1), nil, []index.ScoredPoint{sp(id(1), idf(2, 4)), sp(id(3), 0.5*idf(2, 4))})

	check("two terms", s(1, 2, 2, 0.5), nil, []index.ScoredPoint{
		sp(id(1), 2*idf(2, 4)+0.5*idf(2, 4)), sp(id(2), 0.5*2*idf(2, 4)), sp(id(3), 2*0.5*idf(2, 4))})
	check("a filter does not change IDF", s(1, 1), &index.Filter{Must: []index.Condition{index.MatchKeyword("k", "a")}},
		[]index.ScoredPoint{sp(id(1), idf(2, 4))})

	e.must(e.s.Delete(e.ctx, name, ids(3)))
	delete(m.points, id(3))
	check("a document with the term deleted", s(1, 1), nil, []index.ScoredPoint{sp(id(1), idf(1, 3))})

	put(index.Point{ID: id(1), Sparse: s(2, 1), Payload: index.Payload{"k": "a"}})
	check("the term replaced away", s(1, 1), nil, nil)
	check("the other term", s(2, 1), nil, []index.ScoredPoint{sp(id(2), 2*idf(2, 3)), sp(id(1), idf(2, 3))})

	e.must(e.s.SetPayload(e.ctx, name, ids(2), index.Payload{"k": "gone"}))
	e.must(e.s.DeleteByFilter(e.ctx, name, &index.Filter{Must: []index.Condition{index.MatchKeyword("k", "gone")}}))
	delete(m.points, id(2))
	check("a document deleted by filter", s(2, 1), nil, []index.ScoredPoint{sp(id(1), idf(1, 2))})
}
