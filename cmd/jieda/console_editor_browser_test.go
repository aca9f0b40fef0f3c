package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/browsertest"
)

// TestConsoleEditorBrowser walks the whole curation loop in Chromium,
// without curl: a customer's question is handed off; an agent answers it
// in the console; the reply becomes a candidate; an editor edits and
// approves it; the playground shows the question answered; a wrong
// result is fixed with a variant; an article is edited and rolled back;
// a threshold is set from the calibration curve; then gaps, insights,
// import with line errors, and the administration.
func TestConsoleEditorBrowser(t *testing.T) {
	s := startServer(t, nil)
	importConsoleKB(t, s, "shop")
	if err := s.sys.engine.ImportArticles(t.Context(), "other", []answer.Article{{ID: "secret", Question: "其他店铺的内部文章", Answer: "内部资料。"}}, nil); err != nil {
		t.Fatal(err)
	}
	customer, _ := s.newKey(t, apikey.RoleCustomer, "shop")
	agent, _ := s.newKey(t, apikey.RoleAgent, "shop")
	editor, _ := s.newKey(t, apikey.RoleEditor, "shop")
	admin, _ := s.newKey(t, apikey.RoleAdmin)
	// Labeled outcomes for the calibration curve, and a gap asked twice.
	for q, label := range map[string]map[string]any{
		"转人工 邮费多少钱": {"article_id": "ship-fee"}, "转人工 发票在哪里申请": {"article_id": "invoice"}, "转人工 你们的股票代码": {"no_answer": true},
	} {
		id := askHandoff(t, s, customer, "shop", q, "")
		body := map[string]any{"reply": "已回复。", "reusable": false} // labels only: no candidate
		for k, v := range label {
			body[k] = v
		}
		if r := s.do(t, "POST", "/v1/handoffs/"+id+"/resolve", agent, body); r.status != 200 {
			t.Fatalf("resolving %q: %s", q, r.raw)
		}
	}
	for range 2 {
		s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": "你们的实体店在哪里"})
	}

	ctx := browsertest.New(t, browsertest.Options{Width: 1280, Height: 800, Timeout: 120 * time.Second})
	signIn := func(key string) {
		t.Helper()
		browse(t, ctx, "sign in", chromedp.Navigate(s.url+"/console/login?lang=zh-CN"), chromedp.WaitVisible("#key", chromedp.ByQuery),
			chromedp.SendKeys("#key", key, chromedp.ByQuery), chromedp.Submit("#key", chromedp.ByQuery))
		waitJS(t, ctx, "signed in", `!!document.querySelector("header form[action='/console/logout']")`)
	}
	signOut := func() {
		t.Helper()
		browse(t, ctx, "sign out", chromedp.Click(`header button.link`, chromedp.ByQuery))
		waitJS(t, ctx, "signed out", pageHas("您已退出"))
	}

	// 1. A customer's question no article answers goes to a person; an agent answers it.
	question := "可以用花呗分期付款吗"
	r := s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": question})
	ho, _ := r.body["handoff"].(map[string]any)
	if ho == nil {
		t.Fatalf("%q: %s, want a handoff (nothing in the KB answers it)", question, r.raw)
	}
	hid := ho["id"].(string)
	signIn(agent)
	browse(t, ctx, "the handoff", chromedp.Navigate(s.url+"/console/handoffs/"+hid))
	const reply = "支持花呗分期，3 期免息，在支付页选择「花呗分期」即可。"
	browse(t, ctx, "the agent's reply", chromedp.SendKeys("#reply", reply, chromedp.ByQuery), chromedp.Click("#resolve-btn", chromedp.ByQuery))
	waitJS(t, ctx, "resolved", pageHas("已解决。回复已记录"))
	// An agent key reaches no editor page.
	for _, p := range []string{"/console/candidates", "/console/articles", "/console/calibration", "/console/playground"} {
		browse(t, ctx, "agent on "+p, chromedp.Navigate(s.url+p))
		waitJS(t, ctx, "refused "+p, pageHas("您的密钥无权执行此操作"))
	}
	browsertest.Screenshot(t, ctx, "00-agent-refused-editor-page")
	signOut()

	// 2. The editor (scoped to shop) never sees the other KB; finds the
	// reply in the review queue, edits and approves it.
	signIn(editor)
	browse(t, ctx, "the other KB", chromedp.Navigate(s.url+"/console/articles?kb=other"))
	waitJS(t, ctx, "refused", pageHas("您的密钥无权执行此操作"))
	browse(t, ctx, "own articles", chromedp.Navigate(s.url+"/console/articles"))
	waitJS(t, ctx, "only shop", `document.body.innerText.includes("运费怎么算？") && !document.body.innerText.includes("其他店铺") && !document.querySelector('option[value="other"]')`)
	browse(t, ctx, "the review queue", chromedp.Navigate(s.url+"/console/candidates"))
	waitJS(t, ctx, "the candidate", fmt.Sprintf(`[...document.querySelectorAll(".card h2")].some(h => h.innerText.includes(%q))`, question))
	browsertest.Screenshot(t, ctx, "01-review-queue")
	// Keyboard: j to the first card, e to open its editor.
	browse(t, ctx, "keyboard j e", chromedp.KeyEvent("j"), chromedp.KeyEvent("e"))
	waitJS(t, ctx, "the candidate's page", `!!document.querySelector("#approve-btn")`)
	browse(t, ctx, "edit", chromedp.SetValue("#question", "可以用花呗分期吗？", chromedp.ByQuery),
		chromedp.SetValue("#questions", question+"\n花呗可以分期吗", chromedp.ByQuery),
		chromedp.SetValue("#cat", "payments", chromedp.ByQuery), chromedp.SetValue("#reason", "客服常见问题", chromedp.ByQuery))
	browsertest.Screenshot(t, ctx, "02-candidate-edit")
	browse(t, ctx, "approve", chromedp.Click("#approve-btn", chromedp.ByQuery))
	waitJS(t, ctx, "approved, and the question now answered", fmt.Sprintf(`document.body.innerText.includes("已批准") && [...document.querySelectorAll(".now tr")].some(tr => tr.innerText.includes(%q) && tr.innerText.includes("回答"))`, question))
	browsertest.Screenshot(t, ctx, "03-approved-now-answered")

	// 3. The playground: the customer's question is answered now.
	browse(t, ctx, "playground", chromedp.Navigate(s.url+"/console/playground?kb=shop&q="+url.QueryEscape(question)))
	waitJS(t, ctx, "answered", `document.querySelector(".verdict h2").innerText.includes("jieda 会用这篇文章回答") && document.querySelector(".verdict").innerText.includes("可以用花呗分期吗？")`)
	browsertest.Screenshot(t, ctx, "04-playground-answered")
	// A wording it does not get right yet: add it as a variant of the right article.
	other := "花呗能分几期呀"
	browse(t, ctx, "another wording", chromedp.Navigate(s.url+"/console/playground?kb=shop&q="+url.QueryEscape(other)))
	waitJS(t, ctx, "the verdict", `!!document.querySelector(".verdict")`)
	browse(t, ctx, "find the article", chromedp.Evaluate(`document.querySelector("#play-picker-q").value = ""`, nil),
		chromedp.SendKeys("#play-picker-q", "花呗分期", chromedp.ByQuery))
	waitJS(t, ctx, "the picker's options", `[...document.querySelectorAll("#play-picker-list input[type=radio]")].length > 0 && document.querySelector("#play-picker-list").innerText.includes("花呗")`)
	browse(t, ctx, "pick and add", chromedp.Evaluate(`[...document.querySelectorAll("#play-picker-list label")].find(l => l.innerText.includes("花呗")).querySelector("input").click()`, nil),
		chromedp.Click("#variant-btn", chromedp.ByQuery))
	waitJS(t, ctx, "now answered", `document.body.innerText.includes("已添加") && document.querySelector(".verdict h2").innerText.includes("jieda 会用这篇文章回答")`)
	browsertest.Screenshot(t, ctx, "05-playground-fixed")
	// A partial update refused (another KB) shows its error as a person reads it.
	browse(t, ctx, "a refused partial", chromedp.Evaluate(`htmx.ajax("GET", "/console/articles/pick?kb=other&q=x", {target: "#play-picker-list"})`, nil))
	waitJS(t, ctx, "the error box", `document.querySelector("#errors").innerText.includes("您的密钥无权执行此操作")`)

	// 4. Articles: edit one, compare, roll back.
	browse(t, ctx, "articles", chromedp.Navigate(s.url+"/console/articles?kb=shop"))
	waitJS(t, ctx, "the list", pageHas("运费怎么算？"))
	browsertest.Screenshot(t, ctx, "06-articles")
	browse(t, ctx, "open ship-fee", chromedp.Navigate(s.url+"/console/articles/edit?kb=shop&id=ship-fee"))
	browse(t, ctx, "edit the answer", chromedp.SetValue("#answer", "订单满 79 元包邮，不满收取 8 元运费。", chromedp.ByQuery),
		chromedp.SetValue("#variants", "邮费多少钱\n包邮吗\n满多少包邮", chromedp.ByQuery),
		chromedp.SetValue("#reason", "包邮门槛调整", chromedp.ByQuery))
	browsertest.Screenshot(t, ctx, "06b-article-edit")
	browse(t, ctx, "save", chromedp.Click("#save-btn", chromedp.ByQuery))
	waitJS(t, ctx, "saved", pageHas("已保存"))
	browse(t, ctx, "history", chromedp.Navigate(s.url+"/console/articles/history?kb=shop&id=ship-fee"))
	waitJS(t, ctx, "the diff", `document.querySelectorAll("table.sbs tr.opchg").length > 0 && document.body.innerText.includes("满多少包邮")`)
	browsertest.Screenshot(t, ctx, "07-history-diff")
	browse(t, ctx, "roll back", chromedp.SendKeys("#rb-reason", "活动取消", chromedp.ByQuery), chromedp.Click("#rb-btn", chromedp.ByQuery))
	waitJS(t, ctx, "rolled back", pageHas("已回滚"))
	browsertest.Screenshot(t, ctx, "08-rolled-back")
	if a := s.do(t, "GET", "/v1/articles/ship-fee?kb=shop", editor, nil); a.body["answer"] != "订单满 99 元包邮，不满收取 8 元运费。" || a.body["version"] != 3.0 {
		t.Errorf("after the rollback: %s, want version 3 with the first answer", a.raw)
	}

	// 5. Calibration: a threshold from the curve, its expected figures, saved.
	browse(t, ctx, "calibration", chromedp.Navigate(s.url+"/console/calibration?kb=shop"))
	waitJS(t, ctx, "the curves", `document.querySelectorAll("figure.chart svg").length === 2 && document.body.innerText.includes("3 个已标注的问题")`)
	browse(t, ctx, "choose 0.5", chromedp.SetValue("#cal-threshold", "0.5", chromedp.ByQuery), chromedp.Click("#cal-preview", chromedp.ByQuery))
	waitJS(t, ctx, "expected figures", `!!document.querySelector("#exp-precision") && !!document.querySelector("#cal-save")`)
	browsertest.Screenshot(t, ctx, "09-calibration-expected")
	browse(t, ctx, "save", chromedp.Click("#cal-save", chromedp.ByQuery))
	waitJS(t, ctx, "saved", pageHas("阈值已保存"))
	if st := s.do(t, "GET", "/v1/kbs/shop/settings", editor, nil); st.body["settings"].(map[string]any)["thresholds"].(map[string]any)["answer"] != 0.5 {
		t.Errorf("settings after saving 0.5: %s", st.raw)
	}

	// 6. Gaps, insights, import with line errors.
	browse(t, ctx, "gaps", chromedp.Navigate(s.url+"/console/gaps?kb=shop"))
	waitJS(t, ctx, "the gap", pageHas("你们的实体店在哪里"))
	browsertest.Screenshot(t, ctx, "10-gaps")
	browse(t, ctx, "insights", chromedp.Navigate(s.url+"/console/insights?kb=shop"))
	waitJS(t, ctx, "insights", `document.querySelectorAll("figure.chart").length === 1`)
	browsertest.Screenshot(t, ctx, "11-insights")
	bad := filepath.Join(t.TempDir(), "articles.jsonl")
	if err := os.WriteFile(bad, []byte(`{"id":"ok-1","question":"能开专票吗","answer":"可以。"}`+"\n"+`{"id":"bad 2","question":"","answer":"x"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	browse(t, ctx, "import", chromedp.Navigate(s.url+"/console/articles/import?kb=shop"), chromedp.SetUploadFiles("#file", []string{bad}, chromedp.ByQuery),
		chromedp.Submit("#file", chromedp.ByQuery))
	waitJS(t, ctx, "line errors", `document.body.innerText.includes("未导入") && [...document.querySelectorAll("table.plain td")].some(td => td.innerText === "2")`)
	browsertest.Screenshot(t, ctx, "12-import-line-errors")

	// 7. The phone width on the editors' pages.
	browse(t, ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, p := range []string{"/console/candidates?status=approved", "/console/articles", "/console/playground?q=" + url.QueryEscape(question), "/console/calibration", "/console/articles/history?id=ship-fee"} {
		browse(t, ctx, p, chromedp.Navigate(s.url+p))
		waitJS(t, ctx, p, `document.readyState === "complete"`)
		noHorizontalScroll(t, ctx, "phone "+p)
	}
	browsertest.Screenshot(t, ctx, "13-phone-history")
	signOut()

	// 8. The administration: a key is created and its secret shown once.
	browse(t, ctx, "desktop", chromedp.EmulateViewport(1280, 800))
	signIn(admin)
	browse(t, ctx, "admin", chromedp.Navigate(s.url+"/console/admin?kb=shop"), chromedp.SendKeys(`input[name=name]`, "新客服 小周", chromedp.ByQuery),
		chromedp.Click("#key-create", chromedp.ByQuery))
	waitJS(t, ctx, "the new key", `/^jd_/.test(document.querySelector("#new-key").innerText)`)
	browsertest.Screenshot(t, ctx, "14-admin-new-key")
}
