package answer

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
	"github.com/jieda/jieda/models/synth"
)

var (
	embOnce sync.Once
	embVal  *embed.Embedder
	embErr  error
)

// testEmbedder opens one embedder over a freshly written builtin model,
// shared by the tests of this package.
func testEmbedder(t testing.TB) *embed.Embedder {
	t.Helper()
	embOnce.Do(func() {
		dir, err := os.MkdirTemp("", "jieda-answer-model-")
		if err != nil {
			embErr = err
			return
		}
		modelDir := filepath.Join(dir, synth.BuiltinName)
		if embErr = synth.WriteBuiltin(modelDir); embErr != nil {
			return
		}
		cfg := embed.DefaultConfig()
		cfg.ModelDir = modelDir
		embVal, embErr = embed.Open(cfg, nil)
	})
	if embErr != nil {
		t.Fatalf("opening the builtin model (install ONNX Runtime with `make setup`): %v", embErr)
	}
	return embVal
}

func TestMain(m *testing.M) {
	code := m.Run()
	if embVal != nil {
		_ = embVal.Close()
		_ = os.RemoveAll(filepath.Dir(embVal.Info().Dir))
	}
	os.Exit(code)
}

// newTestKB opens a real embedded store in t.TempDir and a KB over it.
func newTestKB(t testing.TB) (*Library, index.Store) {
	t.Helper()
	ctx := context.Background()
	cfg := embedded.DefaultConfig()
	cfg.Path = t.TempDir()
	cfg.NoSync = true
	s, err := embedded.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	k, err := NewLibrary(ctx, s, testEmbedder(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k, s
}

func sampleArticles(t testing.TB) []Article {
	t.Helper()
	arts, err := ReadArticlesFile(filepath.Join("samplekb", "articles.jsonl"))
	if err != nil {
		t.Fatalf("reading the sample KB: %v", err)
	}
	return arts
}

func countPoints(t *testing.T, s index.Store, col string) int {
	t.Helper()
	n, err := s.Count(context.Background(), col, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportIdempotent(t *testing.T) {
	ctx := context.Background()
	k, s := newTestKB(t)
	arts := sampleArticles(t)
	st1, err := k.Import(ctx, "shop", arts, ImportOptions{BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	points, docs := countPoints(t, s, PointsCollection), countPoints(t, s, ArticlesCollection)
	if st1.Created != len(arts) || docs != len(arts) || points != st1.Points {
		t.Fatalf("first import: %+v, %d points, %d docs, want %d articles", st1, points, docs, len(arts))
	}
	st2, err := k.Import(ctx, "shop", arts, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st2.Unchanged != len(arts) || st2.Created != 0 || st2.Updated != 0 {
		t.Errorf("second import stats = %+v, want all unchanged", st2)
	}
	if got := countPoints(t, s, PointsCollection); got != points {
		t.Errorf("points after re-import = %d, want %d", got, points)
	}
	if got := countPoints(t, s, ArticlesCollection); got != docs {
		t.Errorf("articles after re-import = %d, want %d", got, docs)
	}

	// Dropping variants deletes their points; the version goes up.
	a := arts[0]
	removed := len(a.Questions()) - 1
	a.Variants = nil
	st3, err := k.Import(ctx, "shop", []Article{a}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st3.Updated != 1 {
		t.Errorf("update stats = %+v", st3)
	}
	if got := countPoints(t, s, PointsCollection); got != points-removed {
		t.Errorf("points after dropping %d variants = %d, want %d", removed, got, points-removed)
	}
	got, err := k.Article(ctx, "shop", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || len(got.Variants) != 0 || got.KB != "shop" || got.CreatedAt.IsZero() {
		t.Errorf("stored article = %+v, want version 2 without variants", got)
	}

	// Another KB is separate.
	if _, err := k.Import(ctx, "other", arts[:3], ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if n, err := k.Count(ctx, "shop"); err != nil || n != len(arts) {
		t.Errorf("Count(shop) = %d, %v; want %d", n, err, len(arts))
	}
}

func TestImportRejectsInvalid(t *testing.T) {
	k, s := newTestKB(t)
	_, err := k.Import(context.Background(), "shop", []Article{{ID: "x", Question: "q", Answer: "a"}, {ID: "y", Question: "", Answer: "a"}}, ImportOptions{})
	if err == nil {
		t.Fatal("Import accepted an article without a question")
	}
	if n := countPoints(t, s, PointsCollection); n != 0 {
		t.Errorf("%d points written by a failed import", n)
	}
	if _, err := k.Import(context.Background(), "bad kb", nil, ImportOptions{}); err == nil {
		t.Error("Import accepted KB name with a space")
	}
}

func TestSearchSampleKB(t *testing.T) {
	ctx := context.Background()
	k, _ := newTestKB(t)
	arts := sampleArticles(t)
	if _, err := k.Import(ctx, "shop", arts, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query, want string
	}{
		// traditional characters find an article that only exists in simplified Chinese
		{"zh-TW query, zh-CN article", "請問退貨要寄到哪個地址", "returns-address-zh-cn"},
		{"zh-CN paraphrase", "退货可以预约快递上门来取件吗", "returns-pickup-door"},
		{"en paraphrase", "who pays the return shipping fee", "returns-shipping-cost-en"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cands, err := k.Search(ctx, "shop", tc.query, SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(cands) == 0 || cands[0].ArticleID != tc.want {
				t.Fatalf("top candidate for %q = %v, want %s", tc.query, ids(cands), tc.want)
			}
			c := cands[0]
			if c.Question == "" || c.DenseScore <= 0 || c.MatchedVariants < 1 || c.Score <= 0 {
				t.Errorf("candidate features = %+v", c)
			}
		})
	}
	for _, agg := range Aggregations {
		cands, err := k.Search(ctx, "shop", "退货可以预约快递上门来取件吗", SearchOptions{Aggregation: agg, Limit: 3})
		if err != nil || len(cands) == 0 || len(cands) > 3 {
			t.Errorf("aggregation %s: %v, %v", agg, ids(cands), err)
		}
	}
	if _, err := k.Search(ctx, "shop", "  ", SearchOptions{}); err == nil {
		t.Error("Search accepted an empty question")
	}
	if cands, err := k.Search(ctx, "nope", "怎么退货", SearchOptions{}); err != nil || len(cands) != 0 {
		t.Errorf("unknown KB: %v, %v", ids(cands), err)
	}
}

func TestSearchNeverReturnsUnpublished(t *testing.T) {
	ctx := context.Background()
	k, _ := newTestKB(t)
	arts := sampleArticles(t)
	if _, err := k.Import(ctx, "shop", arts, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var hidden []Article
	for _, a := range arts {
		if a.Status != StatusPublished {
			hidden = append(hidden, a)
		}
	}
	if len(hidden) == 0 {
		t.Fatal("the sample KB has no draft or archived article to test with")
	}
	for _, a := range hidden {
		for _, q := range a.Questions() { // their own questions, verbatim: the strongest possible match
			cands, err := k.Search(ctx, "shop", q, SearchOptions{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(ids(cands), a.ID) {
				t.Errorf("%s article %s returned for %q", a.Status, a.ID, q)
			}
		}
	}
}

func TestSearchFilters(t *testing.T) {
	ctx := context.Background()
	k, _ := newTestKB(t)
	arts := sampleArticles(t)
	if _, err := k.Import(ctx, "shop", arts, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	byID := map[string]Article{}
	for _, a := range arts {
		byID[a.ID] = a
	}
	cands, err := k.Search(ctx, "shop", "怎么退货", SearchOptions{Locale: "zh-TW", Limit: 50})
	if err != nil || len(cands) == 0 {
		t.Fatalf("locale search: %v, %v", ids(cands), err)
	}
	for _, c := range cands {
		if c.Locale != "zh-TW" {
			t.Errorf("locale filter returned %s (%s)", c.ArticleID, c.Locale)
		}
	}
	// validity: every returned article is valid at the given time
	var windowed Article
	for _, a := range arts {
		if a.ValidTo != nil && a.Status == StatusPublished {
			windowed = a
			break
		}
	}
	after := windowed.ValidTo.AddDate(0, 0, 1)
	cands, err = k.Search(ctx, "shop", windowed.Question, SearchOptions{At: after, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cands {
		if a := byID[c.ArticleID]; !a.ActiveAt(after) {
			t.Errorf("article %s (valid %v-%v) returned at %v", a.ID, a.ValidFrom, a.ValidTo, after)
		}
	}
	cands, err = k.Search(ctx, "shop", windowed.Question, SearchOptions{At: *windowed.ValidFrom})
	if err != nil || len(cands) == 0 || cands[0].ArticleID != windowed.ID {
		t.Errorf("inside its window %s should rank first: %v, %v", windowed.ID, ids(cands), err)
	}
}

func ids(cands []Candidate) []string {
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.ArticleID
	}
	return out
}
