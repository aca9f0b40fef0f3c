package embedded

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/memstore"
)

var approx = cmp.Comparer(func(a, b float32) bool { return a-b <= 1e-5 && b-a <= 1e-5 })

const restartDim = 32

func restartPoint(n, version int) index.Point {
	return index.Point{
		ID:     testID(n),
		Dense:  testVector(n*100+version, restartDim),
		Sparse: testSparse(n*100 + version),
		Payload: index.Payload{
			"kind":  fmt.Sprintf("k%d", n%7),
			"n":     n,
			"score": float64(n) / 3,
			"flag":  n%2 == 0,
			"ts":    time.Date(2024, 1, 1, 0, n, 0, 0, time.UTC).Format(time.RFC3339),
			"tags":  []any{fmt.Sprintf("g%d", n%5), fmt.Sprintf("g%d", n%3)},
			"v":     version,
		},
	}
}

// restartWorkload writes the same operations to both stores.
func restartWorkload(t *testing.T, stores []index.Store, lo, hi int) {
	ctx := context.Background()
	do := func(f func(s index.Store) error) {
		t.Helper()
		for _, s := range stores {
			must(t, f(s))
		}
	}
	for b := lo; b < hi; b += 250 {
		var pts []index.Point
		for n := b; n < min(b+250, hi); n++ {
			pts = append(pts, restartPoint(n, 1))
		}
		do(func(s index.Store) error { return s.Upsert(ctx, "docs", pts) })
	}
	var del, set, over []string
	var pts []index.Point
	for n := lo; n < hi; n++ {
		switch n % 17 {
		case 3:
			del = append(del, testID(n))
		case 5:
			set = append(set, testID(n))
		case 7:
			over = append(over, testID(n))
		case 9:
			pts = append(pts, restartPoint(n, 2))
		}
	}
	do(func(s index.Store) error { return s.Delete(ctx, "docs", del) })
	do(func(s index.Store) error {
		return s.SetPayload(ctx, "docs", set, index.Payload{"kind": "set", "extra": 1.5})
	})
	do(func(s index.Store) error {
		return s.OverwritePayload(ctx, "docs", over, index.Payload{"kind": "over", "n": -1, "ts": "2030-01-01"})
	})
	do(func(s index.Store) error { return s.Upsert(ctx, "docs", pts) })
	do(func(s index.Store) error {
		return s.Upsert(ctx, "lex", []index.Point{{ID: testID(hi), Sparse: testSparse(hi), Payload: index.Payload{"n": hi}}})
	})
}

// compareStores checks that s answers like the reference.
func compareStores(t *testing.T, what string, s *Store, ref index.Store, n int) {
	t.Helper()
	ctx := context.Background()
	diff := func(name string, want, got any) {
		t.Helper()
		if d := cmp.Diff(want, got, approx, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("%s: %s mismatch (-want +got):\n%s", what, name, d)
		}
	}
	wantCols, err := ref.Collections(ctx)
	must(t, err)
	gotCols, err := s.Collections(ctx)
	must(t, err)
	diff("collections", wantCols, gotCols)

	var all []string
	for i := range n + 1 {
		all = append(all, testID(i))
	}
	with := index.With{Payload: true, Vectors: true}
	for _, col := range []string{"docs", "lex"} {
		want, err := ref.Get(ctx, col, all, with)
		must(t, err)
		got, err := s.Get(ctx, col, all, with)
		must(t, err)
		diff(col+" points", want, got)
	}
	filters := []*index.Filter{
		nil,
		{Must: []index.Condition{index.MatchKeyword("kind", "k3")}},
		{Must: []index.Condition{index.NumberRange("n", index.Range{Gte: index.F(100), Lt: index.F(400)})}},
		{Must: []index.Condition{index.NumberRange("score", index.Range{Gt: index.F(10)})}, MustNot: []index.Condition{index.MatchBool("flag", true)}},
		{Should: []index.Condition{index.MatchKeyword("kind", "set"), index.MatchAnyKeyword("tags", "g4")}},
		{Must: []index.Condition{index.TimeRange("ts", index.DatetimeRange{Gte: time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)})}},
		{Must: []index.Condition{index.MatchInteger("v", 2)}}, // not indexed
	}
	for i, f := range filters {
		want, err := ref.Count(ctx, "docs", f)
		must(t, err)
		got, err := s.Count(ctx, "docs", f)
		must(t, err)
		diff(fmt.Sprintf("count %d", i), want, got)
		if f == nil {
			continue
		}
		// Selective filtered dense queries are exact.
		req := index.QueryRequest{Dense: testVector(7, restartDim), Filter: f, Limit: 5}
		if want <= exactFilteredMax {
			wq, err := ref.Query(ctx, "docs", req)
			must(t, err)
			gq, err := s.Query(ctx, "docs", req)
			must(t, err)
			diff(fmt.Sprintf("filtered query %d", i), wq, gq)
		}
	}
	for _, dir := range []index.Direction{index.Asc, index.Desc} {
		for _, key := range []string{"n", "score", "ts"} {
			req := index.ScrollRequest{OrderBy: &index.OrderBy{Key: key, Direction: dir}, Limit: 97, With: index.With{Payload: true}}
			for page := 0; page < 4; page++ {
				want, err := ref.Scroll(ctx, "docs", req)
				must(t, err)
				got, err := s.Scroll(ctx, "docs", req)
				must(t, err)
				diff(fmt.Sprintf("scroll by %s %v page %d", key, dir, page), recordIDsOf(want.Points), recordIDsOf(got.Points))
				if want.Next == "" {
					break
				}
				req.Cursor = got.Next
			}
		}
	}
	// Sparse and hybrid rankings come from exact indexes.
	sq := testSparse(3)
	for _, req := range []index.QueryRequest{
		{Sparse: sq, Limit: 20},
		{Sparse: sq, Limit: 20, Filter: filters[1]},
	} {
		want, err := ref.Query(ctx, "docs", req)
		must(t, err)
		got, err := s.Query(ctx, "docs", req)
		must(t, err)
		diff("sparse query", want, got)
	}
	// HNSW: recall of plain dense queries.
	hits, total := 0, 0
	for q := range 20 {
		req := index.QueryRequest{Dense: testVector(100_000+q, restartDim), Limit: 10}
		want, err := ref.Query(ctx, "docs", req)
		must(t, err)
		got, err := s.Query(ctx, "docs", req)
		must(t, err)
		ids := map[string]bool{}
		for _, p := range want {
			ids[p.ID] = true
		}
		for _, p := range got {
			if ids[p.ID] {
				hits++
			}
		}
		total += len(want)
	}
	if recall := float64(hits) / float64(total); recall < 0.9 {
		t.Fatalf("%s: dense recall@10 %.3f", what, recall)
	}
}

func recordIDsOf(rs []index.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// restartSetup creates the collections and payload indexes in both stores.
func restartSetup(t *testing.T, stores ...index.Store) {
	ctx := context.Background()
	for _, st := range stores {
		must(t, st.CreateCollection(ctx, index.CollectionConfig{Name: "docs", Dim: restartDim, Sparse: true}))
		must(t, st.CreateCollection(ctx, index.CollectionConfig{Name: "lex", Sparse: true}))
		for field, typ := range map[string]index.FieldType{"kind": index.FieldKeyword, "n": index.FieldInteger,
			"score": index.FieldFloat, "flag": index.FieldBool, "ts": index.FieldDatetime, "tags": index.FieldKeyword} {
			must(t, st.CreatePayloadIndex(ctx, "docs", field, typ))
		}
	}
}

// TestRestart closes and reopens a store with HNSW in use (ExactBelow 500)
// and checks it answers as before, from a saved graph.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.ExactBelow = 500
	ref := memstore.New()
	s, err := Open(ctx, cfg, nil)
	must(t, err)
	restartSetup(t, s, ref)
	restartWorkload(t, []index.Store{s, ref}, 0, 1500)
	compareStores(t, "before restart", s, ref, 1600)
	uid := s.cols["docs"].uid
	must(t, s.Close())
	graph := filepath.Join(dir, uid+graphExt)
	if _, err := os.Stat(graph); err != nil {
		t.Fatalf("no saved graph after Close: %v", err)
	}

	s, err = Open(ctx, cfg, nil)
	must(t, err)
	if !s.cols["docs"].graphLoaded {
		t.Error("the saved graph was not used at open")
	}
	compareStores(t, "after restart", s, ref, 1600)
	restartWorkload(t, []index.Store{s, ref}, 1500, 2000)
	compareStores(t, "after more writes", s, ref, 2100)
	must(t, s.Close())

	s = open(t, cfg)
	compareStores(t, "after a second restart", s, ref, 2100)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	must(t, err)
	must(t, os.WriteFile(to, b, 0o600))
}

// TestGraphCatchUp opens a copy of a store taken after writes that came
// after its graph was saved (as a crash leaves it): the saved graph is
// loaded and caught up. A corrupt saved graph is rebuilt instead.
func TestGraphCatchUp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.ExactBelow = 500
	ref := memstore.New()
	s, err := Open(ctx, cfg, nil)
	must(t, err)
	restartSetup(t, s, ref)
	restartWorkload(t, []index.Store{s, ref}, 0, 1200)
	uid := s.cols["docs"].uid
	must(t, s.Close())
	s = open(t, cfg)
	restartWorkload(t, []index.Store{s, ref}, 1000, 1600) // replaces, deletes and adds points
	if s.cols["docs"].savedGen == s.cols["docs"].gen {
		t.Fatal("the graph was saved again; the test needs a stale one")
	}

	crashed := t.TempDir()
	copyFile(t, filepath.Join(dir, DBFile), filepath.Join(crashed, DBFile))
	copyFile(t, filepath.Join(dir, uid+graphExt), filepath.Join(crashed, uid+graphExt))
	ccfg := cfg
	ccfg.Path = crashed
	c := open(t, ccfg)
	if !c.cols["docs"].graphLoaded {
		t.Fatal("the stale graph was not loaded")
	}
	compareStores(t, "caught up", c, ref, 1700)
	must(t, c.Close())

	// A corrupt graph is rebuilt.
	g := filepath.Join(crashed, uid+graphExt)
	b, err := os.ReadFile(g)
	must(t, err)
	b[len(b)/2] ^= 0xff
	must(t, os.WriteFile(g, b, 0o600))
	c = open(t, ccfg)
	if c.cols["docs"].graphLoaded {
		t.Fatal("a corrupt graph was loaded")
	}
	compareStores(t, "rebuilt", c, ref, 1700)
}

// TestGraphFollowsSearchSettings reopens a store with another ef_search and
// exact_below: the saved graph is used, with the new settings; another M
// (the graph's shape) rebuilds it.
func TestGraphFollowsSearchSettings(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.ExactBelow = 50
	s := open(t, cfg)
	must(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "g", Dim: 8}))
	var pts []index.Point
	for n := range 300 {
		pts = append(pts, index.Point{ID: testID(n), Dense: testVector(n, 8)})
	}
	must(t, s.Upsert(ctx, "g", pts))
	must(t, s.WaitIndexed(ctx))
	must(t, s.Close())

	cfg.HNSWEfSearch, cfg.ExactBelow = 32, 60
	s = open(t, cfg)
	c := s.cols["g"]
	if o := c.dense.Options(); !c.graphLoaded || o.EfSearch != 32 || o.ExactBelow != 60 {
		t.Errorf("new search settings: graph loaded %v, options %+v", c.graphLoaded, o)
	}
	must(t, s.Close())

	cfg.HNSWM = 8
	s = open(t, cfg)
	if c := s.cols["g"]; c.graphLoaded || c.dense.Options().M != 8 {
		t.Errorf("new M: graph loaded %v, M %d; want a rebuild with M 8", c.graphLoaded, c.dense.Options().M)
	}
}
