package answer

import (
	"context"
	"math"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

// outcomesEngine is an engine over a small KB.
func outcomesEngine(t *testing.T) *Engine {
	t.Helper()
	ctx := context.Background()
	k, _ := newTestKB(t)
	e := openEngine(t, k, Options{})
	arts := []Article{
		{ID: "ship-fee", Question: "运费怎么算", Variants: []string{"邮费多少钱"}, Answer: "满99元包邮。", Category: "shipping"},
		{ID: "invoice", Question: "怎么开发票", Variants: []string{"发票在哪里申请"}, Answer: "在订单详情页申请。", Category: "invoices"},
		{ID: "return-fee", Question: "退货运费谁出", Answer: "质量问题我们承担。", Category: "returns"},
	}
	if err := e.ImportArticles(ctx, "shop", arts, nil); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestPreviewHasNoSideEffects: a preview decides as Ask does, and leaves
// no handoff, answer log entry or conversation behind.
func TestPreviewHasNoSideEffects(t *testing.T) {
	ctx := context.Background()
	e := outcomesEngine(t)
	for _, q := range []string{"运费怎么算", "转人工", "你们的股票代码是多少"} {
		req := AskRequest{KB: "shop", Question: q, Conversation: &Conversation{ID: "c-preview"}}
		got, tr, err := e.Preview(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if tr == nil || got.Decision == "" {
			t.Fatalf("%s: preview %+v, trace %v", q, got, tr)
		}
		if got.Handoff != nil && (got.Handoff.ID != "" || got.Handoff.Reason == "") {
			t.Errorf("%s: preview handoff %+v, want a reason and no id", q, got.Handoff)
		}
	}
	if err := e.Events.Close(); err != nil { // flush whatever was logged
		t.Fatal(err)
	}
	for _, col := range []string{HandoffsCollection, EventsCollection, ConversationsCollection} {
		if n := countPoints(t, e.Library.store, col); n != 0 {
			t.Errorf("%s holds %d points after previews, want 0", col, n)
		}
	}
	resp, _, err := e.Preview(ctx, AskRequest{KB: "shop", Question: "转人工"})
	if err != nil || resp.Decision != DecisionHandoff || resp.Handoff.Reason != ReasonCustomerRequest {
		t.Errorf("转人工: %+v, %v; want a customer_request handoff", resp, err)
	}
}

func TestContributions(t *testing.T) {
	cal := &Calibration{Features: []string{"a", "b"}, Weights: []float64{2, -1}, Mean: []float64{0.5, 0}, Std: []float64{0.5, 1}, Bias: 0.3, FeedbackWeight: 0.5}
	f := Features{"a": 1, "b": 0.25, "feedback": -1}
	got := cal.Contributions(f)
	want := []Contribution{{"a", 1, 2}, {"feedback", -1, -0.5}, {"b", 0.25, -0.25}}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	sum := cal.Bias
	for _, c := range got {
		sum += c.LogOdds
	}
	if p := cal.Probability(f); math.Abs(p-1/(1+math.Exp(-sum))) > 1e-12 {
		t.Errorf("bias + contributions give %v, Probability %v", 1/(1+math.Exp(-sum)), p)
	}
}

func TestOutcomesCurveAndInsights(t *testing.T) {
	ctx := context.Background()
	e := outcomesEngine(t)
	ask := func(q string) *AskResponse {
		t.Helper()
		r, err := e.Ask(ctx, AskRequest{KB: "shop", Question: q})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ask("运费怎么算")
	var ids []string
	for _, q := range []string{"转人工 邮费多少钱", "转人工 发票", "转人工 股票代码", "转人工 随便问问"} {
		ids = append(ids, ask(q).Handoff.ID)
	}
	for i, r := range []Resolution{
		{Reply: "满99元包邮。", ArticleID: "ship-fee"},
		{Reply: "在订单详情页申请。", ArticleID: "invoice"},
		{Reply: "我们没有上市。", NoAnswer: true},
		{Reply: "好的"}, // not labeled
	} {
		if _, err := e.ResolveHandoff(ctx, ids[i], r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.LabeledOutcomes(ctx, "shop", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"转人工 邮费多少钱": "ship-fee", "转人工 发票": "invoice", "转人工 股票代码": ""}
	gotMap := map[string]string{}
	for _, q := range got {
		gotMap[q.Query] = q.Expect
	}
	if diff := gocmp.Diff(want, gotMap); diff != "" {
		t.Errorf("labeled outcomes (-want +got):\n%s", diff)
	}
	if few, _ := e.LabeledOutcomes(ctx, "shop", 2); len(few) != 2 {
		t.Errorf("limit 2: %d outcomes", len(few))
	}

	curve, err := e.CalibrationCurve(ctx, "shop", got, []float64{0, 0.5, 1.01})
	if err != nil {
		t.Fatal(err)
	}
	if curve.Examples != 3 || curve.InScope != 2 || len(curve.Reliability) != 10 || len(curve.Sweep) != 3 {
		t.Fatalf("curve %+v", curve)
	}
	n := 0
	for _, b := range curve.Reliability {
		n += b.Count
	}
	// Threshold 0 answers everything; above 1 answers nothing and hands
	// every out-of-scope question off.
	if n != 3 || curve.Sweep[0].Answered != 1 || curve.Sweep[2].Answered != 0 || curve.Sweep[2].OOSHandoff != 1 {
		t.Errorf("reliability total %d, sweep %+v", n, curve.Sweep)
	}
	if len(curve.Categories) == 0 {
		t.Errorf("no category curves: %+v", curve)
	}

	if err := e.Events.Close(); err != nil {
		t.Fatal(err)
	}
	in, err := e.Insights(ctx, "shop", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, d := range in.Days {
		total += d.Answered + d.Clarified + d.HandedOff
	}
	if in.Questions != 5 || total != 5 || len(in.Reasons) != 1 || in.Reasons[0] != (ReasonCount{ReasonCustomerRequest, 4}) {
		t.Errorf("insights: %+v", in)
	}
}
