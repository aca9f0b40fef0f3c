package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/browsertest"
)

// pageHTML is a shop's page embedding the widget as the README says,
// with CSS that would break a widget living in the page's DOM.
const pageHTML = `<!doctype html><html lang="%s"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>优选小店</title>
<style>body{font-family:serif;margin:40px} button{all:unset;color:red} div{color:green !important;font-size:40px !important}</style>
</head><body><h1>优选小店 · Shop</h1><p>商品、订单和售后。</p>
<script src="%s/widget.js" data-key="%s" data-kb="shop" defer></script>
</body></html>`

// widgetSite is a shop's page on its own loopback origin, and a widget
// key for that origin (another origin than jieda's).
type widgetSite struct {
	page *httptest.Server
	key  string
}

// newWidgetSite starts the page's server (its origin is known once it
// listens), then creates the widget key for that origin; listed false
// leaves the page's origin out of the key.
func newWidgetSite(t *testing.T, s *testServer, admin, lang string, listed bool) *widgetSite {
	t.Helper()
	site := &widgetSite{}
	var mu sync.Mutex
	site.page = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		key := site.key
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, pageHTML, lang, s.url, key)
	}))
	t.Cleanup(site.page.Close)
	origin := site.page.URL
	if !listed {
		origin = "https://shop.example"
	}
	r := s.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "widget", "kbs": []string{"shop"}, "origins": []string{origin}, "name": "shop site"})
	if r.status != 201 {
		t.Fatalf("creating the widget key: %d %s", r.status, r.raw)
	}
	mu.Lock()
	site.key = r.body["key"].(string)
	mu.Unlock()
	return site
}

// hookReceiver collects a KB webhook's events.
type hookReceiver struct {
	mu     sync.Mutex
	events []answer.WebhookEvent
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev answer.WebhookEvent
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &ev)
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) has(event string, match func(answer.WebhookEvent) bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events {
		if ev.Event == event && ev.Version == answer.WebhookSchemaVersion && match(ev) {
			return true
		}
	}
	return false
}

// in is a JS path to an element of the widget's shadow root.
func in(sel string) string {
	return `document.querySelector("#jieda-widget").shadowRoot.querySelector(` + jsString(sel) + `)`
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitFor polls a JS condition.
func waitFor(cond string) chromedp.Action {
	var ok bool
	return chromedp.Poll(cond, &ok)
}

// waitText waits until the widget's conversation shows text.
func waitText(text string) chromedp.Action {
	return waitFor(in(".log") + `.textContent.includes(` + jsString(text) + `)`)
}

// askWidget types a question into the widget and sends it with Enter.
func askWidget(q string) chromedp.Action {
	return chromedp.SendKeys(in("textarea"), q+"\r", chromedp.ByJSPath)
}

// recordRequests collects the URL of every request the tab makes.
func recordRequests(ctx context.Context) func() []string {
	var mu sync.Mutex
	var urls []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			urls = append(urls, e.Request.URL)
			mu.Unlock()
		}
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), urls...)
	}
}

// TestWidgetInBrowser runs the widget in Chromium on a shop's page: ask,
// rate the answer, pick a clarify option, get the handoff message, keep
// the conversation over a reload; every request goes to the page's own
// origin or to jieda.
func TestWidgetInBrowser(t *testing.T) {
	s := startServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	admin, _ := s.newKey(t, apikey.RoleAdmin)
	agent, _ := s.newKey(t, apikey.RoleAgent)
	importTestKB(t, s, editor, "shop")
	hooks := &hookReceiver{}
	hookSrv := httptest.NewServer(hooks)
	t.Cleanup(hookSrv.Close)
	clarifyKB(t, s, editor, map[string]any{"url": hookSrv.URL})
	site := newWidgetSite(t, s, admin, "zh-CN", true)

	ctx := browsertest.New(t, browsertest.Options{Width: 1280, Height: 800, Timeout: 90 * time.Second})
	requests := recordRequests(ctx)
	var focused, expanded, launcherColor, optText string
	var opts int
	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			browsertest.Screenshot(t, ctx, "failed-"+strings.ReplaceAll(what, " ", "-"))
			t.Fatalf("%s: %v", what, err)
		}
	}
	// Reduced motion: no entrance animation, so the screenshots show what stays.
	reduce := emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}})
	run("open the shop's page", network.Enable(), reduce, chromedp.Navigate(site.page.URL), waitFor(`!!document.querySelector("#jieda-widget")`))
	browsertest.Screenshot(t, ctx, "1-page")

	// The launcher opens the panel, the input has the focus, and the
	// page's hostile CSS did not reach the widget.
	run("open the panel", chromedp.Click(in(".launcher"), chromedp.ByJSPath), waitFor(`!`+in(".panel")+`.hidden`),
		chromedp.Evaluate(`document.querySelector("#jieda-widget").shadowRoot.activeElement?.tagName || ""`, &focused),
		chromedp.Evaluate(in(".launcher")+`.getAttribute("aria-expanded")`, &expanded),
		chromedp.Evaluate(`getComputedStyle(`+in(".send")+`).color`, &launcherColor))
	if focused != "TEXTAREA" || expanded != "true" || launcherColor != "rgb(255, 255, 255)" {
		t.Errorf("open panel: focus on %q, aria-expanded %q, send button color %s (want the widget's white, not the page's red)", focused, expanded, launcherColor)
	}

	// An answer, rated helpful: the verdict reaches jieda (and its webhook).
	run("ask", askWidget("运费怎么算"), waitText("订单满99元包邮，不满收取8元运费。"))
	run("rate", chromedp.Click(in(".rate button"), chromedp.ByJSPath), waitText("谢谢您的反馈"))
	waitUntil(t, "the answer.feedback webhook event", func() bool {
		return hooks.has(answer.EventAnswerFeedback, func(ev answer.WebhookEvent) bool {
			return ev.Feedback != nil && ev.Feedback.Helpful && ev.Feedback.ArticleID == "ship-fee"
		})
	})

	// A clarify: options as buttons; picking one answers it.
	run("clarify", askWidget("修改地址"), waitFor(in(".log")+`.querySelectorAll(".opt:not([disabled])").length === 2`),
		chromedp.Evaluate(in(".log")+`.querySelectorAll(".opt")[1].textContent`, &optText))
	browsertest.Screenshot(t, ctx, "2-clarify")
	wantAnswer := map[string]string{"2. 怎么修改收货地址": "发货前在订单详情点击修改收货地址即可。", "2. 怎么修改发票寄送地址": "在开票信息页修改发票寄送地址，已寄出的无法更改。"}[optText]
	if wantAnswer == "" {
		t.Fatalf("the second option reads %q", optText)
	}
	run("pick option 2", chromedp.Click(in(".log")+`.querySelectorAll(".opt")[1]`, chromedp.ByJSPath), waitText(wantAnswer),
		chromedp.Evaluate(in(".log")+`.querySelectorAll(".opt:not([disabled])").length`, &opts))
	if opts != 0 {
		t.Errorf("%d clarify options still enabled after a pick", opts)
	}

	// A handoff: the handoff message, and jieda's handoff for the agents.
	run("handoff", askWidget("转人工"), waitText("已为您转接人工客服"))
	browsertest.Screenshot(t, ctx, "3-handoff")
	var conv string
	run("read the conversation id", chromedp.Evaluate(`sessionStorage.getItem("jieda:shop:conversation") || ""`, &conv))
	if !strings.HasPrefix(conv, "wg-") {
		t.Fatalf("the widget keeps conversation %q, want one jieda issued", conv)
	}
	r := s.do(t, "GET", "/v1/handoffs?kb=shop&status=open", agent, nil)
	if hs, _ := r.body["handoffs"].([]any); len(hs) != 1 || hs[0].(map[string]any)["conversation_id"] != conv || hs[0].(map[string]any)["reason"] != "customer_request" {
		t.Fatalf("open handoffs: %s, want the widget's, in its conversation", r.raw)
	}
	waitUntil(t, "the handoff.created webhook event", func() bool {
		return hooks.has(answer.EventHandoffCreated, func(ev answer.WebhookEvent) bool { return ev.Handoff != nil && ev.Handoff.ConversationID == conv })
	})
	turns := s.conversationTurns(t, "shop", conv)
	if len(turns) != 8 {
		t.Errorf("jieda's turns of %s: %d; want 8 (4 questions, 4 replies)", conv, len(turns))
	}

	// Escape closes and gives the focus back; a reload keeps the conversation.
	run("escape", chromedp.SendKeys(in("textarea"), "\x1b", chromedp.ByJSPath), waitFor(in(".panel")+`.hidden`),
		chromedp.Evaluate(`document.querySelector("#jieda-widget").shadowRoot.activeElement?.className || ""`, &focused))
	if focused != "launcher" {
		t.Errorf("after Escape the focus is on %q, want the launcher", focused)
	}
	var again string
	run("reload", chromedp.Reload(), waitFor(`!!document.querySelector("#jieda-widget")`), chromedp.Click(in(".launcher"), chromedp.ByJSPath),
		waitText("订单满99元包邮"), askWidget("怎么开发票"), waitText("电子发票1个工作日内发到邮箱"),
		chromedp.Evaluate(`sessionStorage.getItem("jieda:shop:conversation") || ""`, &again))
	if again != conv {
		t.Errorf("after a reload the conversation is %q, want %q", again, conv)
	}
	browsertest.Screenshot(t, ctx, "4-after-reload")

	for _, u := range requests() {
		if !strings.HasPrefix(u, site.page.URL) && !strings.HasPrefix(u, s.url) && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s: neither the shop nor jieda", u)
		}
	}
}

// TestWidgetOnPhoneInEnglish: on a phone-sized screen the panel fills it;
// an English page gets an English widget.
func TestWidgetOnPhoneInEnglish(t *testing.T) {
	s := startServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	admin, _ := s.newKey(t, apikey.RoleAdmin)
	importTestKB(t, s, editor, "shop")
	site := newWidgetSite(t, s, admin, "en", true)
	ctx := browsertest.New(t, browsertest.Options{Width: 390, Height: 844})
	var label, launcherShown string
	var rect map[string]float64
	err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(site.page.URL), waitFor(`!!document.querySelector("#jieda-widget")`),
		chromedp.Evaluate(in(".launcher")+`.getAttribute("aria-label")`, &label),
		chromedp.Click(in(".launcher"), chromedp.ByJSPath), waitFor(`!`+in(".panel")+`.hidden`),
		chromedp.Evaluate(`(() => { const r = `+in(".panel")+`.getBoundingClientRect(); return {w: r.width, h: r.height, vw: innerWidth, vh: innerHeight}; })()`, &rect),
		chromedp.Evaluate(`getComputedStyle(`+in(".launcher")+`).display`, &launcherShown),
		askWidget("How do I return an item?"), waitText("Open the order and choose Return within 7 days of delivery."), waitText("Helpful"))
	if err != nil {
		browsertest.Screenshot(t, ctx, "failed")
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "phone-en")
	if label != "Open the help chat" {
		t.Errorf("launcher label %q, want English", label)
	}
	if launcherShown != "none" {
		t.Errorf("the launcher shows (display %s) over the full-screen panel", launcherShown)
	}
	if rect["w"] != rect["vw"] || rect["h"] != rect["vh"] {
		t.Errorf("panel %vx%v on a %vx%v screen, want it full screen", rect["w"], rect["h"], rect["vw"], rect["vh"])
	}
}

// TestWidgetFromAnUnlistedOrigin: a page whose origin the key does not
// list gets no answer (the browser's CORS preflight is refused).
func TestWidgetFromAnUnlistedOrigin(t *testing.T) {
	s := startServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	admin, _ := s.newKey(t, apikey.RoleAdmin)
	importTestKB(t, s, editor, "shop")
	site := newWidgetSite(t, s, admin, "zh-CN", false)
	ctx := browsertest.New(t, browsertest.Options{Width: 1280, Height: 800})
	err := chromedp.Run(ctx, chromedp.Navigate(site.page.URL), waitFor(`!!document.querySelector("#jieda-widget")`),
		chromedp.Click(in(".launcher"), chromedp.ByJSPath), askWidget("运费怎么算"), waitText("暂时无法回答"))
	if err != nil {
		browsertest.Screenshot(t, ctx, "failed")
		t.Fatal(err)
	}
	var shown string
	if err := chromedp.Run(ctx, chromedp.Evaluate(in(".log")+`.textContent`, &shown)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(shown, "订单满99元") {
		t.Errorf("an unlisted origin got the answer: %s", shown)
	}
}
