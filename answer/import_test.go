package answer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jieda/jieda/answer/answertest"
	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
	"github.com/jieda/jieda/index/qdrant"
	"github.com/jieda/jieda/index/qdrant/qdranttest"
)

// crashingStore fails every write to ArticlesCollection while armed: an
// import dies between writing its points and publishing its articles,
// as it would if the process were killed there.
type crashingStore struct {
	index.Store
	armed atomic.Bool
}

var errCrash = errors.New("simulated crash")

func (s *crashingStore) Upsert(ctx context.Context, col string, pts []index.Point) error {
	if s.armed.Load() && col == ArticlesCollection {
		return errCrash
	}
	return s.Store.Upsert(ctx, col, pts)
}

// importEngines are the engines an import must be all or nothing on.
func importEngines(t *testing.T) map[string]index.Store {
	cfg := embedded.DefaultConfig()
	cfg.Path, cfg.NoSync = filepath.Join(t.TempDir(), "data"), true
	emb, err := embedded.Open(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	qcfg := qdrant.DefaultConfig()
	qcfg.Addr = qdranttest.Start(t, nil).Addr()
	q, err := qdrant.Open(t.Context(), qcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := errors.Join(emb.Close(), q.Close()); err != nil {
			t.Error(err)
		}
	})
	return map[string]index.Store{"embedded": emb, "qdrant": q}
}

func shopArticles(n int, answer string) []Article {
	arts := make([]Article, n)
	for i := range arts {
		arts[i] = Article{ID: fmt.Sprintf("rule-%03d", i), Question: fmt.Sprintf("第%d号活动规则是什么", 100+i), Answer: fmt.Sprintf("%s %d", answer, i), Locale: "zh-CN"}
	}
	return arts
}

// An import that dies before it publishes shows nothing to editors or
// customers, not even a part; an update that dies keeps the old version
// answering; running the import again completes it and sweeps what the
// dead one left.
func TestImportAllOrNothing(t *testing.T) {
	for name, base := range importEngines(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			s := &crashingStore{Store: base}
			k, err := NewLibrary(ctx, s, testEmbedder(t), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			clock := answertest.NewClock()
			k.now = clock.Now
			first := shopArticles(150, "旧规则") // more than one write batch
			s.armed.Store(true)
			if _, err := k.Import(ctx, "shop", first, ImportOptions{BatchSize: 64}); !errors.Is(err, errCrash) {
				t.Fatalf("import = %v, want the crash", err)
			}
			if n, _ := k.Count(ctx, "shop"); n != 0 {
				t.Errorf("after a crashed import, editors see %d articles, want 0", n)
			}
			if c, _ := k.Search(ctx, "shop", "第105号活动规则是什么", SearchOptions{}); len(c) != 0 {
				t.Errorf("after a crashed import, Search finds %v", c[0].ArticleID)
			}
			s.armed.Store(false)
			st, err := k.Import(ctx, "shop", first, ImportOptions{BatchSize: 64})
			if err != nil || st.Created != 150 {
				t.Fatalf("re-run: %+v, %v", st, err)
			}
			if n, _ := k.Count(ctx, "shop"); n != 150 {
				t.Errorf("after the re-run: %d articles, want 150", n)
			}
			points := countPoints(t, base, PointsCollection)
			// An update that dies: the old version keeps answering.
			s.armed.Store(true)
			if _, err := k.Import(ctx, "shop", shopArticles(150, "新规则"), ImportOptions{BatchSize: 64}); !errors.Is(err, errCrash) {
				t.Fatalf("update = %v, want the crash", err)
			}
			c, err := k.Search(ctx, "shop", "第105号活动规则是什么", SearchOptions{})
			if err != nil || !slices.ContainsFunc(c, func(c Candidate) bool { return c.ArticleID == "rule-005" }) {
				t.Fatalf("during a dead update the live version is not found: %v", err)
			}
			if a, _ := k.Article(ctx, "shop", "rule-005"); a.Answer != "旧规则 5" || a.Version != 1 {
				t.Errorf("during a dead update the article is %q v%d", a.Answer, a.Version)
			}
			s.armed.Store(false)
			dead := countPoints(t, base, PointsCollection) - points
			if swept, err := k.Sweep(ctx, "shop"); err != nil || swept != 0 {
				t.Errorf("Sweep within SweepGrace deleted %d (%v): an import elsewhere may still publish them", swept, err)
			}
			clock.Advance(SweepGrace + time.Minute)
			if swept, err := k.Sweep(ctx, "shop"); err != nil || swept != dead || dead != 300 {
				t.Errorf("Sweep deleted %d (%v), want the dead update's %d points (300)", swept, err, dead)
			}
			if _, err := k.Import(ctx, "shop", shopArticles(150, "新规则"), ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			if a, _ := k.Article(ctx, "shop", "rule-005"); a.Answer != "新规则 5" || a.Version != 2 {
				t.Errorf("after the update: %q v%d", a.Answer, a.Version)
			}
			if got := countPoints(t, base, PointsCollection); got != points {
				t.Errorf("points after the update: %d, want %d (the old version's deleted)", got, points)
			}
			// Deleting unpublishes first, then removes the points.
			if err := k.DeleteArticle(ctx, "shop", "rule-005"); err != nil {
				t.Fatal(err)
			}
			if got := countPoints(t, base, PointsCollection); got != points-2 {
				t.Errorf("points after a delete: %d, want %d", got, points-2)
			}
		})
	}
}
