package console

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
)

// TestSuggestionVerdict: the verdict follows from the reply and source
// sent, compared with the stored suggestion; the reject flag only tells
// an edit from a rejection where the form cannot, and a contradiction
// is an input error.
func TestSuggestionVerdict(t *testing.T) {
	s := &answer.AnswerBody{ArticleID: "ship-time", Question: "快递几天能到？", Answer: "下单后 48 小时内发货。\n大陆一般 2-4 天送达。", Version: 1}
	same := "\r\n下单后 48 小时内发货。\r\n大陆一般 2-4 天送达。 " // as a browser posts the textarea
	type got struct {
		Verdict string
		Err     string
	}
	for _, tc := range []struct {
		name string
		f    resolveForm
		want got
	}{
		{"sent as suggested", resolveForm{Reply: same, Source: "ship-time"}, got{Verdict: answer.SuggestionAccepted}},
		{"unchanged, no source said", resolveForm{Reply: s.Answer}, got{Verdict: answer.SuggestionAccepted}},
		{"edited, its article kept", resolveForm{Reply: s.Answer + "今天会有更新。", Source: "ship-time"}, got{Verdict: answer.SuggestionEdited}},
		{"edited, no source said", resolveForm{Reply: "您好，" + s.Answer}, got{Verdict: answer.SuggestionEdited}},
		{"another article", resolveForm{Reply: "订单满 99 元包邮。", Source: "ship-fee"}, got{Verdict: answer.SuggestionRejected}},
		{"its text, another article", resolveForm{Reply: s.Answer, Source: "ship-fee"}, got{Verdict: answer.SuggestionRejected}},
		{"the KB had no answer", resolveForm{Reply: "我们帮您查一下。", Source: sourceNone}, got{Verdict: answer.SuggestionRejected}},
		{"rejected, another article", resolveForm{Reply: "订单满 99 元包邮。", Source: "ship-fee", Rejected: true}, got{Verdict: answer.SuggestionRejected}},
		{"rejected, no answer", resolveForm{Reply: "我们帮您查一下。", Source: sourceNone, Rejected: true}, got{Verdict: answer.SuggestionRejected}},
		{"rejected, no source said", resolveForm{Reply: "我们帮您查一下。", Rejected: true}, got{Verdict: answer.SuggestionRejected}},
		{"rejected yet its article", resolveForm{Reply: "我们帮您查一下。", Source: "ship-time", Rejected: true}, got{Err: "err.suggestion.rejected.article"}},
		{"rejected yet sent unchanged", resolveForm{Reply: same, Rejected: true}, got{Err: "err.suggestion.rejected.same"}},
	} {
		v, err := suggestionVerdict(s, tc.f)
		g := got{Verdict: v}
		var ie *inputError
		if errors.As(err, &ie) {
			g.Err = ie.key
		} else if err != nil {
			g.Err = err.Error()
		}
		if diff := cmp.Diff(tc.want, g); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestResolution: the form's source becomes the article or "no answer";
// an accepted suggestion is sent exactly as suggested; a handoff without
// a suggestion (or no longer open) gets no verdict.
func TestResolution(t *testing.T) {
	s := &answer.AnswerBody{ArticleID: "ship-time", Answer: "2-4 天送达。"}
	open := answer.Handoff{Status: answer.HandoffOpen, Suggested: s}
	yes, no := true, false
	for _, tc := range []struct {
		name string
		ho   answer.Handoff
		f    resolveForm
		want answer.Resolution
	}{
		{"accepted", open, resolveForm{Reply: "2-4 天送达。\r\n", Source: "ship-time", Reusable: true},
			answer.Resolution{Reply: s.Answer, ArticleID: "ship-time", Suggestion: answer.SuggestionAccepted, Reusable: &yes}},
		{"edited", open, resolveForm{Reply: "2-3 天送达。", Source: "ship-time"},
			answer.Resolution{Reply: "2-3 天送达。", ArticleID: "ship-time", Suggestion: answer.SuggestionEdited, Reusable: &no}},
		{"no answer", open, resolveForm{Reply: "帮您查。", Source: sourceNone},
			answer.Resolution{Reply: "帮您查。", NoAnswer: true, Suggestion: answer.SuggestionRejected, Reusable: &no}},
		{"no suggestion", answer.Handoff{Status: answer.HandoffOpen}, resolveForm{Reply: "帮您查。", Source: "ship-fee", Rejected: true},
			answer.Resolution{Reply: "帮您查。", ArticleID: "ship-fee", Reusable: &no}},
		{"resolved already", answer.Handoff{Status: answer.HandoffResolved, Suggested: s}, resolveForm{Reply: "x"},
			answer.Resolution{Reply: "x", Reusable: &no}},
	} {
		res, err := resolution(tc.ho, tc.f)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, res); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestRejectSuggestion: after a rejection the reply is empty, no source
// is chosen, and the suggested article is offered neither as a source
// nor as a search hit; a handoff without a suggestion, or resolved, is
// left as it is.
func TestRejectSuggestion(t *testing.T) {
	s := &answer.AnswerBody{ArticleID: "ship-time", Answer: "2-4 天送达。"}
	hit := func(id string) answer.SearchHit { return answer.SearchHit{Candidate: answer.Candidate{ArticleID: id}} }
	page := func(ho answer.Handoff) handoffView {
		return handoffView{H: ho, Reply: s.Answer, Source: s.ArticleID,
			Sources:     []sourceOption{{"", "unsaid"}, {"ship-time", "suggested"}, {"ship-fee", "fee"}, {sourceNone, "none"}},
			Suggestions: []answer.SearchHit{hit("ship-time"), hit("ship-fee")}}
	}
	type state struct {
		Rejected      bool
		Reply, Source string
		Sources       []string
		Hits          []string
	}
	stateOf := func(hv handoffView) state {
		st := state{Rejected: hv.Rejected, Reply: hv.Reply, Source: hv.Source}
		for _, o := range hv.Sources {
			st.Sources = append(st.Sources, o.Value)
		}
		for _, h := range hv.Suggestions {
			st.Hits = append(st.Hits, h.ArticleID)
		}
		return st
	}
	untouched := state{Reply: s.Answer, Source: s.ArticleID, Sources: []string{"", "ship-time", "ship-fee", sourceNone}, Hits: []string{"ship-time", "ship-fee"}}
	for _, tc := range []struct {
		name string
		ho   answer.Handoff
		want state
	}{
		{"open with a suggestion", answer.Handoff{Status: answer.HandoffOpen, Suggested: s},
			state{Rejected: true, Sources: []string{"", "ship-fee", sourceNone}, Hits: []string{"ship-fee"}}},
		{"no suggestion", answer.Handoff{Status: answer.HandoffOpen}, untouched},
		{"resolved", answer.Handoff{Status: answer.HandoffResolved, Suggested: s}, untouched},
	} {
		hv := page(tc.ho)
		hv.rejectSuggestion()
		if diff := cmp.Diff(tc.want, stateOf(hv)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
