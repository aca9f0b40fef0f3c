package qdrant

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	qc "github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/memstore"
	"github.com/jieda/jieda/index/qdrant/qdranttest"
)

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// TestFilterRoundTrip encodes index filters as the engine does, sends them
// over the wire and decodes them as the fake server does: every condition
// kind must come back unchanged.
func TestFilterRoundTrip(t *testing.T) {
	upper := strings.ToUpper(testID(3))
	for _, tc := range []struct {
		what string
		f    *index.Filter
		want *index.Filter // when it differs from f (canonical ids)
	}{
		{"nil", nil, nil},
		{"empty", &index.Filter{}, nil},
		{"keyword", &index.Filter{Must: []index.Condition{index.MatchKeyword("kw", "alpha")}}, nil},
		{"empty keyword", &index.Filter{Must: []index.Condition{index.MatchKeyword("kw", "")}}, nil},
		{"integer", &index.Filter{Must: []index.Condition{index.MatchInteger("n", -7)}}, nil},
		{"bool", &index.Filter{Should: []index.Condition{index.MatchBool("flag", false)}}, nil},
		{"any keyword", &index.Filter{Must: []index.Condition{index.MatchAnyKeyword("tags", "a", "b", "c")}}, nil},
		{"any keyword of none", &index.Filter{Must: []index.Condition{{Field: &index.FieldCondition{Key: "tags", AnyKeyword: []string{}}}}}, nil},
		{"any integer", &index.Filter{MustNot: []index.Condition{index.MatchAnyInteger("n", 1, 2, 1<<60)}}, nil},
		{"range", &index.Filter{Must: []index.Condition{
			index.NumberRange("x", index.Range{Gt: index.F(1.5)}),
			index.NumberRange("x", index.Range{Gte: index.F(-2), Lt: index.F(3)}),
			index.NumberRange("y", index.Range{Lte: index.F(0)}),
		}}, nil},
		{"datetime range", &index.Filter{Must: []index.Condition{
			index.TimeRange("ts", index.DatetimeRange{Gte: ts("2024-01-01T00:00:00Z"), Lt: ts("2025-01-01T00:00:00.5Z")}),
			index.TimeRange("ts", index.DatetimeRange{Gt: ts("2024-06-15T18:59:59.123456789Z"), Lte: ts("2030-01-01T00:00:00Z")}),
		}}, nil},
		{"is empty", &index.Filter{Must: []index.Condition{index.IsEmpty("obj.k")}}, nil},
		{"has id", &index.Filter{Must: []index.Condition{index.HasID(testID(1), upper)}},
			&index.Filter{Must: []index.Condition{index.HasID(testID(1), testID(3))}}},
		{"has no id", &index.Filter{Must: []index.Condition{{HasID: []string{}}}}, nil},
		{"nested", &index.Filter{
			Must:    []index.Condition{index.Nested(index.Filter{Should: []index.Condition{index.MatchKeyword("a", "x"), index.IsEmpty("b")}})},
			Should:  []index.Condition{index.Nested(index.Filter{MustNot: []index.Condition{index.Nested(index.Filter{})}})},
			MustNot: []index.Condition{index.MatchKeyword("c", "z")},
		}, nil},
	} {
		if err := tc.f.Validate(); err != nil {
			t.Fatalf("%s: invalid test filter: %v", tc.what, err)
		}
		wire, err := proto.Marshal(&qc.CountPoints{Filter: toFilter(tc.f)})
		mustDo(t, err)
		var back qc.CountPoints
		mustDo(t, proto.Unmarshal(wire, &back))
		got, err := qdranttest.DecodeFilter(back.Filter)
		mustDo(t, err)
		want := tc.want
		if want == nil {
			want = tc.f
		}
		// The fake decodes an absent filter as nil and lists as nil when empty.
		if d := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0)); d != "" {
			t.Errorf("%s: round trip mismatch (-want +got):\n%s", tc.what, d)
		}
	}
}

// qdrantRRF is Qdrant's reciprocal rank fusion (lib/segment/src/common/
// reciprocal_rank_fusion.rs, unweighted): a result at 0-based position p
// scores 1/(p + k).
func qdrantRRF(k int, lists ...[]index.ScoredPoint) map[string]float64 {
	out := map[string]float64{}
	for _, l := range lists {
		for p, sp := range l {
			out[sp.ID] += 1 / float64(p+k)
		}
	}
	return out
}

// TestRRFKMapping shows that passing index's k + 1 to Qdrant gives index's
// RRF scores, and that the engine does so.
func TestRRFKMapping(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	list := func() []index.ScoredPoint {
		var l []index.ScoredPoint
		for _, n := range rng.Perm(30)[:10+rng.IntN(10)] {
			l = append(l, index.ScoredPoint{Record: index.Record{ID: testID(n)}})
		}
		return l
	}
	for _, k := range []int{1, 2, 10, 60, 1000} {
		a, b := list(), list()
		q := qdrantRRF(k+1, a, b)
		for _, sp := range index.FuseRRF(k, a, b) {
			if got := float32(q[sp.ID]); got != sp.Score {
				t.Fatalf("k=%d: Qdrant with k+1 scores %s %g, index.FuseRRF %g", k, sp.ID, got, sp.Score)
			}
		}
	}

	s, srv := startFake(t)
	ctx := context.Background()
	mustDo(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "rrf", Dim: 2, Sparse: true}))
	sparse := &index.Sparse{Indices: []uint32{1}, Values: []float32{1}}
	for _, tc := range []struct {
		rrfK  int
		wantK uint32
	}{{0, 61}, {60, 61}, {1, 2}, {9, 10}} {
		srv.ResetCalls()
		_, err := s.Query(ctx, "rrf", index.QueryRequest{Dense: []float32{1, 0}, Sparse: sparse, RRFK: tc.rrfK})
		mustDo(t, err)
		qs := requests[*qc.QueryPoints](srv, "/qdrant.Points/Query")
		if len(qs) != 1 {
			t.Fatalf("RRFK %d: %d Query calls, want 1", tc.rrfK, len(qs))
		}
		rrf, ok := qs[0].GetQuery().GetVariant().(*qc.Query_Rrf)
		if !ok || rrf.Rrf.K == nil || rrf.Rrf.GetK() != tc.wantK {
			t.Errorf("RRFK %d: sent query %v, want rrf with k=%d", tc.rrfK, qs[0].GetQuery(), tc.wantK)
		}
	}
}

// TestQueryRequestShape checks what Query sends for dense, sparse and hybrid requests.
func TestQueryRequestShape(t *testing.T) {
	s, srv := startFake(t)
	ctx := context.Background()
	mustDo(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "shape", Dim: 2, Sparse: true}))
	mustDo(t, s.Upsert(ctx, "shape", []index.Point{{ID: testID(1), Dense: []float32{1, 0}}}))
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("k", "v")}}
	sparse := &index.Sparse{Indices: []uint32{3, 9}, Values: []float32{0.5, 2}}
	thr := float32(0.25)
	wantFilter := toFilter(f)

	query := func(req index.QueryRequest) *qc.QueryPoints {
		t.Helper()
		srv.ResetCalls()
		_, err := s.Query(ctx, "shape", req)
		mustDo(t, err)
		qs := requests[*qc.QueryPoints](srv, "/qdrant.Points/Query")
		if len(qs) != 1 {
			t.Fatalf("%d Query calls, want 1", len(qs))
		}
		return qs[0]
	}

	q := query(index.QueryRequest{Dense: []float32{0, 1}, Filter: f, Limit: 5, Offset: 2, ScoreThreshold: &thr, With: index.With{Payload: true}})
	if q.GetUsing() != "dense" || len(q.GetPrefetch()) != 0 || !proto.Equal(q.GetFilter(), wantFilter) ||
		q.GetQuery().GetNearest().GetDense() == nil || q.GetScoreThreshold() != thr ||
		q.GetLimit() != 8 || q.GetOffset() != 0 || !q.GetWithPayload().GetEnable() || q.GetWithVectors().GetEnable() {
		t.Errorf("dense query sent %v", q)
	}
	if q.GetCollectionName() != "jieda_shape" {
		t.Errorf("collection name %q, want the prefixed jieda_shape", q.GetCollectionName())
	}

	q = query(index.QueryRequest{Sparse: sparse, With: index.With{Vectors: true}})
	sv := q.GetQuery().GetNearest().GetSparse()
	if q.GetUsing() != "lexical" || sv == nil || !slices.Equal(sv.GetIndices(), sparse.Indices) || !slices.Equal(sv.GetValues(), sparse.Values) ||
		q.GetFilter() != nil || q.GetLimit() != 11 || !q.GetWithVectors().GetEnable() {
		t.Errorf("sparse query sent %v", q)
	}

	for _, tc := range []struct {
		req      index.QueryRequest
		prefetch uint64
	}{
		{index.QueryRequest{Dense: []float32{0, 1}, Sparse: sparse, Filter: f}, 100},
		{index.QueryRequest{Dense: []float32{0, 1}, Sparse: sparse, Filter: f, Limit: 30, Offset: 5}, 140},
		{index.QueryRequest{Dense: []float32{0, 1}, Sparse: sparse, Filter: f, PrefetchLimit: 7}, 7},
		{index.QueryRequest{Dense: []float32{0, 1}, Sparse: sparse, Filter: f, Limit: 5000}, 10000},
		{index.QueryRequest{Dense: []float32{0, 1}, Sparse: sparse, Filter: f, Fusion: index.FusionDBSF}, 100},
	} {
		q = query(tc.req)
		pf := q.GetPrefetch()
		if len(pf) != 2 || q.Using != nil || q.GetFilter() != nil {
			t.Fatalf("hybrid query sent %v", q)
		}
		for i, want := range []string{"dense", "lexical"} {
			if pf[i].GetUsing() != want || pf[i].GetLimit() != tc.prefetch || !proto.Equal(pf[i].GetFilter(), wantFilter) || pf[i].GetQuery().GetNearest() == nil {
				t.Errorf("prefetch %d: sent %v, want using %s, limit %d and the filter", i, pf[i], want, tc.prefetch)
			}
		}
		switch tc.req.Fusion {
		case index.FusionDBSF:
			if q.GetQuery().GetFusion() != qc.Fusion_DBSF || q.GetQuery().GetRrf() != nil {
				t.Errorf("DBSF query sent %v", q.GetQuery())
			}
		default:
			if q.GetQuery().GetRrf().GetK() != 61 {
				t.Errorf("RRF query sent %v", q.GetQuery())
			}
		}
	}
}

// TestQueryTies checks results order by id among equal scores, though the
// fake, like Qdrant may, returns equal scores in another order.
func TestQueryTies(t *testing.T) {
	s, _ := startFake(t)
	ref := memstore.New()
	ctx := context.Background()
	cfg := index.CollectionConfig{Name: "ties", Dim: 2, Sparse: true}
	mustDo(t, s.CreateCollection(ctx, cfg))
	mustDo(t, ref.CreateCollection(ctx, cfg))
	var pts []index.Point
	for n := range 40 {
		// Four distinct dense scores, ten points each; two sparse terms.
		pts = append(pts, index.Point{ID: testID(n), Dense: []float32{1, float32(n % 4)},
			Sparse: &index.Sparse{Indices: []uint32{uint32(n % 2)}, Values: []float32{1}}})
	}
	mustDo(t, s.Upsert(ctx, "ties", pts))
	mustDo(t, ref.Upsert(ctx, "ties", pts))
	sparse := &index.Sparse{Indices: []uint32{0, 1}, Values: []float32{1, 1}}
	for _, req := range []index.QueryRequest{
		{Dense: []float32{1, 0}, Limit: 5},
		{Dense: []float32{1, 0}, Limit: 3, Offset: 8},
		{Dense: []float32{1, 0}, Limit: 25},
		{Sparse: sparse, Limit: 7, Offset: 2},
		{Dense: []float32{1, 0}, Sparse: sparse, Limit: 9},
		{Dense: []float32{1, 0}, Sparse: sparse, Limit: 4, Offset: 11, PrefetchLimit: 40},
		{Dense: []float32{1, 0}, Sparse: sparse, Fusion: index.FusionDBSF, Limit: 6},
	} {
		want, err := ref.Query(ctx, "ties", req)
		mustDo(t, err)
		got, err := s.Query(ctx, "ties", req)
		mustDo(t, err)
		if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("query %+v mismatch (-memstore +qdrant engine):\n%s", req, d)
		}
	}
}

// TestGroups checks the group-by request and the mapping of group keys.
func TestGroups(t *testing.T) {
	s, srv := startFake(t)
	ctx := context.Background()
	mustDo(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "groups", Dim: 2}))
	mustDo(t, s.Upsert(ctx, "groups", []index.Point{
		{ID: testID(1), Dense: []float32{1, 0.1}, Payload: index.Payload{"article": "a", "num": 7}},
		{ID: testID(2), Dense: []float32{1, 0.2}, Payload: index.Payload{"article": "b", "num": 7}},
		{ID: testID(3), Dense: []float32{1, 0.3}, Payload: index.Payload{"article": "a", "num": []any{8, 9}}},
		{ID: testID(4), Dense: []float32{1, 0.4}, Payload: index.Payload{"article": 5, "num": 2.5}},
	}))
	srv.ResetCalls()
	got, err := s.QueryGroups(ctx, "groups", index.QueryRequest{Dense: []float32{1, 0}}, index.GroupBy{Key: "article", Size: 2, Limit: 5})
	mustDo(t, err)
	keys := func(gs []index.Group) []any {
		var out []any
		for _, g := range gs {
			out = append(out, g.Key)
		}
		return out
	}
	if d := cmp.Diff([]any{"a", "b", int64(5)}, keys(got)); d != "" {
		t.Errorf("keyword groups (-want +got):\n%s", d)
	}
	if len(got) == 3 && (len(got[0].Hits) != 2 || got[0].Hits[0].ID != testID(1) || got[0].Hits[1].ID != testID(3)) {
		t.Errorf("group a hits: %v", got[0].Hits)
	}
	qs := requests[*qc.QueryPointGroups](srv, "/qdrant.Points/QueryGroups")
	if len(qs) != 1 || qs[0].GetGroupBy() != "article" || qs[0].GetGroupSize() != 2 || qs[0].GetLimit() != 5 || qs[0].GetUsing() != "dense" {
		t.Errorf("QueryGroups sent %v", qs)
	}
	got, err = s.QueryGroups(ctx, "groups", index.QueryRequest{Dense: []float32{1, 0}}, index.GroupBy{Key: "num"})
	mustDo(t, err)
	if d := cmp.Diff([]any{int64(7), int64(8), int64(9)}, keys(got)); d != "" {
		t.Errorf("integer groups (-want +got):\n%s", d)
	}
	for _, tc := range []struct {
		id   *qc.GroupId
		want any
	}{
		{qc.NewGroupIDString("x"), "x"}, {qc.NewGroupIDInt(-3), int64(-3)}, {qc.NewGroupIDUnsigned(12), int64(12)},
	} {
		if got, ok := groupKey(tc.id); !ok || got != tc.want {
			t.Errorf("groupKey(%v) = %v, %t, want %v", tc.id, got, ok, tc.want)
		}
	}
}

// TestScrollOrderByCursor compares ordered scrolls through the engine and
// the fake (which, like Qdrant, yields a point once per value and leaves
// ties unordered) with the reference store, page by page.
func TestScrollOrderByCursor(t *testing.T) {
	s, srv := startFake(t)
	ref := memstore.New()
	ctx := context.Background()
	cfg := index.CollectionConfig{Name: "scroll", Dim: 2}
	rng := rand.New(rand.NewPCG(9, 9))
	var pts []index.Point
	for range 60 {
		p := index.Payload{"i": int64(rng.IntN(4))}
		switch rng.IntN(6) {
		case 0:
			p["i"] = []any{int64(rng.IntN(4)), int64(rng.IntN(4))} // several values
		case 1:
			delete(p, "i")
		}
		p["f"] = []float64{0.5, 1.5, -2}[rng.IntN(3)]
		p["t"] = []string{"2024-01-01T00:00:00Z", "2024-01-01T01:00:00+01:00", "2024-01-02"}[rng.IntN(3)]
		pts = append(pts, index.Point{ID: testID(rng.IntN(1 << 20)), Dense: []float32{1, 0}, Payload: p})
	}
	for _, st := range []index.Store{s, ref} {
		mustDo(t, st.CreateCollection(ctx, cfg))
		mustDo(t, st.Upsert(ctx, "scroll", pts))
		mustDo(t, st.CreatePayloadIndex(ctx, "scroll", "i", index.FieldInteger))
		mustDo(t, st.CreatePayloadIndex(ctx, "scroll", "f", index.FieldFloat))
		mustDo(t, st.CreatePayloadIndex(ctx, "scroll", "t", index.FieldDatetime))
	}
	all := func(st index.Store, req index.ScrollRequest) []string {
		t.Helper()
		var out []string
		for range 100 {
			page, err := st.Scroll(ctx, "scroll", req)
			mustDo(t, err)
			for _, r := range page.Points {
				out = append(out, r.ID)
			}
			if page.Next == "" {
				return out
			}
			if len(page.Points) != cmpOr(req.Limit, 10) {
				t.Fatalf("a page with a Next has %d points, want %d", len(page.Points), req.Limit)
			}
			req.Cursor = page.Next
		}
		t.Fatal("scroll does not end")
		return nil
	}
	for _, key := range []string{"i", "f", "t"} {
		for _, dir := range []index.Direction{index.Asc, index.Desc} {
			for _, lim := range []int{1, 2, 5, 13, 100} {
				req := index.ScrollRequest{Limit: lim, OrderBy: &index.OrderBy{Key: key, Direction: dir}}
				if d := cmp.Diff(all(ref, req), all(s, req)); d != "" {
					t.Errorf("order by %s dir %d limit %d (-memstore +qdrant engine):\n%s", key, dir, lim, d)
				}
			}
		}
	}
	// The engine pages with order_by + start_from, excluding the ids seen
	// at the boundary value with must_not has_id.
	srv.ResetCalls()
	page, err := s.Scroll(ctx, "scroll", index.ScrollRequest{Limit: 3, OrderBy: &index.OrderBy{Key: "i"}})
	mustDo(t, err)
	_, err = s.Scroll(ctx, "scroll", index.ScrollRequest{Limit: 3, OrderBy: &index.OrderBy{Key: "i"}, Cursor: page.Next})
	mustDo(t, err)
	scrolls := requests[*qc.ScrollPoints](srv, "/qdrant.Points/Scroll")
	last := scrolls[len(scrolls)-1]
	if last.GetOrderBy().GetKey() != "i" || last.GetOrderBy().GetStartFrom() == nil || last.Offset != nil {
		t.Errorf("continued ordered scroll sent %v", last)
	}
	var excluded bool
	for _, c := range last.GetFilter().GetMustNot() {
		excluded = excluded || len(c.GetHasId().GetHasId()) > 0
	}
	if !excluded {
		t.Errorf("continued ordered scroll does not exclude the ids seen: %v", last.GetFilter())
	}

	// Cursors belong to one ordering.
	for _, tc := range []struct {
		what string
		req  index.ScrollRequest
	}{
		{"another key", index.ScrollRequest{OrderBy: &index.OrderBy{Key: "f"}, Cursor: page.Next}},
		{"another direction", index.ScrollRequest{OrderBy: &index.OrderBy{Key: "i", Direction: index.Desc}, Cursor: page.Next}},
		{"by id", index.ScrollRequest{Cursor: page.Next}},
	} {
		if _, err := s.Scroll(ctx, "scroll", tc.req); !errors.Is(err, index.ErrInvalidArgument) {
			t.Errorf("cursor for %s: %v, want ErrInvalidArgument", tc.what, err)
		}
	}
	idPage, err := s.Scroll(ctx, "scroll", index.ScrollRequest{Limit: 2})
	mustDo(t, err)
	if _, err := s.Scroll(ctx, "scroll", index.ScrollRequest{OrderBy: &index.OrderBy{Key: "i"}, Cursor: idPage.Next}); !errors.Is(err, index.ErrInvalidArgument) {
		t.Errorf("id cursor in an ordered scroll: %v, want ErrInvalidArgument", err)
	}
	// Without an orderable index: ErrNoPayloadIndex, checked before sending.
	if _, err := s.Scroll(ctx, "scroll", index.ScrollRequest{OrderBy: &index.OrderBy{Key: "none"}}); !errors.Is(err, index.ErrNoPayloadIndex) {
		t.Errorf("order by an unindexed field: %v, want ErrNoPayloadIndex", err)
	}
}

// TestCreateCollection checks the settings sent and the idempotency check
// against the collection's config read back.
func TestCreateCollection(t *testing.T) {
	s, srv := startFake(t, func(c *Config) {
		c.ShardNumber, c.ReplicationFactor, c.WriteConsistencyFactor = 3, 2, 2
		c.OnDiskPayload, c.Quantization, c.HNSWM, c.HNSWEfConstruct = true, "int8", 32, 200
		c.CollectionPrefix = "t_"
	})
	ctx := context.Background()
	mustDo(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: 8, Sparse: true}))
	creates := requests[*qc.CreateCollection](srv, "/qdrant.Collections/Create")
	if len(creates) != 1 {
		t.Fatalf("%d Create calls, want 1", len(creates))
	}
	want := &qc.CreateCollection{
		CollectionName:         "t_c",
		ShardNumber:            qc.PtrOf(uint32(3)),
		ReplicationFactor:      qc.PtrOf(uint32(2)),
		WriteConsistencyFactor: qc.PtrOf(uint32(2)),
		OnDiskPayload:          qc.PtrOf(true),
		HnswConfig:             &qc.HnswConfigDiff{M: qc.PtrOf(uint64(32)), EfConstruct: qc.PtrOf(uint64(200))},
		VectorsConfig: qc.NewVectorsConfigMap(map[string]*qc.VectorParams{
			"dense": {Size: 8, Distance: qc.Distance_Cosine},
		}),
		QuantizationConfig: qc.NewQuantizationScalar(&qc.ScalarQuantization{Type: qc.QuantizationType_Int8, AlwaysRam: qc.PtrOf(true)}),
		SparseVectorsConfig: qc.NewSparseVectorsConfig(map[string]*qc.SparseVectorParams{
			"lexical": {Modifier: qc.Modifier_Idf.Enum()},
		}),
		Metadata: map[string]*qc.Value{"jieda_name": qc.NewValueString("c")},
	}
	if !proto.Equal(want, creates[0]) {
		t.Errorf("CreateCollection sent\n%v\nwant\n%v", creates[0], want)
	}

	// Idempotent: a second create reads the config back and sends nothing.
	srv.ResetCalls()
	s2, err := Open(ctx, s.cfg, nil) // a fresh store: nothing cached
	mustDo(t, err)
	defer s2.Close()
	mustDo(t, s2.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: 8, Sparse: true}))
	if n := len(requests[*qc.CreateCollection](srv, "/qdrant.Collections/Create")); n != 0 {
		t.Errorf("re-creating sent %d Create calls", n)
	}
	err = s2.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: 16, Sparse: true})
	if !errors.Is(err, index.ErrDimensionMismatch) || !strings.Contains(err.Error(), "8") || !strings.Contains(err.Error(), "16") {
		t.Errorf("create with another dimension: %v, want ErrDimensionMismatch naming 8 and 16", err)
	}
	err = s2.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: 8})
	if !errors.Is(err, index.ErrInvalidArgument) {
		t.Errorf("create with another sparse setting: %v, want ErrInvalidArgument", err)
	}

	// Only prefixed collections are listed, without the prefix.
	raw := qc.NewCollectionsClient(s.client.GetConnection())
	_, err = raw.Create(ctx, &qc.CreateCollection{CollectionName: "other_x", VectorsConfig: qc.NewVectorsConfigMap(
		map[string]*qc.VectorParams{"dense": {Size: 2, Distance: qc.Distance_Cosine}})})
	mustDo(t, err)
	infos, err := s.Collections(ctx)
	mustDo(t, err)
	if len(infos) != 1 || infos[0].Name != "c" || infos[0].Dim != 8 || !infos[0].Sparse {
		t.Errorf("Collections() = %+v, want only c", infos)
	}
}

// TestLongCollectionName checks names too long for Qdrant once prefixed.
func TestLongCollectionName(t *testing.T) {
	s, srv := startFake(t)
	ctx := context.Background()
	long := strings.Repeat("n", 255)
	long2 := strings.Repeat("n", 254) + "m"
	for _, name := range []string{long, long2} {
		mustDo(t, s.CreateCollection(ctx, index.CollectionConfig{Name: name, Dim: 2}))
	}
	for _, c := range requests[*qc.CreateCollection](srv, "/qdrant.Collections/Create") {
		if n := len(c.GetCollectionName()); n != 255 {
			t.Errorf("qdrant name %q has %d characters, want 255", c.GetCollectionName(), n)
		}
	}
	infos, err := s.Collections(ctx)
	mustDo(t, err)
	var names []string
	for _, info := range infos {
		names = append(names, info.Name)
	}
	if d := cmp.Diff([]string{long2, long}, names); d != "" {
		t.Errorf("Collections (-want +got):\n%s", d)
	}
	mustDo(t, s.Upsert(ctx, long, []index.Point{{ID: testID(1), Dense: []float32{1, 0}}}))
	n, err := s.Count(ctx, long, nil)
	mustDo(t, err)
	if n != 1 {
		t.Errorf("count in the long-named collection: %d", n)
	}
}

// TestWrites checks waits, write ordering, batching and payload selectors.
func TestWrites(t *testing.T) {
	// A long call timeout: a retried call (a slow, loaded machine) would be counted twice.
	s, srv := startFake(t, func(c *Config) { c.WriteOrdering, c.Timeout = "strong", time.Minute })
	ctx := context.Background()
	mustDo(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "w", Dim: 2, Sparse: true}))
	var pts []index.Point
	for n := range 600 {
		pts = append(pts, index.Point{ID: testID(n), Dense: []float32{1, float32(n)}, Payload: index.Payload{"n": n, "x": 0.5}})
	}
	srv.ResetCalls()
	mustDo(t, s.Upsert(ctx, "w", pts))
	ups := requests[*qc.UpsertPoints](srv, "/qdrant.Points/Upsert")
	if len(ups) != 3 || len(ups[0].GetPoints()) != 256 || len(ups[2].GetPoints()) != 88 {
		t.Fatalf("600 points went in %d Upsert calls", len(ups))
	}
	for _, u := range ups {
		if !u.GetWait() || u.GetOrdering().GetType() != qc.WriteOrderingType_Strong {
			t.Errorf("Upsert without wait or strong ordering: wait %t ordering %v", u.GetWait(), u.GetOrdering())
		}
	}
	// Large points go in smaller batches.
	big := strings.Repeat("x", 5<<20)
	srv.ResetCalls()
	mustDo(t, s.Upsert(ctx, "w", []index.Point{
		{ID: testID(1000), Dense: []float32{1, 0}, Payload: index.Payload{"big": big}},
		{ID: testID(1001), Dense: []float32{1, 0}, Payload: index.Payload{"big": big}},
		{ID: testID(1002), Dense: []float32{1, 0}},
	}))
	if n := len(requests[*qc.UpsertPoints](srv, "/qdrant.Points/Upsert")); n != 2 {
		t.Errorf("two 5 MiB points and a small one went in %d Upsert calls, want 2", n)
	}
	mustDo(t, s.Delete(ctx, "w", []string{testID(1000), testID(1001), testID(1002)}))
	p := ups[0].GetPoints()[1].GetPayload()
	if _, ok := p["n"].GetKind().(*qc.Value_IntegerValue); !ok {
		t.Errorf("integer payload sent as %v", p["n"])
	}
	if _, ok := p["x"].GetKind().(*qc.Value_DoubleValue); !ok {
		t.Errorf("float payload sent as %v", p["x"])
	}

	srv.ResetCalls()
	mustDo(t, s.SetPayload(ctx, "w", []string{testID(1), testID(9999)}, index.Payload{"k": "v"}))
	sets := requests[*qc.SetPayloadPoints](srv, "/qdrant.Points/SetPayload")
	if len(sets) != 1 || sets[0].GetPointsSelector().GetFilter() == nil || !sets[0].GetWait() {
		t.Errorf("SetPayload sent %v, want a has_id filter selector and wait", sets)
	}
	mustDo(t, s.Delete(ctx, "w", []string{testID(1)}))
	dels := requests[*qc.DeletePoints](srv, "/qdrant.Points/Delete")
	if len(dels) != 1 || len(dels[0].GetPoints().GetPoints().GetIds()) != 1 || !dels[0].GetWait() {
		t.Errorf("Delete sent %v", dels)
	}
	n, err := s.Count(ctx, "w", nil)
	mustDo(t, err)
	counts := requests[*qc.CountPoints](srv, "/qdrant.Points/Count")
	if n != 599 || len(counts) != 1 || !counts[0].GetExact() {
		t.Errorf("Count = %d, sent %v", n, counts)
	}
}

// TestErrorMapping maps gRPC statuses to index's sentinels.
func TestErrorMapping(t *testing.T) {
	s := &Store{cfg: DefaultConfig()}
	ctx := context.Background()
	for _, tc := range []struct {
		err  error
		want error
		msg  string
	}{
		{status.Error(codes.NotFound, "Not found: Collection `jieda_x` doesn't exist!"), index.ErrCollectionNotFound, "jieda_x"},
		{status.Error(codes.InvalidArgument, "Wrong input: bad range"), index.ErrInvalidArgument, "bad range"},
		{status.Error(codes.InvalidArgument, "Wrong input: Vector dimension error: expected dim: 4, got 3"), index.ErrDimensionMismatch, "expected dim: 4, got 3"},
		{status.Error(codes.InvalidArgument, "Bad request: No range index for `order_by` key: `n`"), index.ErrNoPayloadIndex, "`n`"},
		{status.Error(codes.Unavailable, "connection refused"), index.ErrUnavailable, "localhost:6334"},
		{status.Error(codes.DeadlineExceeded, "slow"), index.ErrUnavailable, "slow"},
		{&qc.QdrantResourceExhaustedError{Reason: "rate limited", RetryAfterS: 1}, index.ErrUnavailable, "rate limited"},
		{status.Error(codes.Canceled, "canceled"), context.Canceled, ""},
	} {
		got := s.mapErr(ctx, "op", tc.err)
		if !errors.Is(got, tc.want) || !strings.Contains(got.Error(), tc.msg) {
			t.Errorf("mapErr(%v) = %v, want %v containing %q", tc.err, got, tc.want, tc.msg)
		}
	}
	if got := s.mapErr(ctx, "op", status.Error(codes.NotFound, "No point with id x found")); errors.Is(got, index.ErrCollectionNotFound) {
		t.Errorf("a missing point mapped to ErrCollectionNotFound: %v", got)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if got := s.mapErr(cctx, "op", status.Error(codes.Canceled, "x")); !errors.Is(got, context.Canceled) {
		t.Errorf("canceled context: %v", got)
	}
}

// TestRetries checks transient codes are retried and others are not.
func TestRetries(t *testing.T) {
	s, srv := startFake(t, func(c *Config) { c.Retries = 3 })
	ctx := context.Background()
	mustDo(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "r", Dim: 2}))
	count := func() (int, error) {
		srv.ResetCalls()
		_, err := s.Count(ctx, "r", nil)
		return len(requests[*qc.CountPoints](srv, "/qdrant.Points/Count")), err
	}
	for _, code := range []codes.Code{codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted} {
		srv.FailNext(3, code)
		calls, err := count()
		if err != nil || calls != 4 {
			t.Errorf("%s three times: %d calls, err %v; want 4 calls and success", code, calls, err)
		}
	}
	srv.FailNext(4, codes.Unavailable)
	calls, err := count()
	if !errors.Is(err, index.ErrUnavailable) || calls != 4 || !strings.Contains(err.Error(), srv.Addr()) {
		t.Errorf("Unavailable four times: %d calls, err %v; want 4 calls and ErrUnavailable naming the address", calls, err)
	}
	for _, code := range []codes.Code{codes.InvalidArgument, codes.NotFound} {
		srv.FailNext(1, code)
		calls, err := count()
		if err == nil || calls != 1 {
			t.Errorf("%s: %d calls, err %v; want 1 call and an error", code, calls, err)
		}
	}
	// A canceled context stops retrying.
	cctx, cancel := context.WithCancel(ctx)
	s.backoff = time.Hour
	srv.FailNext(1, codes.Unavailable)
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := s.Count(cctx, "r", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled during backoff: %v", err)
	}
}

// TestOpenUnreachable checks Open names the address of a dead server.
func TestOpenUnreachable(t *testing.T) {
	srv := qdranttest.Start(t, nil)
	addr := srv.Addr()
	srv.Stop()
	cfg := DefaultConfig()
	cfg.Addr, cfg.Retries, cfg.Timeout = addr, 1, 2*time.Second
	start := time.Now()
	_, err := Open(context.Background(), cfg, nil)
	if !errors.Is(err, index.ErrUnavailable) || !strings.Contains(err.Error(), addr) {
		t.Errorf("Open(%s) = %v, want ErrUnavailable naming the address", addr, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Open of a dead server took %s", d)
	}
	if _, err := Open(context.Background(), Config{}, nil); err == nil || !strings.Contains(err.Error(), "store.qdrant.addr") {
		t.Errorf("Open with an invalid config: %v", err)
	}
}

// TestClosed checks every method after Close.
func TestClosed(t *testing.T) {
	s, _ := startFake(t)
	ctx := context.Background()
	mustDo(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: 2}))
	mustDo(t, s.Close())
	if _, err := s.Count(ctx, "c", nil); !errors.Is(err, index.ErrClosed) {
		t.Errorf("Count after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestCreateCollectionConcurrent races stores creating one collection: one
// create wins, the others find it (or lose with AlreadyExists) and compare.
func TestCreateCollectionConcurrent(t *testing.T) {
	s, srv := startFake(t)
	ctx := context.Background()
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			s2, err := Open(ctx, s.cfg, nil)
			if err != nil {
				errs <- err
				return
			}
			defer s2.Close()
			errs <- s2.CreateCollection(ctx, index.CollectionConfig{Name: "race", Dim: 3, Sparse: true})
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent create: %v", err)
		}
	}
	if n := len(requests[*qc.CreateCollection](srv, "/qdrant.Collections/Create")); n < 1 {
		t.Errorf("%d Create calls", n)
	}
	// A create that loses the race reads the winner's settings.
	_, err := qc.NewCollectionsClient(s.client.GetConnection()).Create(ctx, s.createRequest(index.CollectionConfig{Name: "lost", Dim: 4}))
	mustDo(t, err)
	err = s.CreateCollection(ctx, index.CollectionConfig{Name: "lost", Dim: 5})
	if !errors.Is(err, index.ErrDimensionMismatch) {
		t.Errorf("create after another store created it with another dimension: %v", err)
	}
}
