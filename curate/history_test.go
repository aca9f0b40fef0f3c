// Tests of article revisions and rollback over a real embedded store and a
// real answer.Engine on the builtin model.

package curate

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/answer/answertest"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
	"github.com/jieda/jieda/models/synth"
)

// historyTestStore opens a real embedded store in t.TempDir, closed at cleanup.
func historyTestStore(t *testing.T) index.Store {
	t.Helper()
	cfg := embedded.DefaultConfig()
	cfg.Path = t.TempDir()
	cfg.NoSync = true
	s, err := embedded.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, index.ErrClosed) {
			t.Error(err)
		}
	})
	return s
}

// historyEmbedder opens an embedder over a freshly written builtin model
// in t.TempDir, closed at cleanup.
func historyEmbedder(t *testing.T) *embed.Embedder {
	t.Helper()
	modelDir := filepath.Join(t.TempDir(), synth.BuiltinName)
	if err := synth.WriteBuiltin(modelDir); err != nil {
		t.Fatalf("writing the builtin model: %v", err)
	}
	cfg := embed.DefaultConfig()
	cfg.ModelDir = modelDir
	emb, err := embed.Open(cfg, nil)
	if err != nil {
		t.Fatalf("opening the builtin model (install ONNX Runtime with `make setup`): %v", err)
	}
	t.Cleanup(func() {
		if err := emb.Close(); err != nil {
			t.Error(err)
		}
	})
	return emb
}

// historyTestEngine wires a real answer.Engine and a History over one
// embedded store, with h (on a fake clock) observing the engine's changes.
func historyTestEngine(t *testing.T) (*answer.Engine, *History, *answertest.Clock) {
	t.Helper()
	ctx := context.Background()
	s := historyTestStore(t)
	kb, err := answer.NewLibrary(ctx, s, historyEmbedder(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHistory(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	clock := answertest.NewClock()
	h.now = clock.Now
	eng, err := answer.NewEngine(ctx, kb, answer.Options{OnChange: h.RecordChanges})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil && !errors.Is(err, index.ErrClosed) {
			t.Error(err)
		}
	})
	return eng, h, clock
}

func historyArticle() answer.Article {
	return answer.Article{
		ID: "refund-how", Question: "怎么申请退款？", Variants: []string{"如何退款"},
		Answer:   "打开订单\n点击申请退款\n等待审核",
		Category: "refunds", Locale: "zh-CN",
	}
}

// historyDo runs one engine call under a ChangeInfo and fails the test on error.
func historyDo(t *testing.T, clock *answertest.Clock, info answer.ChangeInfo, f func(ctx context.Context) error) {
	t.Helper()
	clock.Advance(time.Minute)
	if err := f(answer.WithChangeInfo(context.Background(), info)); err != nil {
		t.Fatal(err)
	}
}

func importOne(eng *answer.Engine, a answer.Article) func(ctx context.Context) error {
	return func(ctx context.Context) error { return eng.ImportArticles(ctx, "shop", []answer.Article{a}, nil) }
}

// revisionSummary is what the tests compare of a revision.
type revisionSummary struct {
	Version                int
	Action, Author, Reason string
	Source                 string
	Deleted                bool
	Answer                 string
}

func summarize(revs []Revision) []revisionSummary {
	out := make([]revisionSummary, len(revs))
	for i, r := range revs {
		out[i] = revisionSummary{Version: r.Version, Action: r.Action, Author: r.Author, Reason: r.Reason,
			Source: r.Source, Deleted: r.Article == nil}
		if r.Article != nil {
			out[i].Answer = r.Article.Answer
		}
	}
	return out
}

func TestHistoryRevisions(t *testing.T) {
	ctx := context.Background()
	eng, h, clock := historyTestEngine(t)
	a := historyArticle()
	historyDo(t, clock, answer.ChangeInfo{Author: "alice", Action: "import", Source: "file:faq.jsonl"}, importOne(eng, a))
	a.Answer = "打开订单\n点击申请售后\n等待审核"
	historyDo(t, clock, answer.ChangeInfo{Author: "bob", Reason: "button renamed"}, importOne(eng, a))
	a.Variants = append(a.Variants, "退款怎么弄")
	historyDo(t, clock, answer.ChangeInfo{Author: "carol", Action: "promote", Source: "cand-42"}, importOne(eng, a))
	// Re-importing the same content changes nothing and records nothing.
	historyDo(t, clock, answer.ChangeInfo{Author: "erin"}, importOne(eng, a))
	historyDo(t, clock, answer.ChangeInfo{Author: "dave", Reason: "obsolete"}, func(ctx context.Context) error {
		return eng.DeleteArticle(ctx, "shop", a.ID)
	})

	revs, err := h.Revisions(ctx, "shop", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	v1Answer, v2Answer := historyArticle().Answer, "打开订单\n点击申请售后\n等待审核"
	want := []revisionSummary{
		{Version: 4, Action: "delete", Author: "dave", Reason: "obsolete", Deleted: true},
		{Version: 3, Action: "promote", Author: "carol", Source: "cand-42", Answer: v2Answer},
		{Version: 2, Action: "edit", Author: "bob", Reason: "button renamed", Answer: v2Answer},
		{Version: 1, Action: "import", Author: "alice", Source: "file:faq.jsonl", Answer: v1Answer},
	}
	if d := gocmp.Diff(want, summarize(revs)); d != "" {
		t.Fatalf("revisions (-want +got):\n%s", d)
	}
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, r := range revs {
		if r.KB != "shop" || r.ArticleID != a.ID {
			t.Errorf("revision %d names %s/%s", r.Version, r.KB, r.ArticleID)
		}
		if r.Article != nil && (r.Article.Version != r.Version || r.Article.KB != "shop") {
			t.Errorf("revision %d holds article version %d of kb %q", r.Version, r.Article.Version, r.Article.KB)
		}
		// Revision i (newest first) was the (4-i)th call, but the
		// unchanged re-import before the delete took a minute too.
		wantAt := start.Add(time.Duration(4-i) * time.Minute)
		if i == 0 {
			wantAt = start.Add(5 * time.Minute)
		}
		if !r.At.Equal(wantAt) {
			t.Errorf("revision %d at %s, want %s", r.Version, r.At, wantAt)
		}
	}

	v1, err := h.Revision(ctx, "shop", a.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	v3, err := h.Revision(ctx, "shop", a.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	d := Diff(*v1.Article, *v3.Article)
	if got := d.Changed(); !gocmp.Equal(got, []string{FieldAnswer, FieldVariants}) {
		t.Errorf("diff v1→v3 changed %q, want answer and variants", got)
	}
	if !gocmp.Equal(d.VariantsAdded, []string{"退款怎么弄"}) || d.VariantsRemoved != nil {
		t.Errorf("diff v1→v3 variants: added %q removed %q", d.VariantsAdded, d.VariantsRemoved)
	}
	wantLines := []DiffLine{{"=", "打开订单"}, {"-", "点击申请退款"}, {"+", "点击申请售后"}, {"=", "等待审核"}}
	if diff := gocmp.Diff(wantLines, d.AnswerLines); diff != "" {
		t.Errorf("answer lines v1→v3 (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name    string
		err     error
		wantErr []error
	}{
		{"unknown version", func() error { _, err := h.Revision(ctx, "shop", a.ID, 9); return err }(),
			[]error{ErrRevisionNotFound, answer.ErrArticleNotFound}},
		{"unknown article", func() error { _, err := h.Revisions(ctx, "shop", "nope"); return err }(),
			[]error{ErrNoRevisions, answer.ErrArticleNotFound}},
		{"other kb", func() error { _, err := h.Revisions(ctx, "other", a.ID); return err }(),
			[]error{ErrNoRevisions}},
		{"bad kb", func() error { _, err := h.Revisions(ctx, "bad kb", a.ID); return err }(),
			[]error{answer.ErrInvalidKB}},
		{"empty id", func() error { _, err := h.Revisions(ctx, "shop", ""); return err }(),
			[]error{ErrInvalidRevision}},
		{"version 0", func() error { _, err := h.Revision(ctx, "shop", a.ID, 0); return err }(),
			[]error{ErrInvalidRevision}},
	} {
		for _, want := range tc.wantErr {
			if !errors.Is(tc.err, want) {
				t.Errorf("%s: error %v, want %v", tc.name, tc.err, want)
			}
		}
	}
}

func TestRollbackToEarlierVersion(t *testing.T) {
	ctx := context.Background()
	eng, h, clock := historyTestEngine(t)
	a := historyArticle()
	historyDo(t, clock, answer.ChangeInfo{Author: "alice"}, importOne(eng, a))
	b := a
	b.Answer, b.Status = "联系客服退款", answer.StatusDraft
	historyDo(t, clock, answer.ChangeInfo{Author: "bob"}, importOne(eng, b))
	c := b
	c.Question, c.Variants = "退款流程是什么？", nil
	historyDo(t, clock, answer.ChangeInfo{Author: "bob"}, importOne(eng, c))

	clock.Advance(time.Minute)
	got, err := h.Rollback(ctx, eng, "shop", a.ID, 1, "carol", "bad edit")
	if err != nil {
		t.Fatal(err)
	}
	v1, err := h.Revision(ctx, "shop", a.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 4 || !sameArticleContent(got, *v1.Article) {
		t.Errorf("rolled back article = %+v, want version 4 with v1's content %+v", got, *v1.Article)
	}
	if stored, err := eng.Library.Article(ctx, "shop", a.ID); err != nil || stored.Version != 4 || stored.Answer != a.Answer {
		t.Errorf("stored article after rollback = %+v, %v", stored, err)
	}
	revs, err := h.Revisions(ctx, "shop", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []revisionSummary{
		{Version: 4, Action: "rollback", Author: "carol", Reason: "bad edit", Source: "revision:1", Answer: a.Answer},
		{Version: 3, Action: "edit", Author: "bob", Answer: b.Answer},
		{Version: 2, Action: "edit", Author: "bob", Answer: b.Answer},
		{Version: 1, Action: "create", Author: "alice", Answer: a.Answer},
	}
	if d := gocmp.Diff(want, summarize(revs)); d != "" {
		t.Fatalf("revisions (-want +got):\n%s", d)
	}
	if d := Diff(*revs[0].Article, *v1.Article); !d.Empty() {
		t.Errorf("v4 differs from v1: %+v", d)
	}

	// Rolling back to content the article already has is a no-op.
	again, err := h.Rollback(ctx, eng, "shop", a.ID, 1, "carol", "again")
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != 4 {
		t.Errorf("no-op rollback returned version %d, want 4", again.Version)
	}
	if revs, err := h.Revisions(ctx, "shop", a.ID); err != nil || len(revs) != 4 {
		t.Errorf("after a no-op rollback: %d revisions, %v; want 4", len(revs), err)
	}

	// Rolling forward again to v3 makes v5.
	fwd, err := h.Rollback(ctx, eng, "shop", a.ID, 3, "carol", "")
	if err != nil {
		t.Fatal(err)
	}
	if fwd.Version != 5 || fwd.Question != c.Question || fwd.Status != answer.StatusDraft {
		t.Errorf("rollback to v3 = %+v", fwd)
	}

	for _, tc := range []struct {
		name    string
		version int
		author  string
		want    error
	}{
		{"no author", 1, " ", ErrInvalidRevision},
		{"bad author", 1, "\xff", ErrInvalidRevision},
		{"unknown version", 42, "carol", ErrRevisionNotFound},
	} {
		if _, err := h.Rollback(ctx, eng, "shop", a.ID, tc.version, tc.author, ""); !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestRollbackDeletedArticle(t *testing.T) {
	ctx := context.Background()
	eng, h, clock := historyTestEngine(t)
	a := historyArticle()
	historyDo(t, clock, answer.ChangeInfo{Author: "alice"}, importOne(eng, a))
	b := a
	b.Answer = "请联系客服"
	historyDo(t, clock, answer.ChangeInfo{Author: "bob"}, importOne(eng, b))
	historyDo(t, clock, answer.ChangeInfo{Author: "dave", Reason: "cleanup"}, func(ctx context.Context) error {
		return eng.DeleteArticle(ctx, "shop", a.ID)
	})
	if _, err := h.Rollback(ctx, eng, "shop", a.ID, 3, "erin", ""); !errors.Is(err, ErrInvalidRevision) {
		t.Errorf("rollback to the delete revision: error %v, want ErrInvalidRevision", err)
	}

	got, err := h.Rollback(ctx, eng, "shop", a.ID, 1, "erin", "deleted by mistake")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 4 || got.Answer != a.Answer {
		t.Errorf("re-created article = version %d answer %q, want version 4 with v1's answer", got.Version, got.Answer)
	}
	if _, err := eng.Library.Article(ctx, "shop", a.ID); err != nil {
		t.Errorf("article not back in the KB: %v", err)
	}
	revs, err := h.Revisions(ctx, "shop", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []revisionSummary{
		{Version: 4, Action: "rollback", Author: "erin", Reason: "deleted by mistake", Source: "revision:1", Answer: a.Answer},
		{Version: 3, Action: "delete", Author: "dave", Reason: "cleanup", Deleted: true},
		{Version: 2, Action: "edit", Author: "bob", Answer: b.Answer},
		{Version: 1, Action: "create", Author: "alice", Answer: a.Answer},
	}
	if d := gocmp.Diff(want, summarize(revs)); d != "" {
		t.Fatalf("revisions (-want +got):\n%s", d)
	}
}

// TestRollbackWithoutHook checks that Rollback records its revision itself
// when the engine has no change observer.
func TestRollbackWithoutHook(t *testing.T) {
	ctx := context.Background()
	eng, h, clock := historyTestEngine(t)
	a := historyArticle()
	historyDo(t, clock, answer.ChangeInfo{Author: "alice"}, importOne(eng, a))
	b := a
	b.Answer = "请联系客服"
	historyDo(t, clock, answer.ChangeInfo{Author: "bob"}, importOne(eng, b))
	// NewEngine sets up the shared library: no self-calibration of the
	// first engine may be reading it meanwhile.
	if err := eng.WaitCalibrations(ctx); err != nil {
		t.Fatal(err)
	}
	bare, err := answer.NewEngine(ctx, eng.Library, answer.Options{}) // the same KB, nobody observing
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := bare.Close(); err != nil {
			t.Error(err)
		}
	}()
	if _, err := h.Rollback(ctx, bare, "shop", a.ID, 1, "carol", ""); err != nil {
		t.Fatal(err)
	}
	revs, err := h.Revisions(ctx, "shop", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 3 || revs[0].Version != 3 || revs[0].Action != RevisionRollback || revs[0].Article.Answer != a.Answer {
		t.Errorf("revisions = %+v, want a rollback v3 on top", summarize(revs))
	}
}

func TestHistoryRecordIdempotent(t *testing.T) {
	ctx := context.Background()
	s := historyTestStore(t)
	h, err := NewHistory(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	clock := answertest.NewClock()
	h.now = clock.Now
	v1 := historyArticle()
	v1.KB, v1.Version, v1.Status = "shop", 1, answer.StatusPublished
	v1.CreatedAt = clock.Now()
	v1.UpdatedAt = v1.CreatedAt
	v2 := v1
	v2.Version, v2.Answer, v2.UpdatedAt = 2, "新答案", v1.CreatedAt.Add(time.Hour)
	record := func(info answer.ChangeInfo, changes ...answer.ArticleChange) {
		t.Helper()
		clock.Advance(time.Minute)
		if err := h.RecordChanges(answer.WithChangeInfo(ctx, info), "shop", changes); err != nil {
			t.Fatal(err)
		}
	}
	create := answer.ArticleChange{After: &v1}
	edit := answer.ArticleChange{Before: &v1, After: &v2}
	record(answer.ChangeInfo{Author: "alice"}, create)
	record(answer.ChangeInfo{Author: "alice"}, create)
	record(answer.ChangeInfo{Author: "mallory", Reason: "retry"}, create, edit)
	record(answer.ChangeInfo{Author: "bob"}, edit)
	revs, err := h.Revisions(ctx, "shop", v1.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []revisionSummary{
		{Version: 2, Action: "edit", Author: "mallory", Reason: "retry", Answer: v2.Answer},
		{Version: 1, Action: "create", Author: "alice", Answer: v1.Answer},
	}
	if d := gocmp.Diff(want, summarize(revs)); d != "" {
		t.Fatalf("revisions after retried records (-want +got):\n%s", d)
	}
	if n, err := s.Count(ctx, RevisionsCollection, nil); err != nil || n != 2 {
		t.Errorf("%d revision points, %v; want 2", n, err)
	}
	if first := clock.Now().Add(-3 * time.Minute); !revs[1].At.Equal(first) {
		t.Errorf("create revision at %s, want the first record's %s (never overwritten)", revs[1].At, first)
	}

	// Deleted, then re-created by a plain import that restarts at version 1:
	// the history keeps counting, and a retry still writes nothing new.
	del := answer.ArticleChange{Before: &v2}
	record(answer.ChangeInfo{Author: "dave"}, del)
	record(answer.ChangeInfo{Author: "dave"}, del)
	again := v1
	again.Answer = "重新上架"
	again.CreatedAt = v1.CreatedAt.Add(48 * time.Hour)
	again.UpdatedAt = again.CreatedAt
	recreate := answer.ArticleChange{After: &again}
	record(answer.ChangeInfo{Author: "erin"}, recreate)
	record(answer.ChangeInfo{Author: "erin"}, recreate)
	revs, err = h.Revisions(ctx, "shop", v1.ID)
	if err != nil {
		t.Fatal(err)
	}
	want = append([]revisionSummary{
		{Version: 4, Action: "create", Author: "erin", Answer: "重新上架"},
		{Version: 3, Action: "delete", Author: "dave", Deleted: true},
	}, want...)
	if d := gocmp.Diff(want, summarize(revs)); d != "" {
		t.Fatalf("revisions after re-creation (-want +got):\n%s", d)
	}
	if revs[0].Article.Version != 1 {
		t.Errorf("re-created revision holds article version %d, want the KB's 1", revs[0].Article.Version)
	}
	if r, err := h.Revision(ctx, "shop", v1.ID, 4); err != nil || r.Article.Answer != "重新上架" {
		t.Errorf("Revision 4 = %+v, %v", r, err)
	}
}

func TestHistoryRecordClipsInfo(t *testing.T) {
	ctx := context.Background()
	h, err := NewHistory(ctx, historyTestStore(t))
	if err != nil {
		t.Fatal(err)
	}
	a := historyArticle()
	a.KB, a.Version = "shop", 1
	info := answer.ChangeInfo{Author: strings.Repeat("张", 200) + "\xff", Reason: strings.Repeat("r", 5000)}
	if err := h.RecordChanges(answer.WithChangeInfo(ctx, info), "shop", []answer.ArticleChange{{After: &a}}); err != nil {
		t.Fatal(err)
	}
	r, err := h.Revision(ctx, "shop", a.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Author) > maxRevisionAuthor || !strings.HasPrefix(r.Author, "张张") || strings.ContainsRune(r.Author, '\uFFFD') {
		t.Errorf("author clipped to %d bytes: %q", len(r.Author), r.Author)
	}
	if len(r.Reason) != maxRevisionReason {
		t.Errorf("reason clipped to %d bytes, want %d", len(r.Reason), maxRevisionReason)
	}
	if err := h.RecordChanges(ctx, "bad kb", []answer.ArticleChange{{After: &a}}); !errors.Is(err, answer.ErrInvalidKB) {
		t.Errorf("bad kb: error %v, want ErrInvalidKB", err)
	}
}

func TestHistoryPersists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() index.Store {
		cfg := embedded.DefaultConfig()
		cfg.Path = dir
		s, err := embedded.Open(ctx, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	h, err := NewHistory(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	a := historyArticle()
	a.KB, a.Version = "shop", 1
	if err := h.RecordChanges(ctx, "shop", []answer.ArticleChange{{After: &a}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open()
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	if h, err = NewHistory(ctx, s); err != nil {
		t.Fatal(err)
	}
	revs, err := h.Revisions(ctx, "shop", a.ID)
	if err != nil || len(revs) != 1 || revs[0].Action != RevisionCreate {
		t.Errorf("after reopening: %+v, %v", revs, err)
	}
}
