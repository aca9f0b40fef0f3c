package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jieda/jieda/answer"
)

// consoleClient is a browser without JavaScript: a cookie jar, no
// redirects followed, forms posted as application/x-www-form-urlencoded.
type consoleClient struct {
	t    *testing.T
	base string
	hc   *http.Client
}

// page is one console response.
type page struct {
	status   int
	location string
	header   http.Header
	body     string
}

func newConsoleClient(t *testing.T, s *testServer) *consoleClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &consoleClient{t: t, base: s.url, hc: hc}
}

func (cc *consoleClient) do(req *http.Request) page {
	cc.t.Helper()
	resp, err := cc.hc.Do(req)
	if err != nil {
		cc.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		cc.t.Fatal(err)
	}
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header, body: string(b)}
}

// get fetches path in English.
func (cc *consoleClient) get(path string, headers ...string) page {
	cc.t.Helper()
	req, err := http.NewRequestWithContext(cc.t.Context(), http.MethodGet, cc.base+path, nil)
	if err != nil {
		cc.t.Fatal(err)
	}
	req.Header.Set("Accept-Language", "en")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return cc.do(req)
}

// post sends a form to path.
func (cc *consoleClient) post(path string, form url.Values, headers ...string) page {
	cc.t.Helper()
	req, err := http.NewRequestWithContext(cc.t.Context(), http.MethodPost, cc.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		cc.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "en")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return cc.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token in a page's forms.
func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field in the page (status %d):\n%s", p.status, p.body)
	}
	return m[1]
}

// login signs in with key and returns the response to the form's post.
func (cc *consoleClient) login(key string, headers ...string) page {
	cc.t.Helper()
	form := cc.get("/console/login", headers...)
	return cc.post("/console/login", url.Values{"csrf": {form.csrf(cc.t)}, "key": {key}}, headers...)
}

// mustLogin signs in and returns the CSRF token of the session's pages.
func (cc *consoleClient) mustLogin(key string) string {
	cc.t.Helper()
	if p := cc.login(key); p.status != http.StatusSeeOther || p.location != "/console/handoffs" {
		cc.t.Fatalf("sign-in: status %d, location %q, want 303 to the queue:\n%s", p.status, p.location, p.body)
	}
	p := cc.get("/console/handoffs")
	if p.status != http.StatusOK {
		cc.t.Fatalf("queue after sign-in: %d\n%s", p.status, p.body)
	}
	return p.csrf(cc.t)
}

// consoleArticles is a small Chinese KB for the console's tests.
func consoleArticles() []answer.Article {
	return []answer.Article{
		{ID: "ship-time", Question: "快递几天能到？", Variants: []string{"快递三天了还没到", "物流几天送达"}, Answer: "下单后 48 小时内发货，大陆一般 2-4 天送达。", Category: "shipping", Locale: "zh-CN"},
		{ID: "ship-fee", Question: "运费怎么算？", Variants: []string{"邮费多少钱", "包邮吗"}, Answer: "订单满 99 元包邮，不满收取 8 元运费。", Category: "shipping", Locale: "zh-CN"},
		{ID: "invoice", Question: "怎么开发票？", Variants: []string{"发票在哪里申请"}, Answer: "在订单详情页点「申请开票」，电子发票 1 个工作日内发到邮箱。", Category: "invoices", Locale: "zh-CN"},
		{ID: "return-fee", Question: "退货运费谁出？", Variants: []string{"退货邮费谁承担"}, Answer: "质量问题由我们承担退货运费；七天无理由退货运费由买家承担。", Category: "returns", Locale: "zh-CN"},
		{ID: "en-return", Question: "How do I return an item?", Variants: []string{"can I send it back"}, Answer: "Open the order and choose Return within 7 days.", Category: "returns", Locale: "en"},
	}
}

// importConsoleKB imports consoleArticles into kb.
func importConsoleKB(t *testing.T, s *testServer, kb string) {
	t.Helper()
	if err := s.sys.engine.ImportArticles(t.Context(), kb, consoleArticles(), nil); err != nil {
		t.Fatal(err)
	}
}

// askHandoff asks a question that goes to a person and returns the handoff id.
func askHandoff(t *testing.T, s *testServer, customerKey, kb, question, tier string) string {
	t.Helper()
	r := s.do(t, "POST", "/v1/ask", customerKey, map[string]any{"kb": kb, "question": question, "customer": map[string]any{"id": "u-" + tier, "tier": tier}})
	ho, _ := r.body["handoff"].(map[string]any)
	if r.status != 200 || ho == nil {
		t.Fatalf("asking %q: %s, want a handoff", question, r.raw)
	}
	return ho["id"].(string)
}
