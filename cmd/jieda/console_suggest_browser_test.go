package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/browsertest"
)

// TestConsoleSuggestBrowser is an agent's day in a KB that may not answer
// on its own yet (autonomy suggest), in Chromium: the queue marks the
// handoffs jieda has an answer for; one opens with the suggestion shown
// and the reply prefilled; accept is one click and the verdict counts as
// accepted; edit puts the agent in the prefilled reply; reject empties it
// and the agent says the KB had no answer. Then the phone width.
func TestConsoleSuggestBrowser(t *testing.T) {
	s, agent, editor, customer := suggestingShop(t)
	ctx := browsertest.New(t, browsertest.Options{Width: 1280, Height: 800, Timeout: 90 * time.Second})

	browse(t, ctx, "sign in", chromedp.Navigate(s.url+"/console/login?lang=zh-CN"), chromedp.WaitVisible("#key", chromedp.ByQuery),
		chromedp.SendKeys("#key", agent, chromedp.ByQuery), chromedp.Submit("#key", chromedp.ByQuery))
	waitJS(t, ctx, "the empty queue", pageHas("目前没有人在等待"))
	waitJS(t, ctx, "live updates connected", `document.body.getAttribute("data-live") === "on"`)

	// Accept: a question jieda would have answered arrives marked.
	id, category, sg := askSuggested(t, s, customer, agent, "shop", "快递三天了还没到")
	row := fmt.Sprintf(`tr[data-id=%q]`, id)
	waitJS(t, ctx, "the suggest handoff marked in the queue", fmt.Sprintf(`(() => { const r = document.querySelector('%s.suggested');
		return r && r.innerText.includes("jieda 有建议答案") && r.innerText.includes(%q); })()`, row, sg.Question))
	browsertest.Screenshot(t, ctx, "01-queue-suggested")

	browse(t, ctx, "open it", chromedp.Click(row+" a", chromedp.ByQuery))
	waitJS(t, ctx, "the suggestion shown and prefilled", fmt.Sprintf(`(() => { const b = document.querySelector('#suggested');
		return b && b.innerText.includes("jieda 的建议答案") && b.innerText.includes(%q) && document.querySelector('#suggested-answer').innerText === %q
			&& document.querySelector('#reply').value === %q && document.querySelector('#source').value === %q; })()`,
		sg.Question, sg.Answer, sg.Answer, sg.ArticleID))
	browsertest.Screenshot(t, ctx, "02-suggestion-prefilled")
	browse(t, ctx, "accept in one click", chromedp.Click("#accept-btn", chromedp.ByQuery))
	waitJS(t, ctx, "back in the queue", pageHas("已发送 jieda 的建议答案"))
	waitJS(t, ctx, "the handoff gone", fmt.Sprintf(`!document.querySelector(%q) && document.body.innerText.includes("目前没有人在等待")`, row))
	browsertest.Screenshot(t, ctx, "03-accepted-left-queue")
	checkVerdict(t, s, agent, id, answer.SuggestionAccepted, sg.ArticleID, false, sg.Answer)
	if ev := evidence(t, s, editor, "shop")[category]; ev != (verdicts{Accepted: 1}) {
		t.Errorf("category %q's evidence after one acceptance: %+v, want 1 accepted", category, ev)
	}

	// Edit: one click into the prefilled reply, add to it, resolve.
	id, _, sg = askSuggested(t, s, customer, agent, "shop", "发票在哪里申请")
	browse(t, ctx, "open the second", chromedp.Navigate(s.url+"/console/handoffs/"+id))
	waitJS(t, ctx, "prefilled", fmt.Sprintf(`document.querySelector('#reply').value === %q`, sg.Answer))
	browse(t, ctx, "edit", chromedp.Click("#edit-btn", chromedp.ByQuery))
	waitJS(t, ctx, "in the reply box", `document.activeElement && document.activeElement.id === "reply"`)
	const more = "如需纸质发票请告诉我们。"
	browse(t, ctx, "type", chromedp.SendKeys("#reply", more, chromedp.ByQuery))
	browse(t, ctx, "resolve", chromedp.Click("#resolve-btn", chromedp.ByQuery))
	waitJS(t, ctx, "resolved", pageHas("已解决。回复已记录"))
	checkVerdict(t, s, agent, id, answer.SuggestionEdited, sg.ArticleID, false, sg.Answer+more)

	// Reject: the reply empties, the suggested article is no longer a
	// source; the agent writes a reply and says the KB had no answer.
	id, _, sg = askSuggested(t, s, customer, agent, "shop", "邮费多少钱")
	browse(t, ctx, "open the third", chromedp.Navigate(s.url+"/console/handoffs/"+id))
	waitJS(t, ctx, "prefilled", fmt.Sprintf(`document.querySelector('#reply').value === %q`, sg.Answer))
	browse(t, ctx, "reject", chromedp.Click("#reject-btn", chromedp.ByQuery))
	waitJS(t, ctx, "rejected", fmt.Sprintf(`document.querySelector('#suggested.rejected') && document.querySelector('#reply').value === ""
		&& ![...document.querySelectorAll('#source option')].some(o => o.value === %q)`, sg.ArticleID))
	const reply = "运费要看您的收货地区，我帮您查一下。"
	browse(t, ctx, "write and pick", chromedp.SendKeys("#reply", reply, chromedp.ByQuery), chromedp.SetValue("#source", "none", chromedp.ByQuery),
		chromedp.Evaluate(`document.activeElement.blur(); window.scrollTo(0, 0)`, nil))
	browsertest.Screenshot(t, ctx, "04-suggestion-rejected")
	browse(t, ctx, "resolve", chromedp.Click("#resolve-btn", chromedp.ByQuery))
	waitJS(t, ctx, "resolved", pageHas("已解决。回复已记录"))
	checkVerdict(t, s, agent, id, answer.SuggestionRejected, "", true, reply)
	browse(t, ctx, "the resolved handoff", chromedp.Navigate(s.url+"/console/handoffs/"+id))
	waitJS(t, ctx, "its verdict", pageHas("拒绝了 jieda 的建议"))

	// A phone: the suggestion and its actions fit.
	id, _, _ = askSuggested(t, s, customer, agent, "shop", "物流几天送达")
	browse(t, ctx, "phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(s.url+"/console/handoffs/"+id))
	waitJS(t, ctx, "the phone page", `!!document.querySelector("#accept-btn")`)
	noHorizontalScroll(t, ctx, "phone handoff with a suggestion")
	browsertest.Screenshot(t, ctx, "05-phone-suggestion")
	browse(t, ctx, "the phone queue", chromedp.Navigate(s.url+"/console/handoffs"))
	waitJS(t, ctx, "the phone queue", `!!document.querySelector("tr.suggested")`)
	noHorizontalScroll(t, ctx, "phone queue with a suggestion")
	browsertest.Screenshot(t, ctx, "06-phone-queue-suggested")
}

// checkVerdict checks a handoff's stored resolution and verdict on its suggestion.
func checkVerdict(t *testing.T, s *testServer, agentKey, id, verdict, article string, noAnswer bool, reply string) {
	t.Helper()
	r := s.do(t, "GET", "/v1/handoffs/"+id, agentKey, nil)
	res, _ := r.body["resolution"].(map[string]any)
	got := []any{r.body["status"], res["suggestion"], res["article_id"], res["no_answer"], res["reply"]}
	want := []any{"resolved", verdict, article, noAnswer, reply}
	if article == "" {
		want[2] = nil
	}
	if !noAnswer {
		want[3] = nil
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("handoff %s: status, suggestion, article, no answer, reply (-want +got):\n%s\n%s", id, diff, r.raw)
	}
}
