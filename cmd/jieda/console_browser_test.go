package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/browsertest"
)

// browse runs chromedp actions, failing the test on an error.
func browse(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitJS waits (10s at most) until the JavaScript expression is true,
// riding out navigations (an evaluation during one fails and is retried).
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		var ok bool
		// Only on a loaded page: node ids a step takes while a new document
		// is still loading go stale when it finishes ("No node with given id").
		if lastErr = chromedp.Run(ctx, chromedp.Evaluate(`document.readyState === "complete" && !!(`+expr+")", &ok)); lastErr == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	var body string
	_ = chromedp.Run(ctx, chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &body))
	t.Fatalf("%s: waiting for %s (last error %v)\npage text:\n%s", what, expr, lastErr, body)
}

// evalJS evaluates an expression (awaiting a promise) into res.
func evalJS(t *testing.T, ctx context.Context, expr string, res any) {
	t.Helper()
	if err := chromedp.Run(ctx, chromedp.Evaluate(expr, res, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	})); err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
}

// pageHas is a JS expression: the page's text contains s.
func pageHas(s string) string {
	return fmt.Sprintf("document.body && document.body.innerText.includes(%q)", s)
}

// noHorizontalScroll checks the page fits the window's width.
func noHorizontalScroll(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	var w [2]int
	evalJS(t, ctx, `[document.documentElement.scrollWidth, window.innerWidth]`, &w)
	if w[0] > w[1] {
		t.Errorf("%s: the page is %dpx wide in a %dpx window (horizontal scrolling)", what, w[0], w[1])
	}
}

// TestConsoleAgentBrowser is the agents' workspace in Chromium, the way a
// new agent meets it: the customer key refused; sign in; a handoff
// arrives live; open it; take it; put a suggested answer in the reply,
// edit it, say where it came from; resolve; it leaves the queue. Then the
// search page, the embeddable page, a CSRF-less post, and the phone width.
func TestConsoleAgentBrowser(t *testing.T) {
	s := startServer(t, nil)
	importConsoleKB(t, s, "shop")
	agent, ak := s.newKey(t, apikey.RoleAgent, "shop")
	customer, _ := s.newKey(t, apikey.RoleCustomer, "shop")
	ctx := browsertest.New(t, browsertest.Options{Width: 1280, Height: 800, Timeout: 90 * time.Second})

	browse(t, ctx, "open the console", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible("#key", chromedp.ByQuery))
	browse(t, ctx, "switch to Chinese", chromedp.Click(`a[hreflang="zh-CN"]`, chromedp.ByQuery))
	waitJS(t, ctx, "the Chinese sign-in page", pageHas("登录 jieda 控制台"))
	browsertest.Screenshot(t, ctx, "01-login")

	browse(t, ctx, "sign in with a customer key", chromedp.SendKeys("#key", customer, chromedp.ByQuery), chromedp.Submit("#key", chromedp.ByQuery))
	waitJS(t, ctx, "the customer key refused", pageHas("这是一个顾客密钥，不能登录控制台。"))
	browsertest.Screenshot(t, ctx, "02-login-customer-refused")

	browse(t, ctx, "sign in as an agent", chromedp.SendKeys("#key", agent, chromedp.ByQuery), chromedp.Submit("#key", chromedp.ByQuery))
	waitJS(t, ctx, "the empty queue", pageHas("目前没有人在等待"))
	waitJS(t, ctx, "live updates connected", `document.body.getAttribute("data-live") === "on"`)
	browsertest.Screenshot(t, ctx, "03-queue-empty")

	// A customer asks for a person: the handoff appears without a reload.
	question := "转人工，我的快递三天了还没到"
	id := askHandoff(t, s, customer, "shop", question, "vip")
	waitJS(t, ctx, "the handoff arriving live", fmt.Sprintf(`!!document.querySelector('tr[data-id=%q]')`, id))
	waitJS(t, ctx, "the count in the title", `document.title.startsWith("(1) ")`)
	browsertest.Screenshot(t, ctx, "04-queue-live-arrival")

	browse(t, ctx, "open the handoff", chromedp.Click(fmt.Sprintf(`tr[data-id=%q] a`, id), chromedp.ByQuery))
	waitJS(t, ctx, "the handoff page", pageHas("建议答案"))
	browse(t, ctx, "take it", chromedp.Click("#claim-btn", chromedp.ByQuery))
	waitJS(t, ctx, "the claim", pageHas("您正在回复这位顾客"))
	browsertest.Screenshot(t, ctx, "05-handoff")

	var use struct{ ID, Answer string }
	evalJS(t, ctx, `(() => { const a = document.querySelector('a[data-use]'); return {ID: a.dataset.use, Answer: a.dataset.answer}; })()`, &use)
	if use.ID != "ship-time" {
		t.Logf("the first suggestion is %s (ship-time expected for %q)", use.ID, question)
	}
	browse(t, ctx, "use the first suggestion", chromedp.Click("a[data-use]", chromedp.ByQuery))
	waitJS(t, ctx, "the suggestion in the reply box", fmt.Sprintf(`document.querySelector('#reply').value === %q && document.querySelector('#source').value === %q`, use.Answer, use.ID))
	const more = "已为您催促快递，今天内会有更新。"
	browse(t, ctx, "edit the reply", chromedp.SendKeys("#reply", more, chromedp.ByQuery),
		chromedp.Evaluate(`document.activeElement.blur(); window.scrollTo(0, 0)`, nil))
	browsertest.Screenshot(t, ctx, "06-reply-from-suggestion")
	browse(t, ctx, "resolve", chromedp.Click("#resolve-btn", chromedp.ByQuery))
	waitJS(t, ctx, "back in the queue", pageHas("已解决。回复已记录"))
	waitJS(t, ctx, "the handoff gone", fmt.Sprintf(`!document.querySelector('tr[data-id=%q]') && document.body.innerText.includes("目前没有人在等待")`, id))
	browsertest.Screenshot(t, ctx, "07-resolved-left-queue")

	r := s.do(t, "GET", "/v1/handoffs/"+id, agent, nil)
	res, _ := r.body["resolution"].(map[string]any)
	if r.body["status"] != "resolved" || res["reply"] != use.Answer+more || res["article_id"] != use.ID || res["by"] != ak.ID || res["reusable"] != true {
		t.Errorf("the stored resolution: %s\nwant reply %q, article %s, by %s, reusable", r.raw, use.Answer+more, use.ID, ak.ID)
	}

	// Search, with highlights and copying.
	browse(t, ctx, "search", chromedp.Navigate(s.url+"/console/search?kb=shop&q=运费多少"))
	waitJS(t, ctx, "highlighted results", `document.querySelectorAll('.result mark').length > 0`)
	browse(t, ctx, "copy an answer", chromedp.Click(".result button.copy", chromedp.ByQuery))
	waitJS(t, ctx, "copied", pageHas("已复制"))
	browsertest.Screenshot(t, ctx, "08-search")

	// The page a help desk embeds: the key in the fragment, the question
	// from the address, then from the host's postMessage.
	browse(t, ctx, "the embeddable page", chromedp.Navigate(s.url+"/console/embed?kb=shop&q=运费怎么算#key="+agent))
	waitJS(t, ctx, "suggestions for ?q=", `document.querySelectorAll('#embed-results .result').length > 0`)
	browse(t, ctx, "a question from the host", chromedp.Evaluate(`window.postMessage({type: "jieda:question", question: "怎么开发票"}, "*")`, nil))
	waitJS(t, ctx, "suggestions for the posted question", `document.querySelector('#embed-q').value === "怎么开发票" && document.querySelector('#embed-results').innerText.includes("申请开票")`)
	browsertest.Screenshot(t, ctx, "09-embed")

	// A post without the session's CSRF token is refused, by fetch and by a form.
	// A second customer with the same problem: the first agent's reply is offered.
	id2 := askHandoff(t, s, customer, "shop", "转人工，快递三天了都没到", "")
	browse(t, ctx, "the second handoff", chromedp.Navigate(s.url+"/console/handoffs/"+id2))
	waitJS(t, ctx, "the past reply offered", fmt.Sprintf(`[...document.querySelectorAll(".suggestion.past .answer")].some(e => e.innerText === %q)`, use.Answer+more))
	var status int
	evalJS(t, ctx, fmt.Sprintf(`fetch("/console/handoffs/%s/claim", {method: "POST"}).then(r => r.status)`, id2), &status)
	if status != 403 {
		t.Errorf("a fetch POST without the CSRF token: status %d, want 403", status)
	}
	browse(t, ctx, "a form without the token", chromedp.Evaluate(fmt.Sprintf(`(() => { const f = document.createElement("form");
		f.method = "post"; f.action = "/console/handoffs/%s/claim"; document.body.appendChild(f); f.submit(); })()`, id2), nil))
	waitJS(t, ctx, "the refusal as a person reads it", pageHas("无法接受这个表单"))
	browsertest.Screenshot(t, ctx, "10-csrf-refused")
	if r := s.do(t, "GET", "/v1/handoffs/"+id2, agent, nil); r.body["claim"] != nil {
		t.Errorf("the refused posts claimed the handoff: %s", r.raw)
	}

	// A 390-px-wide phone: no horizontal scrolling on any page.
	browse(t, ctx, "phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, pg := range []struct{ name, path, ready string }{
		{"11-phone-queue", "/console/handoffs", `!!document.querySelector("tr[data-id]")`},
		{"12-phone-handoff", "/console/handoffs/" + id2, `!!document.querySelector("#reply")`},
		{"13-phone-search", "/console/search?kb=shop&q=" + "退货运费", `!!document.querySelector(".result")`},
		{"14-phone-resolved-handoff", "/console/handoffs/" + id, `!!document.querySelector(".resolved")`},
	} {
		browse(t, ctx, pg.name, chromedp.Navigate(s.url+pg.path))
		waitJS(t, ctx, pg.name, pg.ready)
		noHorizontalScroll(t, ctx, pg.name)
		browsertest.Screenshot(t, ctx, pg.name)
	}
	browse(t, ctx, "sign out", chromedp.Click(`header button.link`, chromedp.ByQuery))
	waitJS(t, ctx, "signed out", pageHas("您已退出。"))
	noHorizontalScroll(t, ctx, "phone sign-in")
	browsertest.Screenshot(t, ctx, "15-phone-signed-out")
	if !strings.HasPrefix(s.url, "http://127.0.0.1") {
		t.Logf("server at %s", s.url)
	}
}
