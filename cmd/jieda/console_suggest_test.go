package main

import (
	"encoding/json"
	"html"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/index"
)

// suggestingShop starts a server with the console KB "shop" in suggest
// mode and returns it with an agent, an editor and a customer key.
func suggestingShop(t *testing.T) (s *testServer, agent, editor, customer string) {
	t.Helper()
	s = startServer(t, nil)
	importConsoleKB(t, s, "shop")
	agent, _ = s.newKey(t, apikey.RoleAgent, "shop")
	editor, _ = s.newKey(t, apikey.RoleEditor, "shop")
	customer, _ = s.newKey(t, apikey.RoleCustomer, "shop")
	setAutonomy(t, s, editor, "shop", answer.AutonomySuggest)
	return s, agent, editor, customer
}

// setAutonomy sets kb's autonomy through the API, as an operator does.
func setAutonomy(t *testing.T, s *testServer, editorKey, kb string, mode answer.Autonomy) {
	t.Helper()
	r := s.do(t, "PUT", "/v1/kbs/"+kb+"/settings", editorKey, map[string]any{"autonomy": mode})
	if st, _ := r.body["settings"].(map[string]any); r.status != http.StatusOK || st["autonomy"] != string(mode) {
		t.Fatalf("setting %s's autonomy to %s: %d %.300s", kb, mode, r.status, r.raw)
	}
}

// suggested is a handoff's suggested answer, as the API shows it.
type suggested struct {
	ArticleID string `json:"article_id"`
	Question  string `json:"question"`
	Answer    string `json:"answer"`
}

// askSuggested asks a question jieda would answer in a suggesting KB and
// returns the handoff id, its category and jieda's suggestion.
func askSuggested(t *testing.T, s *testServer, customerKey, agentKey, kb, question string) (id, category string, sg suggested) {
	t.Helper()
	r := s.do(t, "POST", "/v1/ask", customerKey, map[string]any{"kb": kb, "question": question})
	ho, _ := r.body["handoff"].(map[string]any)
	if r.status != http.StatusOK || ho == nil || ho["reason"] != string(answer.ReasonSuggest) {
		t.Fatalf("asking %q in a suggesting KB: %s, want a handoff with reason suggest", question, r.raw)
	}
	id = ho["id"].(string)
	var h struct {
		Category  string     `json:"category"`
		Suggested *suggested `json:"suggested"`
	}
	g := s.do(t, "GET", "/v1/handoffs/"+id, agentKey, nil)
	if err := json.Unmarshal([]byte(g.raw), &h); err != nil || h.Suggested == nil || h.Suggested.Answer == "" {
		t.Fatalf("handoff %s: %s (%v), want its suggested answer", id, g.raw, err)
	}
	return id, h.Category, *h.Suggested
}

// verdicts are a category's agents' verdicts on suggestions.
type verdicts struct{ Accepted, Rejected int }

// evidence is kb's autonomy evidence per category (GET /v1/kbs/{kb}/autonomy).
func evidence(t *testing.T, s *testServer, editorKey, kb string) map[string]verdicts {
	t.Helper()
	r := s.do(t, "GET", "/v1/kbs/"+kb+"/autonomy", editorKey, nil)
	var rep answer.AutonomyReport
	if err := json.Unmarshal([]byte(r.raw), &rep); err != nil || r.status != http.StatusOK {
		t.Fatalf("autonomy of %s: %s (%v)", kb, r.raw, err)
	}
	out := map[string]verdicts{}
	for _, c := range rep.Categories {
		out[c.Category] = verdicts{c.Accepted, c.Rejected}
	}
	return out
}

// label is one outcome label as stored: what it came from, the article
// it names (right or, for a rejected suggestion, wrong) or no answer.
type label struct {
	Kind, ArticleID string
	NoAnswer        bool
}

// outcomeLabels reads kb's outcome labels by point id.
func outcomeLabels(t *testing.T, s *testServer, kb string) map[string]label {
	t.Helper()
	out := map[string]label{}
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb), index.MatchKeyword("kind", "outcome")}}
	err := index.ScrollAll(t.Context(), s.store, answer.ExamplesCollection, index.ScrollRequest{Filter: f, Limit: 100, With: index.With{Payload: true}}, func(r index.Record) error {
		var doc struct {
			ArticleID string `json:"article_id"`
			NoAnswer  bool   `json:"no_answer"`
		}
		js, _ := r.Payload["data"].(string)
		kind, _ := r.Payload["source"].(string)
		if err := json.Unmarshal([]byte(js), &doc); err != nil {
			return err
		}
		out[r.ID] = label{Kind: kind, ArticleID: doc.ArticleID, NoAnswer: doc.NoAnswer}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the outcome labels of %s: %v", kb, err)
	}
	return out
}

// newLabels are the labels in after that are not in before.
func newLabels(before, after map[string]label) []label {
	var out []label
	for id, l := range after {
		if _, ok := before[id]; !ok {
			out = append(out, l)
		}
	}
	return out
}

// TestConsoleSuggestionVerdicts: in a suggesting KB each handoff carries
// jieda's answer; the agent's verdict recorded (the stored resolution,
// the category's autonomy evidence, the outcome label) follows from what
// the agent sent through the console's forms, whatever the forms' own
// "suggestion" field says.
func TestConsoleSuggestionVerdicts(t *testing.T) {
	s, agent, editor, customer := suggestingShop(t)
	cc := newConsoleClient(t, s)
	csrf := cc.mustLogin(agent)

	const edit = "今天内会有物流更新。"
	type recorded struct {
		Suggestion, ArticleID string
		NoAnswer              bool
		Reply                 string
		Evidence              verdicts // this case's change in its category's counts
		Labels                []label
	}
	for _, tc := range []struct {
		name, question string
		// form is what the agent posts, given jieda's suggestion.
		form func(sg suggested) url.Values
		// reject opens the page in its "rejected" state first.
		reject bool
		want   func(sg suggested) recorded
	}{
		{name: "accept in one click", question: "快递三天了还没到",
			form: func(suggested) url.Values { return url.Values{"suggestion": {"accept"}} },
			want: func(sg suggested) recorded {
				return recorded{answer.SuggestionAccepted, sg.ArticleID, false, sg.Answer, verdicts{1, 0}, []label{{"resolved", sg.ArticleID, false}}}
			}},
		{name: "accept ignores a posted reply", question: "物流几天送达",
			form: func(suggested) url.Values {
				return url.Values{"suggestion": {"accept"}, "reply": {"forged"}, "source": {"ship-fee"}}
			},
			want: func(sg suggested) recorded {
				return recorded{answer.SuggestionAccepted, sg.ArticleID, false, sg.Answer, verdicts{1, 0}, []label{{"resolved", sg.ArticleID, false}}}
			}},
		{name: "sent unchanged through the reply box", question: "邮费多少钱",
			form: func(sg suggested) url.Values {
				return url.Values{"reply": {strings.ReplaceAll(sg.Answer, "\n", "\r\n") + "\r\n"}, "source": {sg.ArticleID}, "reusable": {"1"}}
			},
			want: func(sg suggested) recorded {
				return recorded{answer.SuggestionAccepted, sg.ArticleID, false, sg.Answer, verdicts{1, 0}, []label{{"resolved", sg.ArticleID, false}}}
			}},
		{name: "edit, its article kept", question: "发票在哪里申请",
			form: func(sg suggested) url.Values {
				return url.Values{"reply": {sg.Answer + edit}, "source": {sg.ArticleID}}
			},
			want: func(sg suggested) recorded {
				return recorded{answer.SuggestionEdited, sg.ArticleID, false, sg.Answer + edit, verdicts{0, 1}, []label{{"resolved", sg.ArticleID, false}}}
			}},
		{name: "edit with a forged verdict field", question: "快递几天能到？",
			form: func(sg suggested) url.Values {
				return url.Values{"suggestion": {answer.SuggestionAccepted}, "reply": {sg.Answer + edit}, "source": {sg.ArticleID}}
			},
			want: func(sg suggested) recorded {
				return recorded{answer.SuggestionEdited, sg.ArticleID, false, sg.Answer + edit, verdicts{0, 1}, []label{{"resolved", sg.ArticleID, false}}}
			}},
		{name: "change of article", question: "退货邮费谁承担",
			form: func(suggested) url.Values {
				return url.Values{"reply": {"订单满 99 元包邮。"}, "source": {"ship-fee"}}
			},
			want: func(sg suggested) recorded {
				return recorded{answer.SuggestionRejected, "ship-fee", false, "订单满 99 元包邮。", verdicts{0, 1}, []label{{"resolved", "ship-fee", false}}}
			}},
		{name: "reject, then another article", question: "包邮吗", reject: true,
			form: func(suggested) url.Values {
				return url.Values{"suggestion": {"reject"}, "reply": {"退货运费按质量问题划分。"}, "source": {"return-fee"}}
			},
			want: func(sg suggested) recorded {
				return recorded{answer.SuggestionRejected, "return-fee", false, "退货运费按质量问题划分。", verdicts{0, 1}, []label{{"resolved", "return-fee", false}}}
			}},
		{name: "reject: the KB had no answer", question: "怎么开发票？", reject: true,
			form: func(suggested) url.Values {
				return url.Values{"suggestion": {"reject"}, "reply": {"我们帮您转给财务同事。"}, "source": {"none"}}
			},
			want: func(sg suggested) recorded {
				return recorded{answer.SuggestionRejected, "", true, "我们帮您转给财务同事。", verdicts{0, 1}, []label{{"resolved", "", true}}}
			}},
		{name: "unchanged, no source said", question: "退货运费谁出？",
			form: func(sg suggested) url.Values { return url.Values{"reply": {sg.Answer}, "source": {""}} },
			want: func(sg suggested) recorded {
				return recorded{answer.SuggestionAccepted, "", false, sg.Answer, verdicts{1, 0}, []label{{"suggestion", sg.ArticleID, false}}}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, category, sg := askSuggested(t, s, customer, agent, "shop", tc.question)
			page := "/console/handoffs/" + id
			if tc.reject {
				page += "?suggestion=reject"
			}
			p := cc.get(page)
			checkSuggestedPage(t, p, sg, tc.reject)
			evBefore, labelsBefore := evidence(t, s, editor, "shop"), outcomeLabels(t, s, "shop")

			form := tc.form(sg)
			form.Set("csrf", csrf)
			if r := cc.post("/console/handoffs/"+id+"/resolve", form); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/console/handoffs?msg=") {
				t.Fatalf("resolving: %d to %q\n%s", r.status, r.location, r.body)
			}
			var h answer.Handoff
			if r := s.do(t, "GET", "/v1/handoffs/"+id, agent, nil); json.Unmarshal([]byte(r.raw), &h) != nil || h.Resolution == nil {
				t.Fatalf("the resolved handoff: %s", r.raw)
			}
			evAfter := evidence(t, s, editor, "shop")
			got := recorded{h.Resolution.Suggestion, h.Resolution.ArticleID, h.Resolution.NoAnswer, h.Resolution.Reply,
				verdicts{evAfter[category].Accepted - evBefore[category].Accepted, evAfter[category].Rejected - evBefore[category].Rejected},
				newLabels(labelsBefore, outcomeLabels(t, s, "shop"))}
			if diff := cmp.Diff(tc.want(sg), got); diff != "" {
				t.Errorf("suggested %s %q; recorded (-want +got):\n%s", sg.ArticleID, sg.Answer, diff)
			}
			for c := range maps.Keys(evAfter) {
				if c != category && evAfter[c] != evBefore[c] {
					t.Errorf("category %q's evidence moved too: %+v to %+v", c, evBefore[c], evAfter[c])
				}
			}
			if r := cc.get("/console/handoffs/" + id); !strings.Contains(r.body, `data-verdict="`+h.Resolution.Suggestion+`"`) {
				t.Errorf("the resolved handoff's page does not show the verdict %s", h.Resolution.Suggestion)
			}
		})
	}

	// The queue marks an open suggest handoff; a verdict that contradicts
	// what is sent is refused, and nothing is recorded.
	id, category, sg := askSuggested(t, s, customer, agent, "shop", "快递三天了还没到")
	q := cc.get("/console/handoffs")
	row := regexp.MustCompile(`(?s)<tr class="[^"]*suggested" data-id="` + id + `" data-suggested="` + sg.ArticleID + `">.*?</tr>`).FindString(q.body)
	if !strings.Contains(row, "jieda suggests an answer") || !strings.Contains(row, html.EscapeString(sg.Question)) {
		t.Errorf("the queue's row of a suggest handoff %q is not marked:\n%s", row, q.body)
	}
	evBefore := evidence(t, s, editor, "shop")
	for _, tc := range []struct {
		name string
		form url.Values
		says string
	}{
		{"rejected yet its article", url.Values{"suggestion": {"reject"}, "reply": {"帮您查一下。"}, "source": {sg.ArticleID}},
			"its article cannot be where the answer came from"},
		{"rejected yet unchanged", url.Values{"suggestion": {"reject"}, "reply": {sg.Answer}, "source": {""}},
			"the reply is still the suggested answer, unchanged"},
	} {
		tc.form.Set("csrf", csrf)
		p := cc.post("/console/handoffs/"+id+"/resolve", tc.form)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, tc.says) || !strings.Contains(p.body, `name="suggestion" value="reject"`) {
			t.Errorf("%s: %d, want 400 saying %q, still rejected:\n%s", tc.name, p.status, tc.says, p.body)
		}
	}
	if r := s.do(t, "GET", "/v1/handoffs/"+id, agent, nil); r.body["status"] != "open" {
		t.Errorf("the refused resolutions resolved it: %s", r.raw)
	}
	if ev := evidence(t, s, editor, "shop"); ev[category] != evBefore[category] {
		t.Errorf("refused resolutions moved the evidence: %+v to %+v", evBefore[category], ev[category])
	}
}

// checkSuggestedPage checks a suggest handoff's page without JavaScript:
// the marked suggestion, the reply box prefilled with it and its article
// selected, the three actions; or, after a rejection, an empty reply and
// the suggested article no longer offered.
func checkSuggestedPage(t *testing.T, p page, sg suggested, rejected bool) {
	t.Helper()
	if p.status != http.StatusOK {
		t.Fatalf("the handoff page: %d\n%s", p.status, p.body)
	}
	reply := regexp.MustCompile(`(?s)<textarea id="reply"[^>]*>(.*?)</textarea>`).FindStringSubmatch(p.body)
	selected := regexp.MustCompile(`<option value="([^"]*)" selected>`).FindStringSubmatch(p.body)
	got := map[string]any{
		"marked":   strings.Contains(p.body, "jieda&#39;s suggested answer") && strings.Contains(p.body, `data-article="`+sg.ArticleID+`"`),
		"question": strings.Contains(p.body, sg.Question),
		"reply":    reply != nil && reply[1] == html.EscapeString(sg.Answer),
		"selected": selected != nil && selected[1] == sg.ArticleID,
		"offered":  strings.Contains(p.body, `<option value="`+sg.ArticleID+`"`),
		"accept":   strings.Contains(p.body, `id="accept-btn"`),
		"edit":     strings.Contains(p.body, `id="edit-btn"`),
		"reject":   strings.Contains(p.body, `id="reject-btn"`),
		"undo":     strings.Contains(p.body, `id="unreject-btn"`),
		"rejected": strings.Contains(p.body, `name="suggestion" value="reject"`),
	}
	want := map[string]any{"marked": true, "question": true, "reply": true, "selected": true, "offered": true,
		"accept": true, "edit": true, "reject": true, "undo": false, "rejected": false}
	if rejected {
		want = map[string]any{"marked": true, "question": true, "reply": false, "selected": false, "offered": false,
			"accept": false, "edit": false, "reject": false, "undo": true, "rejected": true}
		if reply == nil || reply[1] != "" {
			t.Errorf("after a rejection the reply box holds %q, want it empty", reply)
		}
		if strings.Contains(p.body, `data-use="`+sg.ArticleID+`"`) {
			t.Errorf("after a rejection the suggested article %s is still a search hit to use", sg.ArticleID)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the handoff page (rejected %v) (-want +got):\n%s", rejected, diff)
	}
}

// TestConsoleSuggestionArticleGone: the page says when the suggested
// article was edited since; once it is deleted there is no one-click
// accept (the engine refuses a source that is not an article) and it is
// no longer preselected, yet the suggestion sent unchanged still counts
// as accepted.
func TestConsoleSuggestionArticleGone(t *testing.T) {
	s, agent, editor, customer := suggestingShop(t)
	cc := newConsoleClient(t, s)
	csrf := cc.mustLogin(agent)
	id, category, sg := askSuggested(t, s, customer, agent, "shop", "发票在哪里申请")
	if sg.ArticleID != "invoice" {
		t.Fatalf("suggested %s for the invoice question", sg.ArticleID)
	}
	art := map[string]any{"id": "invoice", "question": "怎么开发票？", "variants": []string{"发票在哪里申请"}, "answer": "在订单详情页申请开票。", "category": "invoices"}
	if r := s.do(t, "PUT", "/v1/articles/invoice?kb=shop", editor, art); r.status != http.StatusOK {
		t.Fatalf("editing the article: %s", r.raw)
	}
	if p := cc.get("/console/handoffs/" + id); !strings.Contains(p.body, "it is at version 2 now") || !strings.Contains(p.body, `id="accept-btn"`) {
		t.Errorf("after an edit of its article the page does not say so, or has no accept:\n%s", p.body)
	}
	if r := s.do(t, "DELETE", "/v1/articles/invoice?kb=shop", editor, nil); r.status/100 != 2 {
		t.Fatalf("deleting the article: %s", r.raw)
	}
	p := cc.get("/console/handoffs/" + id)
	checks := map[string]bool{
		"says gone":   strings.Contains(p.body, "has been deleted since"),
		"no accept":   !strings.Contains(p.body, `id="accept-btn"`),
		"not offered": !strings.Contains(p.body, `<option value="invoice"`),
		"prefilled":   strings.Contains(p.body, ">"+html.EscapeString(sg.Answer)+"</textarea>"),
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("the page of a suggestion whose article is gone: not %s:\n%s", what, p.body)
		}
	}
	if p := cc.post("/console/handoffs/"+id+"/resolve", url.Values{"csrf": {csrf}, "suggestion": {"accept"}}); p.status != http.StatusBadRequest {
		t.Errorf("accepting a suggestion whose article is gone: %d, want 400\n%s", p.status, p.body)
	}
	before := evidence(t, s, editor, "shop")[category]
	if p := cc.post("/console/handoffs/"+id+"/resolve", url.Values{"csrf": {csrf}, "reply": {sg.Answer}, "source": {""}}); p.status != http.StatusSeeOther {
		t.Fatalf("resolving with the suggestion unchanged: %d\n%s", p.status, p.body)
	}
	checkVerdict(t, s, agent, id, answer.SuggestionAccepted, "", false, sg.Answer)
	if after := evidence(t, s, editor, "shop")[category]; after != (verdicts{before.Accepted + 1, before.Rejected}) {
		t.Errorf("evidence %+v to %+v, want one more accepted", before, after)
	}
}
