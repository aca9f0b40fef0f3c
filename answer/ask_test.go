package answer

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// newTestEngine is an Engine over a fresh store with arts imported into kb.
func newTestEngine(t *testing.T, kb string, arts []Article) *Engine {
	t.Helper()
	k, _ := newTestKB(t)
	e := openEngine(t, k, Options{})
	if err := e.ImportArticles(context.Background(), kb, arts, nil); err != nil {
		t.Fatal(err)
	}
	return e
}

// openEngine opens an engine over k and closes it when the test ends.
func openEngine(t *testing.T, k *Library, opts Options) *Engine {
	t.Helper()
	e, err := NewEngine(context.Background(), k, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// shippingArticles are three close articles about shipping fees and one apart.
func shippingArticles() []Article {
	return []Article{
		{ID: "fee", Question: "运费怎么算？", Answer: "满99元包邮，不满收8元。", Category: "shipping"},
		{ID: "fee-remote", Question: "偏远地区运费怎么算？", Answer: "新疆西藏运费另计20元。", Category: "shipping"},
		{ID: "fee-sf", Question: "顺丰运费怎么算？", Answer: "指定顺丰加收10元。", Category: "shipping"},
		{ID: "invoice", Question: "怎么开发票？", Answer: "在订单详情申请电子发票。", Category: "invoices"},
	}
}

// TestAskClarifyThenAmbiguous follows a conversation through the engine:
// a vague question gets a clarify with the close candidates; a second
// vague question after it is handed off as ambiguous; the clarify choice
// sent back is answered.
func TestAskClarifyThenAmbiguous(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, "shop", shippingArticles())
	st, _, err := e.Settings.Get(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	// Never confident enough to answer outright, always willing to clarify
	// between candidates within half the top score.
	st.Thresholds = Thresholds{Answer: 0.9999, Clarify: 0.0001, OutOfScope: 0.0001, ClarifyRatio: 0.5}
	if _, err := e.Settings.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	ask := func(q string) *AskResponse {
		t.Helper()
		resp, err := e.Ask(ctx, AskRequest{KB: "shop", Question: q, Conversation: &Conversation{ID: "c1"}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	first := ask("运费")
	if first.Decision != DecisionClarify {
		t.Fatalf("first question: decision %s (%+v), want clarify", first.Decision, first.Handoff)
	}
	got := map[string]bool{}
	for _, o := range first.Clarify {
		got[o.ArticleID] = true
	}
	want := map[string]bool{"fee": true, "fee-remote": true, "fee-sf": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("clarify options (-want +got):\n%s", diff)
	}
	if first.ClarifyPrompt != clarifyPrompts["zh"] {
		t.Errorf("clarify prompt %q", first.ClarifyPrompt)
	}

	second := ask("运费多少")
	if second.Decision != DecisionHandoff || second.Handoff.Reason != ReasonAmbiguous {
		t.Fatalf("after a clarify: %s %+v, want handoff ambiguous", second.Decision, second.Handoff)
	}
	h, err := e.Handoffs.Get(ctx, second.Handoff.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Turns) != 2 || h.Turns[1].Decision != DecisionClarify {
		t.Errorf("handoff turns = %+v, want the question and the clarify", h.Turns)
	}

	third := ask(first.Clarify[1].Question)
	if third.Decision != DecisionAnswer || third.Answer.ArticleID != first.Clarify[1].ArticleID {
		t.Errorf("clarify choice sent back: %s %+v, want the answer of %s", third.Decision, third.Answer, first.Clarify[1].ArticleID)
	}
}
