package answer

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
)

// TestSelfCalibrationOnImport imports the sample KB as a shop would: it
// calibrates itself in the background, and the result is in its settings.
func TestSelfCalibrationOnImport(t *testing.T) {
	ctx := context.Background()
	arts := sampleArticles(t)[:100]
	published := 0
	for _, a := range arts {
		if a.Status == "" || a.Status == StatusPublished {
			published++
		}
	}
	e := newTestEngine(t, "shop", arts)
	if err := e.WaitCalibrations(ctx); err != nil {
		t.Fatal(err)
	}
	st, _, err := e.Settings.Get(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	sc := st.SelfCalibration
	if sc == nil || st.SelfCalibrated() == nil || st.Calibration != nil {
		t.Fatalf("no self-calibration after import: %+v", st)
	}
	if c := st.CalibrationOrDefault(); c.Source != SourceSelf || c.Clarify == nil {
		t.Errorf("calibration source %q, clarify model %v", c.Source, c.Clarify != nil)
	}
	if sc.Examples.Variants < 300 || sc.Examples.OutOfScope < 300 || sc.Examples.Pseudo != 0 {
		t.Errorf("examples %+v: want variants and out-of-scope ones, no pseudo-questions (every article has variants)", sc.Examples)
	}
	if sc.Articles != published || sc.HeldOutECE <= 0 || sc.HeldOutECE > 0.1 {
		t.Errorf("report %+v: want %d published articles and a held-out ECE under 0.1", sc, published)
	}
	need, err := e.NeedsSelfCalibration(ctx, "shop")
	if err != nil || need {
		t.Errorf("NeedsSelfCalibration right after = %v, %v", need, err)
	}
	self, err := e.examples.loadSelf(ctx, "shop")
	if err != nil || len(self) != sc.Examples.Total() {
		t.Errorf("stored examples: %d, %v; want %d", len(self), err, sc.Examples.Total())
	}

	// On demand, in the background.
	before := sc.FittedAt
	if err := e.StartSelfCalibration(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitCalibrations(ctx); err != nil {
		t.Fatal(err)
	}
	if e.SelfCalibrating("shop") {
		t.Error("SelfCalibrating after WaitCalibrations")
	}
	if err := e.StartSelfCalibration(ctx, "nosuch"); !errors.Is(err, ErrUnknownKB) {
		t.Errorf("StartSelfCalibration(nosuch) = %v, want ErrUnknownKB", err)
	}
	if st, _, err = e.Settings.Get(ctx, "shop"); err != nil || st.SelfCalibration.FittedAt.Before(before) {
		t.Errorf("after StartSelfCalibration: %+v, %v", st.SelfCalibration, err)
	}

	// A tenth more articles is a material change.
	var more []Article
	for i, a := range arts[:15] {
		a.ID = a.ID + "-copy"
		a.Question = a.Question + " " + string(rune('a'+i%26))
		more = append(more, a)
	}
	if _, err := e.Library.Import(ctx, "shop", more, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if need, err := e.NeedsSelfCalibration(ctx, "shop"); err != nil || !need {
		t.Errorf("NeedsSelfCalibration after 15 more articles = %v, %v; want true", need, err)
	}

	// A calibration fitted on labeled questions is left alone.
	st.Calibration = DefaultCalibration()
	if _, err := e.Settings.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	if need, err := e.NeedsSelfCalibration(ctx, "shop"); err != nil || need {
		t.Errorf("NeedsSelfCalibration with a labeled calibration = %v, %v; want false", need, err)
	}
}

// TestSelfCalibrationTinyKB keeps the shipped calibration for a KB too
// small to learn from, but says what it found.
func TestSelfCalibrationTinyKB(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, "tiny", shippingArticles())
	rep, err := e.SelfCalibrate(ctx, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := e.Settings.Get(ctx, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	if st.CalibrationOrDefault() != DefaultCalibration() || st.SelfCalibration == nil || rep.Examples.Total() >= minSelfExamples || rep.Articles != 4 {
		t.Errorf("tiny KB: calibration %q, report %+v; want the default and a report", st.CalibrationOrDefault().Source, rep)
	}
	if rep.Examples.Pseudo == 0 || rep.Examples.OutOfScope == 0 {
		t.Errorf("examples %+v: want pseudo-questions (no article has variants) and out-of-scope ones", rep.Examples)
	}
}

// TestHoldoutIsAbsent checks a held-out question or article is absent
// from retrieval and from the reranker's statistics while it is asked.
func TestHoldoutIsAbsent(t *testing.T) {
	ctx := context.Background()
	arts := []Article{
		{ID: "fee", Question: "运费怎么算", Variants: []string{"邮费要付多少钱", "寄快递收费吗"}, Answer: "满99元包邮。"},
		{ID: "invoice", Question: "怎么开发票", Variants: []string{"发票在哪里申请"}, Answer: "在订单详情申请电子发票。"},
		{ID: "refund", Question: "怎么退款", Variants: []string{"钱什么时候退回来"}, Answer: "审核后3天内原路退回。"},
	}
	e := newTestEngine(t, "shop", arts)
	cal, ids, err := e.loadCalArticles(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"fee", "invoice", "refund"}, ids); diff != "" {
		t.Fatalf("articles (-want +got):\n%s", diff)
	}
	base, err := e.Library.lexicon(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	so, err := e.view("shop", base, cal, holdout{questions: map[string][]int{"fee": {1}}, articles: map[string]bool{"invoice": true}}, e.search)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"邮费要付多少钱", "发票在哪里申请", "怎么开发票"} {
		cands, err := e.Library.Search(ctx, "shop", q, so)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cands {
			if c.ArticleID == "invoice" || c.Question == "邮费要付多少钱" {
				t.Errorf("%q: held-out item retrieved: %+v", q, c)
			}
		}
	}
	// the reranker's statistics: no invoice, and 邮 (only in the held-out variant) nowhere
	if so.lex.arts["invoice"] != nil {
		t.Error("the held-out article is in the view's lexicon")
	}
	you := embed.TermID("邮")
	if hasPosting(so.lex.arts["fee"], you) || so.lex.qdf[you] != 0 {
		t.Error("the held-out variant's term is in the view's lexicon")
	}
	if !hasPosting(base.arts["fee"], you) {
		t.Error("the KB's own lexicon lost the variant: the view must not change it")
	}
	// the live KB is untouched
	cands, err := e.Library.Search(ctx, "shop", "发票在哪里申请", SearchOptions{})
	if err != nil || len(cands) == 0 || cands[0].ArticleID != "invoice" {
		t.Errorf("live search after a view: %v, %v", cands, err)
	}
}

func TestPseudoQuestion(t *testing.T) {
	pool := textUnits("运费发票退款订单地址")
	q, a := "怎么修改订单的收货地址？", "订单未发货时，可在订单详情页修改收货地址，每单限改一次。"
	for _, gen := range Generators {
		if gen == GenHoldout {
			continue
		}
		p := pseudoQuestionFrom(gen, "addr", q, a, pool)
		if p == "" {
			t.Errorf("%s: no question", gen)
			continue
		}
		if matchKey(p) == matchKey(q) {
			t.Errorf("%s: %q is the question itself", gen, p)
		}
		if again := pseudoQuestionFrom(gen, "addr", q, a, pool); again != p {
			t.Errorf("%s: %q then %q: not deterministic", gen, p, again)
		}
	}
	if got := pseudoQuestion(GenContent, "addr", q, a); got != "修改订单收货地址" {
		t.Errorf("content: %q", got)
	}
	if got := pseudoQuestion(GenContent, "en", "How do I change my address?", ""); got != "change address" {
		t.Errorf("content (en): %q", got)
	}
	if got := pseudoQuestion(GenDrop, "x", "退款", a); got != "" {
		t.Errorf("drop of a two-character question: %q, want none", got)
	}
	if !slices.Contains(Generators, DefaultGenerators[0]) {
		t.Error("default generators must be generators")
	}
}

// TestSelfCalibrationKeptApart: a self-calibration saved while an editor
// saves settings loses neither.
func TestSelfCalibrationKeptApart(t *testing.T) {
	ctx := context.Background()
	k, s := newTestKB(t)
	_ = k
	ss, err := NewSettingsStore(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	st := DefaultSettings("shop")
	st.Webhook = Webhook{URL: "https://desk.example.com/hook", Secret: "desk-secret-0123456789"}
	if _, err := ss.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	rep := &SelfCalibration{Articles: 3, HeldOutECE: 0.05}
	cal := *DefaultCalibration()
	cal.Source = SourceSelf
	if err := ss.PutSelf(ctx, "shop", rep, &cal); err != nil {
		t.Fatal(err)
	}
	st.Thresholds.Answer = 0.9 // an editor's stale copy, saved after
	if _, err := ss.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	for _, fresh := range []bool{false, true} {
		store := ss
		if fresh { // another replica: nothing cached
			if store, err = NewSettingsStore(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		got, found, err := store.Get(ctx, "shop")
		if err != nil || !found {
			t.Fatal(found, err)
		}
		if got.Webhook.URL == "" || got.Thresholds.Answer != 0.9 || got.SelfCalibration == nil || got.SelfCalibration.Articles != 3 ||
			got.CalibrationOrDefault().Source != SourceSelf {
			t.Errorf("fresh %v: %+v (calibration %q)", fresh, got, got.CalibrationOrDefault().Source)
		}
	}
	names, err := ss.List(ctx)
	if err != nil || len(names) != 1 {
		t.Errorf("List = %v, %v; want [shop]", names, err)
	}
}

// TestSelfCalibrationChoosesGenerators: a KB where enough articles have
// variants and some have none picks its generators on its own variants.
func TestSelfCalibrationChoosesGenerators(t *testing.T) {
	ctx := context.Background()
	arts := sampleArticles(t)[:62]
	for i := range arts[:8] {
		arts[i].Variants = nil
	}
	e := newTestEngine(t, "shop", arts) // calibrates itself in the background
	if err := e.WaitCalibrations(ctx); err != nil {
		t.Fatal(err)
	}
	st, _, err := e.Settings.Get(ctx, "shop")
	if err != nil || st.SelfCalibration == nil {
		t.Fatalf("no self-calibration: %v", err)
	}
	rep := *st.SelfCalibration
	if rep.GeneratorsFrom != "kb variants" || len(rep.Generators) == 0 || rep.Examples.Pseudo == 0 {
		t.Errorf("report %+v: want generators chosen on the KB's variants, and pseudo-questions", rep)
	}
	for _, g := range rep.Generators {
		if !slices.Contains(Generators, g) || g == GenHoldout {
			t.Errorf("chosen generator %q", g)
		}
	}
}

// Close stops a self-calibration in flight rather than wait for it; the
// next engine on the store resumes it (ResumeCalibrations, at serve start).
func TestCloseInterruptsCalibrationResumeFinishes(t *testing.T) {
	ctx := context.Background()
	k, _ := newTestKB(t)
	e, err := NewEngine(ctx, k, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ImportArticles(ctx, "shop", sampleArticles(t)[:100], nil); err != nil {
		t.Fatal(err)
	}
	if !e.SelfCalibrating("shop") {
		t.Fatal("the import started no self-calibration")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if st, _, err := e.Settings.Get(ctx, "shop"); err != nil || st.SelfCalibration != nil {
		t.Fatalf("after Close: self-calibration %+v, %v; want it stopped unfinished", st.SelfCalibration, err)
	}
	again, err := NewEngine(ctx, k, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = again.Close() })
	if err := again.ResumeCalibrations(ctx); err != nil {
		t.Fatal(err)
	}
	if err := again.WaitCalibrations(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _, err := again.Settings.Get(ctx, "shop"); err != nil || st.SelfCalibration == nil {
		t.Errorf("after ResumeCalibrations: %+v, %v; want the KB calibrated", st.SelfCalibration, err)
	}
}

// With Options.NoSelfCalibration an import leaves the KB on the shipped
// calibration until a self-calibration is asked for.
func TestNoSelfCalibrationOption(t *testing.T) {
	ctx := context.Background()
	k, _ := newTestKB(t)
	e := openEngine(t, k, Options{NoSelfCalibration: true})
	if err := e.ImportArticles(ctx, "shop", sampleArticles(t)[:40], nil); err != nil {
		t.Fatal(err)
	}
	if e.SelfCalibrating("shop") {
		t.Fatal("a self-calibration started after the import")
	}
	st, _, err := e.Settings.Get(ctx, "shop")
	if err != nil || st.SelfCalibration != nil {
		t.Fatalf("settings after the import: %+v, %v; want no self-calibration", st.SelfCalibration, err)
	}
	if _, err := e.SelfCalibrate(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if st, _, err = e.Settings.Fresh(ctx, "shop"); err != nil || st.SelfCalibration == nil {
		t.Errorf("after SelfCalibrate: %+v, %v; want its report", st.SelfCalibration, err)
	}
}

// hasPosting reports whether a question of a has term t.
func hasPosting(a *artLex, t uint32) bool {
	_, ok := slices.BinarySearch(a.postTerms, t)
	return ok
}

// exactRecorder counts the dense searches of the points collection by
// whether they asked the store for an exact search.
type exactRecorder struct {
	index.Store
	exact, approximate atomic.Int64
}

func (s *exactRecorder) Query(ctx context.Context, col string, req index.QueryRequest) ([]index.ScoredPoint, error) {
	if col == PointsCollection && req.Dense != nil {
		if req.Exact {
			s.exact.Add(1)
		} else {
			s.approximate.Add(1)
		}
	}
	return s.Store.Query(ctx, col, req)
}

// TestSelfCalibrationSearchesExactly: self-calibration's probes ask for
// exact dense searches, so what a KB fits does not depend on how its HNSW
// graph was built; customers' questions take the graph.
func TestSelfCalibrationSearchesExactly(t *testing.T) {
	ctx := context.Background()
	_, store := newTestKB(t)
	rec := &exactRecorder{Store: store}
	k, err := NewLibrary(ctx, rec, testEmbedder(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := openEngine(t, k, Options{})
	if err := e.ImportArticles(ctx, "shop", sampleArticles(t)[:60], nil); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitCalibrations(ctx); err != nil {
		t.Fatal(err)
	}
	if rec.exact.Load() == 0 || rec.approximate.Load() != 0 {
		t.Fatalf("self-calibration: %d exact dense searches, %d not: want all exact", rec.exact.Load(), rec.approximate.Load())
	}
	exact := rec.exact.Load()
	if _, err := e.Ask(ctx, AskRequest{KB: "shop", Question: "运费怎么算？"}); err != nil {
		t.Fatal(err)
	}
	if rec.exact.Load() != exact || rec.approximate.Load() != 1 {
		t.Errorf("a customer's question: %d more exact searches, %d not: want one, not exact", rec.exact.Load()-exact, rec.approximate.Load())
	}
}
