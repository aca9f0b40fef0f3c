package answer

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// decideNow is the clock of the decision tests.
var decideNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// decideArticles are the articles the decision tests' candidates point at.
func decideArticles() map[string]Article {
	past := decideNow.Add(-24 * time.Hour)
	return map[string]Article{
		"ship":   {ID: "ship", Question: "运费怎么算", Answer: "满99包邮", Category: "shipping"},
		"ship2":  {ID: "ship2", Question: "偏远地区运费", Answer: "另计", Category: "shipping"},
		"ship3":  {ID: "ship3", Question: "顺丰运费", Answer: "加10元", Category: "shipping"},
		"refund": {ID: "refund", Question: "怎么退款", Answer: "在订单页申请", Category: "refunds"},
		"promo":  {ID: "promo", Question: "双十一活动", Answer: "已结束", Category: "promotions", ValidTo: &past},
	}
}

func cands(ids ...string) []Candidate {
	arts := decideArticles()
	out := make([]Candidate, len(ids))
	for i, id := range ids {
		// scores 2.0, 1.9, 1.8…: every runner-up is close
		out[i] = Candidate{ArticleID: id, Question: arts[id].Question, Category: arts[id].Category, Score: 2 - 0.1*float64(i)}
	}
	return out
}

func TestDecide(t *testing.T) {
	arts := decideArticles()
	ship, refund := arts["ship"], arts["refund"]
	st := DefaultSettings("shop") // answer 0.85, clarify 0.95, out_of_scope 0.15, ratio 0.8
	strict := DefaultSettings("shop")
	strict.Categories = map[string]Thresholds{"refunds": {Answer: 0.97, Clarify: 0.95, OutOfScope: 0.15, ClarifyRatio: 0.8}}
	far := cands("ship", "refund")
	far[1].Score = 1 // runner-up not close: no clarify
	tests := []struct {
		name string
		in   DecisionInput
		want Verdict
	}{{
		name: "answer: confidence at the threshold",
		in:   DecisionInput{Candidates: far, Confidence: 0.85, Top3: 0.99, Settings: &st},
		want: Verdict{Decision: DecisionAnswer, Reason: ReasonConfident, Confidence: 0.85, Category: "shipping", Article: &ship},
	}, {
		name: "answer: an exact match of one of its questions below the threshold",
		in:   DecisionInput{Candidates: far, Confidence: 0.4, Features: Features{"exact": 1}, Settings: &st},
		want: Verdict{Decision: DecisionAnswer, Reason: ReasonExactMatch, Confidence: ExactMatchConfidence, Category: "shipping", Article: &ship},
	}, {
		name: "no exact match when the runner-up has the same question",
		in: DecisionInput{Candidates: func() []Candidate {
			c := cands("ship", "ship2")
			c[1].Question = "运费怎么算？"
			return c
		}(), Confidence: 0.4, Top3: 0.5, Features: Features{"exact": 1}, Settings: &st},
		want: Verdict{Decision: DecisionHandoff, Handoff: ReasonLowConfidence, Reason: Reason(ReasonLowConfidence), Confidence: 0.4, Category: "shipping"},
	}, {
		name: "clarify: three close candidates",
		in:   DecisionInput{Candidates: cands("ship", "ship2", "ship3", "refund"), Confidence: 0.6, Top3: 0.96, Settings: &st},
		want: Verdict{Decision: DecisionClarify, Reason: ReasonCloseCandidates, Confidence: 0.6, Category: "shipping", Clarify: []ClarifyOption{
			{ArticleID: "ship", Question: "运费怎么算"}, {ArticleID: "ship2", Question: "偏远地区运费"}, {ArticleID: "ship3", Question: "顺丰运费"}}},
	}, {
		name: "clarify: two close candidates, the third too far",
		in: DecisionInput{Candidates: func() []Candidate {
			c := cands("ship", "ship2", "ship3")
			c[2].Score = 1
			return c
		}(), Confidence: 0.6, Top3: 0.96, Settings: &st},
		want: Verdict{Decision: DecisionClarify, Reason: ReasonCloseCandidates, Confidence: 0.6, Category: "shipping", Clarify: []ClarifyOption{
			{ArticleID: "ship", Question: "运费怎么算"}, {ArticleID: "ship2", Question: "偏远地区运费"}}},
	}, {
		name: "clarify: an expired runner-up is not offered, leaving one: low confidence",
		in:   DecisionInput{Candidates: cands("ship", "promo"), Confidence: 0.6, Top3: 0.96, Settings: &st},
		want: Verdict{Decision: DecisionHandoff, Handoff: ReasonLowConfidence, Reason: Reason(ReasonLowConfidence), Confidence: 0.6, Category: "shipping"},
	}, {
		name: "ambiguous: a clarify that did not help",
		in: DecisionInput{Candidates: cands("ship", "ship2", "ship3"), Confidence: 0.6, Top3: 0.96, Settings: &st,
			Conversation: ConversationState{LastBotClarified: true}},
		want: Verdict{Decision: DecisionHandoff, Handoff: ReasonAmbiguous, Reason: Reason(ReasonAmbiguous), Confidence: 0.6, Category: "shipping"},
	}, {
		name: "no clarify when the right article is probably not among the top three",
		in:   DecisionInput{Candidates: cands("ship", "ship2", "ship3"), Confidence: 0.6, Top3: 0.9, Settings: &st},
		want: Verdict{Decision: DecisionHandoff, Handoff: ReasonLowConfidence, Reason: Reason(ReasonLowConfidence), Confidence: 0.6, Category: "shipping"},
	}, {
		name: "expired answer",
		in:   DecisionInput{Candidates: cands("promo"), Confidence: 0.95, Settings: &st},
		want: Verdict{Decision: DecisionHandoff, Handoff: ReasonExpiredAnswer, Reason: Reason(ReasonExpiredAnswer), Confidence: 0.95, Category: "promotions"},
	}, {
		name: "expired article below the out-of-scope threshold: out of scope",
		in:   DecisionInput{Candidates: cands("promo"), Confidence: 0.1, Settings: &st},
		want: Verdict{Decision: DecisionHandoff, Handoff: ReasonOutOfScope, Reason: Reason(ReasonOutOfScope), Confidence: 0.1, Category: "promotions"},
	}, {
		name: "out of scope: below the out-of-scope threshold",
		in:   DecisionInput{Candidates: far, Confidence: 0.149, Settings: &st},
		want: Verdict{Decision: DecisionHandoff, Handoff: ReasonOutOfScope, Reason: Reason(ReasonOutOfScope), Confidence: 0.149, Category: "shipping"},
	}, {
		name: "out of scope: no candidate",
		in:   DecisionInput{Settings: &st},
		want: Verdict{Decision: DecisionHandoff, Handoff: ReasonOutOfScope, Reason: Reason(ReasonOutOfScope)},
	}, {
		name: "low confidence: between the out-of-scope and answer thresholds",
		in:   DecisionInput{Candidates: far, Confidence: 0.5, Settings: &st},
		want: Verdict{Decision: DecisionHandoff, Handoff: ReasonLowConfidence, Reason: Reason(ReasonLowConfidence), Confidence: 0.5, Category: "shipping"},
	}, {
		name: "customer request beats a confident answer",
		in:   DecisionInput{Intent: Intent{WantsHuman: true}, Candidates: far, Confidence: 0.99, Settings: &st},
		want: Verdict{Decision: DecisionHandoff, Handoff: ReasonCustomerRequest, Reason: Reason(ReasonCustomerRequest), Confidence: 0.99, Category: "shipping"},
	}, {
		name: "complaint beats a confident answer",
		in:   DecisionInput{Intent: Intent{Complaint: true, Sentiment: -0.9}, Candidates: far, Confidence: 0.99, Settings: &st},
		want: Verdict{Decision: DecisionHandoff, Handoff: ReasonComplaint, Reason: Reason(ReasonComplaint), Confidence: 0.99, Category: "shipping"},
	}, {
		name: "per-category threshold: refunds need 0.97",
		in:   DecisionInput{Candidates: cands("refund"), Confidence: 0.9, Settings: &strict},
		want: Verdict{Decision: DecisionHandoff, Handoff: ReasonLowConfidence, Reason: Reason(ReasonLowConfidence), Confidence: 0.9, Category: "refunds"},
	}, {
		name: "per-category threshold: refunds above 0.97",
		in:   DecisionInput{Candidates: cands("refund"), Confidence: 0.98, Settings: &strict},
		want: Verdict{Decision: DecisionAnswer, Reason: ReasonConfident, Confidence: 0.98, Category: "refunds", Article: &refund},
	}, {
		name: "per-category threshold: other categories keep the KB's",
		in:   DecisionInput{Candidates: cands("ship"), Confidence: 0.9, Settings: &strict},
		want: Verdict{Decision: DecisionAnswer, Reason: ReasonConfident, Confidence: 0.9, Category: "shipping", Article: &ship},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Articles, tt.in.Now = arts, decideNow
			if diff := cmp.Diff(tt.want, Decide(tt.in)); diff != "" {
				t.Errorf("Decide (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStateOf(t *testing.T) {
	tests := []struct {
		turns []Turn
		want  ConversationState
	}{
		{nil, ConversationState{}},
		{[]Turn{{Role: RoleCustomer, Text: "运费"}, {Role: RoleBot, Decision: DecisionClarify}}, ConversationState{LastBotClarified: true}},
		{[]Turn{{Role: RoleBot, Decision: DecisionClarify}, {Role: RoleCustomer, Text: "顺丰"}}, ConversationState{LastBotClarified: true}},
		{[]Turn{{Role: RoleBot, Decision: DecisionClarify}, {Role: RoleBot, Decision: DecisionAnswer}}, ConversationState{}},
	}
	for i, tt := range tests {
		if diff := cmp.Diff(tt.want, StateOf(tt.turns)); diff != "" {
			t.Errorf("%d: StateOf (-want +got):\n%s", i, diff)
		}
	}
}
