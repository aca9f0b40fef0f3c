package answer

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRecordOutcome(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, "shop", shippingArticles())
	type got struct {
		Recorded, TopRight bool
		Weight             float64
	}
	tests := []struct {
		name string
		o    Outcome
		want got
		err  error
	}{
		{"an agent names the article", Outcome{Kind: OutcomeResolved, Question: "发票怎么开", ArticleID: "invoice", Key: "h1"}, got{true, true, 1}, nil},
		{"an agent names another article than the top one", Outcome{Kind: OutcomeResolved, Question: "发票怎么开", ArticleID: "fee", Key: "h2"}, got{true, false, 1}, nil},
		{"the KB had no answer", Outcome{Kind: OutcomeResolved, Question: "你们几点下班", NoAnswer: true}, got{true, false, 1}, nil},
		{"not helpful, and the article is the top one", Outcome{Kind: OutcomeFeedback, Question: "发票怎么开", NotArticleID: "invoice", Customer: "u1"}, got{true, false, CustomerLabelWeight}, nil},
		{"not helpful, but another article is the top one now", Outcome{Kind: OutcomeFeedback, Question: "发票怎么开", NotArticleID: "fee", Customer: "u1"}, got{}, nil},
		{"a clarify pick", Outcome{Kind: OutcomeClarify, Question: "运费", ArticleID: "fee", Customer: "u2"}, got{true, true, CustomerLabelWeight}, nil},
		{"no label", Outcome{Kind: OutcomeResolved, Question: "运费"}, got{}, ErrInvalidOutcome},
		{"two labels", Outcome{Kind: OutcomeResolved, Question: "运费", ArticleID: "fee", NoAnswer: true}, got{}, ErrInvalidOutcome},
		{"unknown kind", Outcome{Kind: "guess", Question: "运费", ArticleID: "fee"}, got{}, ErrInvalidOutcome},
		{"unknown article", Outcome{Kind: OutcomeResolved, Question: "运费", ArticleID: "nope"}, got{}, ErrArticleNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.KB = "shop"
			res, err := e.RecordOutcome(ctx, tt.o)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got{res.Recorded, res.TopRight, res.Weight}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	n, err := e.OutcomeCount(ctx, "shop")
	if err != nil || n != 5 {
		t.Errorf("OutcomeCount = %d, %v; want 5", n, err)
	}
	// the same key replaces the label
	if _, err := e.RecordOutcome(ctx, Outcome{KB: "shop", Kind: OutcomeResolved, Question: "发票怎么开", ArticleID: "invoice", Key: "h1"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.OutcomeCount(ctx, "shop"); n != 5 {
		t.Errorf("after a label with a key seen before: %d labels, want 5", n)
	}
}

// TestOutcomeLimits: one customer cannot give more than
// MaxLabelsPerCustomer labels, and a KB keeps at most maxOutcomes.
func TestOutcomeLimits(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, "shop", shippingArticles())
	e.examples.maxOutcomes = 30
	kept := 0
	for i := range MaxLabelsPerCustomer + 5 {
		res, err := e.RecordOutcome(ctx, Outcome{KB: "shop", Kind: OutcomeFeedback, Question: fmt.Sprintf("发票怎么开%d", i), NotArticleID: "invoice", Customer: "troll"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Recorded {
			kept++
		}
	}
	if kept != MaxLabelsPerCustomer {
		t.Errorf("one customer's labels kept: %d, want %d", kept, MaxLabelsPerCustomer)
	}
	for i := range 20 {
		if _, err := e.RecordOutcome(ctx, Outcome{KB: "shop", Kind: OutcomeResolved, Question: fmt.Sprintf("运费%d", i), ArticleID: "fee"}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := e.OutcomeCount(ctx, "shop"); err != nil || n != 30 {
		t.Errorf("labels kept = %d, %v; want the newest 30", n, err)
	}
}

// TestResolveHandoffTeaches: an agent's resolution naming the article is
// a label, and enough labels refit the calibration.
func TestResolveHandoffTeaches(t *testing.T) {
	ctx := context.Background()
	arts := sampleArticles(t)[:100]
	e := newTestEngine(t, "shop", arts)
	if err := e.WaitCalibrations(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err := e.Ask(ctx, AskRequest{KB: "shop", Question: "转人工"})
	if err != nil || resp.Handoff == nil {
		t.Fatalf("ask: %+v, %v", resp, err)
	}
	if _, err := e.ResolveHandoff(ctx, resp.Handoff.ID, Resolution{Reply: "好的", ArticleID: "nope"}); !errors.Is(err, ErrInvalidHandoff) {
		t.Errorf("resolving with an unknown article: %v, want ErrInvalidHandoff", err)
	}
	h, err := e.ResolveHandoff(ctx, resp.Handoff.ID, Resolution{Reply: "好的", NoAnswer: true})
	if err != nil || h.Resolution == nil || !h.Resolution.NoAnswer {
		t.Fatalf("resolve: %+v, %v", h.Resolution, err)
	}
	if n, err := e.OutcomeCount(ctx, "shop"); err != nil || n != 1 {
		t.Errorf("labels after a resolution with no_answer: %d, %v", n, err)
	}
	all, err := ReadQueriesFile("samplekb/queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{"": true}
	for _, a := range arts {
		if a.Status == "" || a.Status == StatusPublished {
			ids[a.ID] = true
		}
	}
	var queries []LabeledQuery
	for _, q := range all {
		if ids[q.Expect] && len(queries) < 80 {
			queries = append(queries, q)
		}
	}
	rep, err := e.Replay(ctx, "shop", queries)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Replayed != 80 || rep.Answered+rep.Clarified+rep.Handoffs != 80 || rep.Stored < 10 {
		t.Errorf("replay: %+v", rep)
	}
	labels := 0
	for _, n := range rep.Labels {
		labels += n
	}
	if labels != rep.Handoffs+rep.Clarified {
		t.Errorf("replay labels %v for %d handoffs and %d clarifies", rep.Labels, rep.Handoffs, rep.Clarified)
	}
	st, _, err := e.Settings.Get(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if st.CalibrationOrDefault().Source != SourceOutcomes || st.SelfCalibration.Outcomes != rep.Stored {
		t.Errorf("after the replay: calibration %q, report %+v", st.CalibrationOrDefault().Source, st.SelfCalibration)
	}
}

// TestClarifyPickIsLearned: a customer who sends a clarify option back
// gives a label for the question that got the clarify.
func TestClarifyPickIsLearned(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, "shop", shippingArticles())
	turns := []Turn{{Role: RoleCustomer, Text: "运费"}, {Role: RoleBot, Decision: DecisionClarify, Text: "您是想问以下哪个问题？ 运费怎么算？ / 偏远地区运费怎么算？"}}
	resp, err := e.Ask(ctx, AskRequest{KB: "shop", Question: "偏远地区运费怎么算？", Conversation: &Conversation{Turns: turns}})
	if err != nil || resp.Reason != ReasonExactMatch {
		t.Fatalf("ask: %+v, %v", resp, err)
	}
	if err := e.WaitCalibrations(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := e.OutcomeCount(ctx, "shop"); err != nil || n != 1 {
		t.Errorf("labels after a clarify pick: %d, %v; want 1", n, err)
	}
}
