// Tests of the knowledge-gap report over a real embedded store and a real
// answer.Engine on the builtin model.

package curate

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/answer/answertest"
	"github.com/jieda/jieda/curate/intake"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
	"github.com/jieda/jieda/models/synth"
)

// gapsTestEngine wires a real answer.Engine over a real embedded store in
// t.TempDir and the builtin model, with a few shop articles in kb "shop",
// and a Curator over it, both on one test clock (gapsClock).
func gapsTestEngine(t *testing.T) (*answer.Engine, *Curator) {
	t.Helper()
	ctx := context.Background()
	scfg := embedded.DefaultConfig()
	scfg.Path = t.TempDir()
	scfg.NoSync = true
	s, err := embedded.Open(ctx, scfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	modelDir := filepath.Join(t.TempDir(), synth.BuiltinName)
	if err := synth.WriteBuiltin(modelDir); err != nil {
		t.Fatalf("writing the builtin model: %v", err)
	}
	ecfg := embed.DefaultConfig()
	ecfg.ModelDir = modelDir
	emb, err := embed.Open(ecfg, nil)
	if err != nil {
		t.Fatalf("opening the builtin model (install ONNX Runtime with `make setup`): %v", err)
	}
	kb, err := answer.NewLibrary(ctx, s, emb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	gapsClock = answertest.NewClock()
	eng, err := answer.NewEngine(ctx, kb, answer.Options{Now: gapsClock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := errors.Join(eng.Close(), emb.Close(), s.Close()); err != nil && !errors.Is(err, index.ErrClosed) {
			t.Error(err)
		}
	})
	if err := eng.ImportArticles(ctx, "shop", gapsArticles(), nil); err != nil {
		t.Fatal(err)
	}
	cur, err := New(ctx, eng, DefaultConfig(), Options{Now: gapsClock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return eng, cur
}

func gapsArticles() []answer.Article {
	return []answer.Article{
		{ID: "ship-fee", Question: "运费怎么算", Variants: []string{"邮费多少", "包邮吗"}, Answer: "满99元包邮，不满收8元运费。", Category: "shipping", Locale: "zh-CN"},
		{ID: "return-7d", Question: "可以七天无理由退货吗", Variants: []string{"退货政策", "怎么退货"}, Answer: "签收后7天内可申请无理由退货。", Category: "returns", Locale: "zh-CN"},
		{ID: "invoice", Question: "怎么开发票", Variants: []string{"发票在哪里申请"}, Answer: "在订单详情页点击申请发票。", Category: "invoices", Locale: "zh-CN"},
	}
}

// gapsTestSimilarity groups paraphrases of the builtin model, which is
// lexical-grade (it matches shared characters, not meaning): its
// paraphrases below lie at cosine 0.58-0.92, different topics under 0.4.
const gapsTestSimilarity = 0.5

// gapsClock is the clock of the engine and curator gapsTestEngine built
// last (the tests of this file do not run in parallel).
var gapsClock *answertest.Clock

// gapsAsk asks questions of kb "shop", each in its own millisecond on the
// test clock (the handoffs' time resolution, so that their order is the
// order asked), and returns the handoff reason of each ("" when answered).
func gapsAsk(t *testing.T, eng *answer.Engine, qs ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, q := range qs {
		gapsClock.Advance(2 * time.Millisecond)
		r, err := eng.Ask(context.Background(), answer.AskRequest{KB: "shop", Question: q})
		if err != nil {
			t.Fatalf("asking %q: %v", q, err)
		}
		out[q] = ""
		if r.Handoff != nil {
			out[q] = string(r.Handoff.Reason)
		}
	}
	return out
}

// gapsTick moves the test clock past the handoffs' millisecond
// timestamps and returns the time between.
func gapsTick() time.Time {
	gapsClock.Advance(5 * time.Millisecond)
	t := gapsClock.Now()
	gapsClock.Advance(5 * time.Millisecond)
	return t
}

var (
	gapsHongKong = []string{"可以寄到香港吗", "能寄到香港吗", "香港可以寄吗", "支持寄到香港吗", "能不能寄到香港"}
	gapsPoints   = []string{"会员积分怎么用", "积分怎么用"}
)

// gapsScenario fills a store: one Hong Kong question in the previous
// period; then, from the returned time on, five Hong Kong paraphrases, two
// points questions and a clarify event about points, a lone question, and
// questions that are no knowledge gap (asking for a person, answered, an
// event of another KB). The event log is flushed.
func gapsScenario(t *testing.T) (*answer.Engine, *Curator, time.Time, map[string]string) {
	t.Helper()
	eng, cur := gapsTestEngine(t)
	reasons := gapsAsk(t, eng, "可以寄到香港吗", "我要转人工")
	if reasons["我要转人工"] != string(answer.ReasonCustomerRequest) {
		t.Fatalf("want a customer request, got %v", reasons)
	}
	start := gapsTick()
	for q, r := range gapsAsk(t, eng, append(append(slices.Clone(gapsHongKong), gapsPoints...), "你们有实体店吗", "人工客服", "运费怎么算")...) {
		reasons[q] = r
	}
	if reasons["运费怎么算"] != "" || reasons["人工客服"] != string(answer.ReasonCustomerRequest) {
		t.Fatalf("unexpected decisions: %v", reasons)
	}
	for _, q := range append(slices.Clone(gapsHongKong), gapsPoints...) {
		if r := reasons[q]; r == "" || r == string(answer.ReasonCustomerRequest) || r == string(answer.ReasonComplaint) {
			t.Fatalf("%q: want a knowledge handoff, got %q", q, r)
		}
	}
	at := gapsClock.Now()
	eng.Events.Record(answer.Event{ID: answer.NewAnswerID(), KB: "shop", Normalized: "会员积分可以抵现吗",
		Decision: answer.DecisionClarify, Confidence: 0.4, CreatedAt: at})
	eng.Events.Record(answer.Event{ID: answer.NewAnswerID(), KB: "other", Normalized: "会员积分可以抵现吗",
		Decision: answer.DecisionClarify, Confidence: 0.4, CreatedAt: at})
	if err := eng.Events.Close(); err != nil { // flushes the log
		t.Fatal(err)
	}
	gapsClock.Advance(time.Millisecond) // "now" is after the last event
	return eng, cur, start, reasons
}

// TestGapsReport: the most asked gap comes first with its count, previous
// count, trend, distinct examples and reasons; clarify events count, and
// handoffs for a person, answered questions and other KBs do not.
func TestGapsReport(t *testing.T) {
	_, cur, start, reasons := gapsScenario(t)
	ctx := context.Background()
	rep, err := cur.Gaps(ctx, GapQuery{KB: "shop", Since: start, Until: start.Add(time.Hour), Similarity: gapsTestSimilarity})
	if err != nil {
		t.Fatal(err)
	}
	// 5 Hong Kong + 2 points + 1 clarify event + 1 lone question.
	if rep.Questions != 9 || rep.PreviousQuestions != 1 || rep.Covered != 0 || rep.Truncated {
		t.Errorf("questions %d (want 9), previous %d (want 1), covered %d, truncated %v",
			rep.Questions, rep.PreviousQuestions, rep.Covered, rep.Truncated)
	}
	if !rep.Since.Equal(start) || !rep.Until.Equal(start.Add(time.Hour)) || rep.KB != "shop" {
		t.Errorf("window %s..%s kb %q", rep.Since, rep.Until, rep.KB)
	}
	if len(rep.Gaps) != 2 {
		t.Fatalf("want 2 gaps (the lone question is under min_count), got %+v", rep.Gaps)
	}
	hk := rep.Gaps[0]
	if !slices.Contains(gapsHongKong, hk.Representative) {
		t.Errorf("representative %q is no Hong Kong question", hk.Representative)
	}
	if hk.Count != 5 || hk.Previous != 1 {
		t.Errorf("Hong Kong: count %d previous %d, want 5 and 1", hk.Count, hk.Previous)
	}
	if diff := gocmp.Diff(Trend{Delta: 4, Ratio: 5}, hk.Trend); diff != "" {
		t.Errorf("trend (-want +got):\n%s", diff)
	}
	wantEx := slices.DeleteFunc(slices.Clone(gapsHongKong), func(q string) bool { return q == hk.Representative })
	slices.Reverse(wantEx) // most recent first
	if diff := gocmp.Diff(wantEx, hk.Examples); diff != "" {
		t.Errorf("examples (-want +got):\n%s", diff)
	}
	wantReasons := map[string]int{}
	for _, q := range gapsHongKong {
		wantReasons[reasons[q]]++
	}
	if diff := gocmp.Diff(wantReasons, hk.Reasons); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if hk.FirstSeen.Before(start) || hk.LastSeen.Before(hk.FirstSeen) {
		t.Errorf("first seen %s, last seen %s, window from %s", hk.FirstSeen, hk.LastSeen, start)
	}
	if nm := hk.NearMiss; nm != nil {
		if !slices.ContainsFunc(gapsArticles(), func(a answer.Article) bool { return a.ID == nm.ArticleID && a.Question == nm.Question }) ||
			nm.Confidence < 0 || nm.Confidence >= 0.7 {
			t.Errorf("near miss %+v: want a KB article under the answer threshold", nm)
		}
	}

	pts := rep.Gaps[1]
	if pts.Count != 3 || pts.Previous != 0 || !pts.Trend.New || pts.Trend.Delta != 3 || pts.Trend.String() != "new" {
		t.Errorf("points: %+v, want count 3, new", pts)
	}
	if pts.Reasons[GapReasonClarify] != 1 || len(pts.Examples) != 2 {
		t.Errorf("points: reasons %v, examples %q; want one clarify and two examples", pts.Reasons, pts.Examples)
	}

	// MinCount 1 shows the lone question; Limit cuts the list.
	rep, err = cur.Gaps(ctx, GapQuery{KB: "shop", Since: start, Until: start.Add(time.Hour), MinCount: 1, Limit: 3, Similarity: gapsTestSimilarity})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Gaps) != 3 || rep.Gaps[2].Representative != "你们有实体店吗" || rep.Gaps[2].Count != 1 {
		t.Errorf("min_count 1: %+v", rep.Gaps)
	}
	rep, err = cur.Gaps(ctx, GapQuery{KB: "shop", Since: start, Until: start.Add(time.Hour), Limit: 1, Similarity: gapsTestSimilarity})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Gaps) != 1 || rep.Gaps[0].Count != 5 || rep.Clusters != 3 {
		t.Errorf("limit 1: %d clusters, gaps %+v", rep.Clusters, rep.Gaps)
	}
}

// TestGapsWindow: questions outside the window are not counted; the
// default window is the last 7 days.
func TestGapsWindow(t *testing.T) {
	_, cur, start, _ := gapsScenario(t)
	ctx := context.Background()
	// The previous period only: the one early Hong Kong question.
	rep, err := cur.Gaps(ctx, GapQuery{KB: "shop", Since: start.Add(-time.Hour), Until: start, MinCount: 1, Similarity: gapsTestSimilarity})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Questions != 1 || rep.PreviousQuestions != 0 || len(rep.Gaps) != 1 || rep.Gaps[0].Representative != "可以寄到香港吗" || !rep.Gaps[0].Trend.New {
		t.Errorf("previous period: %+v", rep)
	}
	// A window in the future holds nothing.
	rep, err = cur.Gaps(ctx, GapQuery{KB: "shop", Since: gapsClock.Now().Add(time.Hour), Until: gapsClock.Now().Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Questions != 0 || len(rep.Gaps) != 0 || rep.Gaps == nil {
		t.Errorf("future window: %+v", rep)
	}
	// Defaults: the last 7 days up to now hold everything.
	before := gapsClock.Now()
	rep, err = cur.Gaps(ctx, GapQuery{KB: "shop", Similarity: gapsTestSimilarity})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Until.Before(before) || rep.Until.Sub(rep.Since) != DefaultGapWindow {
		t.Errorf("default window %s..%s", rep.Since, rep.Until)
	}
	if rep.Questions != 10 || len(rep.Gaps) != 2 || rep.Gaps[0].Count != 6 || rep.Gaps[0].Previous != 0 {
		t.Errorf("default window: %d questions, gaps %+v; want 10 and Hong Kong ×6", rep.Questions, rep.Gaps)
	}
}

// TestGapsCoveredByCandidate: a gap already in the review queue (a pending
// candidate from an agent's reply) is left out; a rejected one is not.
func TestGapsCoveredByCandidate(t *testing.T) {
	_, cur, start, _ := gapsScenario(t)
	ctx := context.Background()
	q := GapQuery{KB: "shop", Since: start, Until: start.Add(time.Hour), Similarity: gapsTestSimilarity}
	rep, err := cur.Gaps(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Gaps) != 2 {
		t.Fatalf("want 2 gaps, got %+v", rep.Gaps)
	}
	hk := rep.Gaps[0].Representative
	ir, err := cur.Intake(ctx, "shop", []intake.Resolved{{Question: hk, Reply: "可以寄到香港，顺丰发货，运费20元，3到5个工作日送达。", Ticket: "t-1"}}, Source{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if ir.NewClusters != 1 || ir.NewArticles != 1 {
		t.Fatalf("intake: %+v, want one new-article candidate", ir)
	}
	rep, err = cur.Gaps(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Covered != 1 || len(rep.Gaps) != 1 || slices.Contains(gapsHongKong, rep.Gaps[0].Representative) || rep.Questions != 9 {
		t.Errorf("after intake: covered %d, questions %d, gaps %+v; want the Hong Kong gap covered", rep.Covered, rep.Questions, rep.Gaps)
	}

	page, err := cur.List(ctx, CandidateQuery{KB: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Candidates) != 1 {
		t.Fatalf("want one candidate, got %+v", page)
	}
	if _, err := cur.Reject(ctx, page.Candidates[0].ID, "not ours", "editor"); err != nil {
		t.Fatal(err)
	}
	rep, err = cur.Gaps(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Covered != 0 || len(rep.Gaps) != 2 || rep.Gaps[0].Representative != hk {
		t.Errorf("after rejection: covered %d, gaps %+v; want the Hong Kong gap back", rep.Covered, rep.Gaps)
	}
}

// TestGapsInvalidQuery: bad windows, limits and KBs are refused.
func TestGapsInvalidQuery(t *testing.T) {
	_, cur := gapsTestEngine(t)
	ctx := context.Background()
	now := time.Now()
	for _, tc := range []struct {
		name string
		q    GapQuery
		want error
	}{
		{"since after until", GapQuery{KB: "shop", Since: now, Until: now.Add(-time.Hour)}, ErrInvalidGapQuery},
		{"empty window", GapQuery{KB: "shop", Since: now, Until: now}, ErrInvalidGapQuery},
		{"limit too large", GapQuery{KB: "shop", Limit: MaxGapLimit + 1}, ErrInvalidGapQuery},
		{"negative limit", GapQuery{KB: "shop", Limit: -1}, ErrInvalidGapQuery},
		{"negative min count", GapQuery{KB: "shop", MinCount: -2}, ErrInvalidGapQuery},
		{"similarity above 1", GapQuery{KB: "shop", Similarity: 1.5}, ErrInvalidGapQuery},
		{"no kb", GapQuery{}, answer.ErrInvalidKB},
		{"unknown kb", GapQuery{KB: "nope"}, answer.ErrUnknownKB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := cur.Gaps(ctx, tc.q); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestGapTrendString(t *testing.T) {
	for _, tc := range []struct {
		t    Trend
		want string
	}{
		{Trend{Delta: 3, New: true}, "new"},
		{Trend{Delta: 4, Ratio: 5}, "+4 (×5.00)"},
		{Trend{Delta: 0, Ratio: 1}, "±0 (×1.00)"},
		{Trend{Delta: -2, Ratio: 0.5}, "-2 (×0.50)"},
	} {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.t, got, tc.want)
		}
	}
}

// BenchmarkGapClustering groups MaxGapQuestions random 512-dim questions:
// the worst case, every question its own gap.
func BenchmarkGapClustering(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	qs := make([]*gapQuestion, MaxGapQuestions)
	for i := range qs {
		v := make([]float32, 512)
		var n float64
		for j := range v {
			v[j] = float32(rng.NormFloat64())
			n += float64(v[j]) * float64(v[j])
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(n))
		}
		qs[i] = &gapQuestion{dense: v}
	}
	for b.Loop() {
		if cl := clusterGapQuestions(qs, DefaultGapSimilarity); len(cl) != len(qs) {
			b.Fatalf("%d clusters", len(cl))
		}
	}
}
