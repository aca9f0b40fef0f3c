package answer

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWilsonBounds(t *testing.T) {
	for _, tt := range []struct {
		k, n   int
		lo, hi float64
	}{
		{0, 0, 0, 1},
		{35, 35, 0.901, 1},
		{34, 35, 0.855, 0.995},
		{90, 100, 0.826, 0.945},
		{0, 10, 0, 0.278},
	} {
		lo, hi := WilsonBounds(tt.k, tt.n)
		if math.Abs(lo-tt.lo) > 0.001 || math.Abs(hi-tt.hi) > 0.001 {
			t.Errorf("WilsonBounds(%d, %d) = %.3f, %.3f; want %.3f, %.3f", tt.k, tt.n, lo, hi, tt.lo, tt.hi)
		}
	}
}

func TestEvidenceStep(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		ev   Evidence
		want Evidence
	}{
		{"34 of 34 accepted: not yet 0.9", Evidence{Accepted: 34}, Evidence{Accepted: 34}},
		{"35 of 35 accepted: graduates", Evidence{Accepted: 35}, Evidence{Accepted: 35, Graduated: true, ChangedAt: now}},
		{"50 of 55: not yet", Evidence{Accepted: 50, Rejected: 5}, Evidence{Accepted: 50, Rejected: 5}},
		{"graduated, 9 live wrong: too little to fall back", Evidence{Graduated: true, LiveWrong: 9}, Evidence{Graduated: true, LiveWrong: 9}},
		{"graduated, 6 of 12 live right: falls back", Evidence{Accepted: 40, Graduated: true, LiveRight: 6, LiveWrong: 6}, Evidence{ChangedAt: now}},
		{"graduated, 18 of 20 live right: stays", Evidence{Graduated: true, LiveRight: 18, LiveWrong: 2}, Evidence{Graduated: true, LiveRight: 18, LiveWrong: 2}},
	}
	for _, tt := range tests {
		ev := tt.ev
		ev.step(0.9, now)
		if diff := cmp.Diff(tt.want, ev); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestDecideSuggests(t *testing.T) {
	arts := decideArticles()
	ship := arts["ship"]
	st := DefaultSettings("shop")
	st.CategoryAutonomy = map[string]Autonomy{"shipping": AutonomySuggest, "refunds": AutonomyGraduated}
	in := DecisionInput{Candidates: cands("ship", "refund"), Articles: arts, Confidence: 0.95, Settings: &st, Now: decideNow}
	in.Candidates[1].Score = 1
	want := Verdict{Decision: DecisionHandoff, Handoff: ReasonSuggest, Reason: Reason(ReasonSuggest), Confidence: 0.95, Category: "shipping", Article: &ship}
	if diff := cmp.Diff(want, Decide(in)); diff != "" {
		t.Errorf("suggest (-want +got):\n%s", diff)
	}
	in.Confidence = 0.3 // a handoff anyway keeps its own reason
	if v := Decide(in); v.Handoff != ReasonLowConfidence || v.Article != nil {
		t.Errorf("low confidence in a suggesting category: %+v", v)
	}
	in.Candidates, in.Confidence = cands("refund"), 0.95 // graduated, no evidence yet: suggests
	if v := Decide(in); v.Handoff != ReasonSuggest {
		t.Errorf("graduated without evidence: %+v", v)
	}
	st.evidence = map[string]Evidence{"refunds": {Accepted: 40, Graduated: true}}
	if v := Decide(in); v.Decision != DecisionAnswer {
		t.Errorf("graduated category: %+v", v)
	}
}

// TestGraduatedAutonomy follows a graduated category through the engine:
// it suggests, agents accept until the lower bound reaches the target, it
// answers, customers find the answers unhelpful, it suggests again.
func TestGraduatedAutonomy(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, "shop", shippingArticles())
	st, _, err := e.Settings.Get(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	st.Autonomy, st.TargetPrecision = AutonomyGraduated, 0.5
	if _, err := e.Settings.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	ask := func() *AskResponse {
		t.Helper()
		resp, err := e.Ask(ctx, AskRequest{KB: "shop", Question: "怎么开发票？"})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for i := range 4 { // 3 of 3 have a Wilson lower bound of 0.44, 4 of 4 0.51 ≥ 0.5
		resp := ask()
		if resp.Decision != DecisionHandoff || resp.Handoff.Reason != ReasonSuggest {
			t.Fatalf("suggestion %d: %s %+v", i, resp.Decision, resp.Handoff)
		}
		h, err := e.Handoffs.Get(ctx, resp.Handoff.ID)
		if err != nil || h.Suggested == nil || h.Suggested.ArticleID != "invoice" {
			t.Fatalf("handoff %+v, %v: want the suggested answer", h.Suggested, err)
		}
		if _, err := e.ResolveHandoff(ctx, h.ID, Resolution{Reply: "同意", Suggestion: SuggestionAccepted}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := e.Autonomy(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	var invoices CategoryAutonomy
	for _, c := range rep.Categories {
		if c.Category == "invoices" {
			invoices = c
		}
	}
	if !invoices.Graduated || invoices.Suggesting || invoices.Accepted != 4 || invoices.Mode != AutonomyGraduated || invoices.AcceptedLower < 0.5 {
		t.Fatalf("after 4 acceptances: %+v", invoices)
	}
	if len(rep.Categories) != 2 || rep.Default != AutonomyGraduated || rep.TargetPrecision != 0.5 {
		t.Errorf("report %+v", rep)
	}
	var answered *AskResponse
	for range 10 {
		answered = ask()
		if answered.Decision != DecisionAnswer {
			t.Fatalf("graduated: %s %+v", answered.Decision, answered.Handoff)
		}
		no := false
		if _, err := e.Feedback(ctx, FeedbackInput{AnswerID: answered.AnswerID, Helpful: &no}, "u1", nil); err != nil {
			t.Fatal(err)
		}
	}
	if resp := ask(); resp.Decision != DecisionHandoff || resp.Handoff.Reason != ReasonSuggest {
		t.Errorf("after 10 unhelpful answers: %s %+v; want suggestions again", resp.Decision, resp.Handoff)
	}
	if n, err := e.OutcomeCount(ctx, "shop"); err != nil || n != 14 {
		t.Errorf("labels: %d, %v; want 4 acceptances and 10 feedbacks", n, err)
	}
}
