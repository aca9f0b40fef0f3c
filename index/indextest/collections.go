package indextest

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/jieda/jieda/index"
)

func testCreateIdempotent(e *env) {
	name := e.collection("create", 5, true)
	// Same config again: no error, points kept.
	e.upsert(name, index.Point{ID: id(1), Dense: []float32{1, 0, 0, 0, 0}})
	e.must(e.s.CreateCollection(e.ctx, index.CollectionConfig{Name: name, Dim: 5, Sparse: true}))
	info, err := e.s.Collection(e.ctx, name)
	e.must(err)
	if info.Points != 1 {
		e.Errorf("re-creating a collection changed its points: %d, want 1", info.Points)
	}

	err = e.s.CreateCollection(e.ctx, index.CollectionConfig{Name: name, Dim: 7, Sparse: true})
	e.wantErr("create with another dimension", err, index.ErrDimensionMismatch, 5, 7)
	err = e.s.CreateCollection(e.ctx, index.CollectionConfig{Name: name, Dim: 5, Sparse: false})
	e.wantErr("create with another sparse setting", err, index.ErrInvalidArgument)
	err = e.s.CreateCollection(e.ctx, index.CollectionConfig{Name: name, Dim: 0, Sparse: true})
	e.wantErr("create without the dense vector", err, index.ErrDimensionMismatch, 5, 0)

	info, err = e.s.Collection(e.ctx, name)
	e.must(err)
	e.diff("config after failed creates", index.CollectionConfig{Name: name, Dim: 5, Sparse: true}, info.CollectionConfig)
}

func testCollectionsInvalid(e *env) {
	bad := []string{"", "has space", "a/b", "a.b", "ü", "名字", strings.Repeat("a", 256)}
	for _, name := range bad {
		err := e.s.CreateCollection(e.ctx, index.CollectionConfig{Name: name, Dim: 4})
		e.wantErr("create "+name, err, index.ErrInvalidArgument)
		_, err = e.s.Collection(e.ctx, name)
		e.wantErr("info "+name, err, index.ErrInvalidArgument)
		_, err = e.s.Count(e.ctx, name, nil)
		e.wantErr("count "+name, err, index.ErrInvalidArgument)
	}
	long := "long_" + strings.Repeat("x", 250)
	if len(long) != 255 {
		panic("bad test name length")
	}
	e.must(e.s.CreateCollection(e.ctx, index.CollectionConfig{Name: long, Dim: 4}))
	e.Cleanup(func() { _ = e.s.DeleteCollection(context.Background(), long) })

	suffix := e.collection("cfg", 2, false) // a valid name to vary the config of
	suffix = strings.TrimPrefix(suffix, "cfg_")
	for _, cfg := range []index.CollectionConfig{
		{Name: "cfgneg_" + suffix, Dim: -1},
		{Name: "cfgbig_" + suffix, Dim: 65537, Sparse: true},
		{Name: "cfgnone_" + suffix, Dim: 0, Sparse: false},
	} {
		err := e.s.CreateCollection(e.ctx, cfg)
		e.wantErr("create invalid config "+cfg.Name, err, index.ErrInvalidArgument)
		_, err = e.s.Collection(e.ctx, cfg.Name)
		e.wantErr("info after invalid create", err, index.ErrCollectionNotFound)
	}
}

func testCollectionInfo(e *env) {
	name := e.collection("info", 3, true)
	e.upsert(name,
		index.Point{ID: id(1), Dense: []float32{1, 0, 0}},
		index.Point{ID: id(2), Dense: []float32{0, 1, 0}, Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{1}}},
		index.Point{ID: id(3), Dense: []float32{0, 0, 1}},
	)
	for field, typ := range map[string]index.FieldType{
		"kw": index.FieldKeyword, "n": index.FieldInteger, "x": index.FieldFloat,
		"flag": index.FieldBool, "ts": index.FieldDatetime, "obj.k": index.FieldKeyword,
	} {
		e.must(e.s.CreatePayloadIndex(e.ctx, name, field, typ))
	}
	// Idempotent for the same type; another type replaces the index.
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "kw", index.FieldKeyword))
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "x", index.FieldInteger))
	info, err := e.s.Collection(e.ctx, name)
	e.must(err)
	if info.PayloadIndexes["x"] != index.FieldInteger {
		e.Errorf("payload index of another type: x is %q, want it replaced by %q", info.PayloadIndexes["x"], index.FieldInteger)
	}
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "x", index.FieldFloat))

	info, err = e.s.Collection(e.ctx, name)
	e.must(err)
	e.diff("collection info", index.CollectionInfo{
		CollectionConfig: index.CollectionConfig{Name: name, Dim: 3, Sparse: true},
		Points:           3,
		PayloadIndexes: map[string]index.FieldType{
			"kw": index.FieldKeyword, "n": index.FieldInteger, "x": index.FieldFloat,
			"flag": index.FieldBool, "ts": index.FieldDatetime, "obj.k": index.FieldKeyword,
		},
	}, info)

	err = e.s.CreatePayloadIndex(e.ctx, name, "y", index.FieldType("geo"))
	e.wantErr("payload index of unknown type", err, index.ErrInvalidArgument)
	err = e.s.CreatePayloadIndex(e.ctx, name, "", index.FieldKeyword)
	e.wantErr("payload index without a field", err, index.ErrInvalidArgument)

	e.must(e.s.Delete(e.ctx, name, ids(2)))
	info, err = e.s.Collection(e.ctx, name)
	e.must(err)
	if info.Points != 2 {
		e.Errorf("points after delete: %d, want 2", info.Points)
	}
}

func testDeleteAndList(e *env) {
	c := e.collection("list_c", 2, false)
	a := e.collection("list_a", 0, true)
	b := e.collection("list_b", 4, true)
	e.upsert(b, index.Point{ID: id(1), Dense: []float32{1, 2, 3, 4}})
	e.must(e.s.CreatePayloadIndex(e.ctx, b, "k", index.FieldKeyword))

	all, err := e.s.Collections(e.ctx)
	e.must(err)
	if !slices.IsSortedFunc(all, func(x, y index.CollectionInfo) int { return strings.Compare(x.Name, y.Name) }) {
		e.Errorf("Collections not sorted by name: %v", all)
	}
	var mine []index.CollectionInfo
	for _, info := range all {
		if info.Name == a || info.Name == b || info.Name == c {
			mine = append(mine, info)
		}
	}
	e.diff("listed collections", []index.CollectionInfo{
		{CollectionConfig: index.CollectionConfig{Name: a, Sparse: true}},
		{CollectionConfig: index.CollectionConfig{Name: b, Dim: 4, Sparse: true}, Points: 1,
			PayloadIndexes: map[string]index.FieldType{"k": index.FieldKeyword}},
		{CollectionConfig: index.CollectionConfig{Name: c, Dim: 2}},
	}, mine)

	e.must(e.s.DeleteCollection(e.ctx, b))
	_, err = e.s.Collection(e.ctx, b)
	e.wantErr("info of deleted collection", err, index.ErrCollectionNotFound)
	err = e.s.DeleteCollection(e.ctx, b)
	e.wantErr("delete deleted collection", err, index.ErrCollectionNotFound)
	all, err = e.s.Collections(e.ctx)
	e.must(err)
	for _, info := range all {
		if info.Name == b {
			e.Errorf("deleted collection %s still listed", b)
		}
	}

	// Re-created, it starts empty, with another config if wanted.
	e.must(e.s.CreateCollection(e.ctx, index.CollectionConfig{Name: b, Dim: 2}))
	info, err := e.s.Collection(e.ctx, b)
	e.must(err)
	e.diff("re-created collection", index.CollectionInfo{CollectionConfig: index.CollectionConfig{Name: b, Dim: 2}}, info)
}

// unknownCalls calls every collection method on name.
func unknownCalls(e *env, name string) map[string]error {
	ctx := e.ctx
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("k", "v")}}
	q := index.QueryRequest{Dense: []float32{1, 0, 0, 0}}
	errs := map[string]error{}
	errs["DeleteCollection"] = e.s.DeleteCollection(ctx, name)
	_, errs["Collection"] = e.s.Collection(ctx, name)
	errs["CreatePayloadIndex"] = e.s.CreatePayloadIndex(ctx, name, "k", index.FieldKeyword)
	errs["Upsert"] = e.s.Upsert(ctx, name, []index.Point{{ID: id(1), Dense: []float32{1, 0, 0, 0}}})
	_, errs["Get"] = e.s.Get(ctx, name, ids(1), index.With{Payload: true})
	errs["Delete"] = e.s.Delete(ctx, name, ids(1))
	errs["DeleteByFilter"] = e.s.DeleteByFilter(ctx, name, f)
	errs["SetPayload"] = e.s.SetPayload(ctx, name, ids(1), index.Payload{"k": "v"})
	errs["OverwritePayload"] = e.s.OverwritePayload(ctx, name, ids(1), index.Payload{"k": "v"})
	errs["SetPayloadWhere"] = e.s.SetPayloadWhere(ctx, name, f, index.Payload{"k": "v"})
	_, errs["Count"] = e.s.Count(ctx, name, nil)
	_, errs["Scroll"] = e.s.Scroll(ctx, name, index.ScrollRequest{})
	_, errs["Query"] = e.s.Query(ctx, name, q)
	_, errs["QueryGroups"] = e.s.QueryGroups(ctx, name, q, index.GroupBy{Key: "k"})
	return errs
}

func testUnknownCollection(e *env) {
	name := e.collection("unknown", 4, false)
	e.must(e.s.DeleteCollection(e.ctx, name))
	for method, err := range unknownCalls(e, name) {
		e.wantErr(method+" on an unknown collection", err, index.ErrCollectionNotFound)
	}
	for method, err := range unknownCalls(e, "bad name") {
		e.wantErr(method+" with an invalid collection name", err, index.ErrInvalidArgument)
	}
}

func testClosed(e *env) {
	name := e.collection("closed", 4, false)
	e.must(e.s.Close())
	for method, err := range unknownCalls(e, name) {
		e.wantErr(method+" after Close", err, index.ErrClosed)
	}
	_, err := e.s.Collections(e.ctx)
	e.wantErr("Collections after Close", err, index.ErrClosed)
	err = e.s.CreateCollection(e.ctx, index.CollectionConfig{Name: name + "x", Dim: 4})
	e.wantErr("CreateCollection after Close", err, index.ErrClosed)
	if err := e.s.Close(); err != nil && !errors.Is(err, index.ErrClosed) {
		e.Errorf("second Close: %v, want nil or ErrClosed", err)
	}
}

func testOnlySparse(e *env) {
	name := e.collection("onlysparse", 0, true)
	sp := &index.Sparse{Indices: []uint32{3, 9}, Values: []float32{0.5, 2}}
	e.upsert(name,
		index.Point{ID: id(1), Sparse: sp, Payload: index.Payload{"k": "a"}},
		index.Point{ID: id(2), Payload: index.Payload{"k": "b"}}, // no vector at all
	)
	got, err := e.s.Get(e.ctx, name, ids(1, 2), index.With{Payload: true, Vectors: true})
	e.must(err)
	e.diff("sparse-only points", []index.Record{
		{ID: id(1), Payload: index.Payload{"k": "a"}, Sparse: sp},
		{ID: id(2), Payload: index.Payload{"k": "b"}},
	}, got)

	err = e.s.Upsert(e.ctx, name, []index.Point{{ID: id(3), Dense: []float32{1}}})
	e.wantErr("dense vector in a sparse-only collection", err, index.ErrInvalidArgument)
	_, err = e.s.Query(e.ctx, name, index.QueryRequest{Dense: []float32{1}})
	e.wantErr("dense query on a sparse-only collection", err, index.ErrInvalidArgument)
	res, err := e.s.Query(e.ctx, name, index.QueryRequest{Sparse: &index.Sparse{Indices: []uint32{9}, Values: []float32{1}}})
	e.must(err)
	want := float32(2 * index.IDF(1, 1))
	if len(res) != 1 || res[0].ID != id(1) || !near(res[0].Score, want, 1e-4) {
		e.Errorf("sparse query: got %v, want %s with score %g", res, id(1), want)
	}
}

func testOnlyDense(e *env) {
	name := e.collection("onlydense", 2, false)
	e.upsert(name, index.Point{ID: id(1), Dense: []float32{0, 3}})
	got, err := e.s.Get(e.ctx, name, ids(1), index.With{Vectors: true})
	e.must(err)
	e.diff("dense-only point", []index.Record{{ID: id(1), Dense: []float32{0, 1}}}, got, approxVectors)

	sp := &index.Sparse{Indices: []uint32{1}, Values: []float32{1}}
	err = e.s.Upsert(e.ctx, name, []index.Point{{ID: id(2), Dense: []float32{1, 0}, Sparse: sp}})
	e.wantErr("sparse vector in a dense-only collection", err, index.ErrInvalidArgument)
	_, err = e.s.Query(e.ctx, name, index.QueryRequest{Sparse: sp})
	e.wantErr("sparse query on a dense-only collection", err, index.ErrInvalidArgument)
	_, err = e.s.Query(e.ctx, name, index.QueryRequest{Dense: []float32{1, 0}, Sparse: sp})
	e.wantErr("hybrid query on a dense-only collection", err, index.ErrInvalidArgument)
	err = e.s.Upsert(e.ctx, name, []index.Point{{ID: id(3)}})
	e.wantErr("point without its dense vector", err, index.ErrInvalidArgument)
	res, err := e.s.Query(e.ctx, name, index.QueryRequest{Dense: []float32{0, -2}})
	e.must(err)
	if len(res) != 1 || res[0].ID != id(1) || !near(res[0].Score, -1, 1e-4) {
		e.Errorf("dense query: got %v, want %s with score -1", res, id(1))
	}
	// A score equal to the threshold is kept (1 is exact: both vectors normalize exactly).
	res, err = e.s.Query(e.ctx, name, index.QueryRequest{Dense: []float32{0, 5}, ScoreThreshold: ptr[float32](1)})
	e.must(err)
	if len(res) != 1 || res[0].ID != id(1) {
		e.Errorf("query with a threshold equal to the score: got %v, want %s", res, id(1))
	}
}

func near(a, b float32, tol float64) bool { return abs(float64(a)-float64(b)) <= tol }

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
