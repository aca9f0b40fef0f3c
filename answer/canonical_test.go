package answer

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCanonicalQuestion(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"运费怎么算", "运费怎么算"},
		{"运费怎么算？", "运费怎么算"},
		{"运费怎么算?!", "运费怎么算"},
		{"  运费怎么算 ？ ", "运费怎么算"},
		{"运费 怎么算", "运费怎么算"},
		{"运费　怎么算～", "运费怎么算"}, // ideographic space, full-width tilde
		{"iPhone 运费怎么算", "iPhone 运费怎么算"},
		{"How do I return  an item?", "How do I return an item"},
		{"¿Dónde está mi pedido?", "Dónde está mi pedido"},
		{"满99元包邮吗…", "满99元包邮吗"},
		{"？？", "？？"}, // nothing but punctuation: as it came
	} {
		if got := CanonicalQuestion(tt.in); got != tt.want {
			t.Errorf("CanonicalQuestion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHandoffMessage(t *testing.T) {
	st := DefaultSettings("shop")
	custom := DefaultSettings("shop")
	custom.HandoffMessages = map[string]string{"zh-TW": "稍等，專人馬上回覆您", "en": "One moment please."}
	for _, tt := range []struct {
		st               *Settings
		locale, question string
		want             string
	}{
		{&st, "", "运费怎么算", DefaultHandoffMessages["zh-hans"]},
		{&st, "", "運費怎麼算", DefaultHandoffMessages["zh-hant"]},
		{&st, "zh-TW", "运费", DefaultHandoffMessages["zh-hant"]},
		{&st, "", "where is my order", DefaultHandoffMessages["en"]},
		{&st, "", "12345", DefaultHandoffMessages["en"]},
		{&custom, "zh-tw", "运费", "稍等，專人馬上回覆您"},
		{&custom, "en-GB", "运费", "One moment please."},
		{&custom, "", "运费怎么算", DefaultHandoffMessages["zh-hans"]},
	} {
		if got := tt.st.HandoffMessage(tt.locale, tt.question); got != tt.want {
			t.Errorf("HandoffMessage(%q, %q) = %q, want %q", tt.locale, tt.question, got, tt.want)
		}
	}
	bad := DefaultSettings("shop")
	bad.HandoffMessages = map[string]string{"en": "  "}
	if err := bad.Validate(); err == nil {
		t.Error("an empty handoff message passed validation")
	}
}

// TestAskPunctuationNeverChangesTheDecision asks one curated question with
// and without final punctuation, in full and half width and with spaces:
// each is an exact match, answered with a confidence that says so.
func TestAskPunctuationNeverChangesTheDecision(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, "shop", shippingArticles())
	type got struct {
		Decision Decision
		Reason   Reason
		Article  string
	}
	want := got{DecisionAnswer, ReasonExactMatch, "invoice"}
	for _, q := range []string{"怎么开发票", "怎么开发票？", "怎么开发票?", "怎么 开发票 ？", "  怎么开发票！！"} {
		resp, err := e.Ask(ctx, AskRequest{KB: "shop", Question: q})
		if err != nil {
			t.Fatal(err)
		}
		g := got{Decision: resp.Decision, Reason: resp.Reason}
		if resp.Answer != nil {
			g.Article = resp.Answer.ArticleID
		}
		if diff := cmp.Diff(want, g); diff != "" {
			t.Errorf("%q (-want +got):\n%s", q, diff)
		}
		if resp.Confidence < ExactMatchConfidence {
			t.Errorf("%q: confidence %.3f, want at least %.2f", q, resp.Confidence, ExactMatchConfidence)
		}
	}
	resp, err := e.Ask(ctx, AskRequest{KB: "shop", Question: "你们几点下班", Locale: "zh-CN"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Decision != DecisionHandoff || resp.Handoff.Message != DefaultHandoffMessages["zh-hans"] || resp.Reason != Reason(resp.Handoff.Reason) {
		t.Errorf("unanswerable question: %s, reason %q, handoff %+v", resp.Decision, resp.Reason, resp.Handoff)
	}
}
