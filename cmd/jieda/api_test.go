package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi"
)

// testArticles is a small shop KB written for these tests.
const testArticles = `{"id":"ship-fee","question":"运费怎么算","variants":["邮费多少钱","包邮吗","买多少包邮"],"answer":"订单满99元包邮，不满收取8元运费。","category":"shipping","locale":"zh-CN"}
{"id":"ship-hk","question":"可以寄到香港吗","variants":["香港能发货吗","发货到香港要多久"],"answer":"可以，香港地区3-5个工作日送达，运费20元。","category":"shipping","locale":"zh-CN"}
{"id":"return-7d","question":"怎么申请七天无理由退货","variants":["退货怎么退","我要退货","不想要了能退吗"],"answer":"签收后7天内在订单详情点击申请退货。","category":"returns","locale":"zh-CN"}
{"id":"invoice","question":"怎么开发票","variants":["发票在哪里申请","能开增值税专用发票吗"],"answer":"在订单详情页点击申请开票，电子发票1个工作日内发到邮箱。","category":"invoices","locale":"zh-CN"}
{"id":"track","question":"我的快递到哪里了","variants":["怎么查物流","包裹到哪了","查快递单号"],"answer":"在我的订单中点击查看物流即可看到实时轨迹。","category":"shipping","locale":"zh-CN"}
{"id":"promo-1111","question":"双十一满减活动怎么参加","variants":["双十一有什么优惠"],"answer":"双十一期间全场满300减50。","category":"promotions","locale":"zh-CN","valid_from":"2020-11-01T00:00:00Z","valid_to":"2020-11-12T00:00:00Z"}
{"id":"en-return","question":"How do I return an item?","variants":["can I send it back","return policy"],"answer":"Open the order and choose Return within 7 days of delivery.","category":"returns","locale":"en"}
`

// importTestKB imports testArticles into kb through the API.
func importTestKB(t *testing.T, s *testServer, editor, kb string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+"/v1/articles/import?kb="+kb, strings.NewReader(testArticles))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+editor)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"created":7`) {
		t.Fatalf("import: %d %s", resp.StatusCode, b)
	}
}

func ask(t *testing.T, s *testServer, key string, body map[string]any) response {
	t.Helper()
	return s.do(t, "POST", "/v1/ask", key, body)
}

func TestAskDecisions(t *testing.T) {
	s, _ := startAnswerServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	customer := s.newTrustedKey(t, apikey.RoleCustomer, "shop") // an integration: it may vouch for tiers
	agent, _ := s.newKey(t, apikey.RoleAgent)
	importTestKB(t, s, editor, "shop")

	r := ask(t, s, customer, map[string]any{"kb": "shop", "question": "运费怎么算"})
	if r.status != 200 || r.body["decision"] != "answer" {
		t.Fatalf("exact question: %d %s", r.status, r.raw)
	}
	ans := r.body["answer"].(map[string]any)
	if ans["article_id"] != "ship-fee" || ans["answer"] != "订单满99元包邮，不满收取8元运费。" || ans["confidence"].(float64) < 0.5 {
		t.Errorf("answer = %v", ans)
	}
	answerID := r.body["answer_id"].(string)

	for _, c := range []struct {
		q, reason string
	}{
		{"转人工", "customer_request"},
		{"I want to talk to a real person", "customer_request"},
		{"你们就是骗子，我要投诉到12315", "complaint"},
		{"双十一满减活动怎么参加", "expired_answer"},
		{"你们的股票代码是多少", ""}, // low_confidence or out_of_scope
	} {
		r := ask(t, s, customer, map[string]any{"kb": "shop", "question": c.q, "customer": map[string]any{"id": "u1", "tier": "vip"}})
		if r.status != 200 || r.body["decision"] != "handoff" {
			t.Errorf("%q: %d %s, want a handoff", c.q, r.status, r.raw)
			continue
		}
		reason := r.body["handoff"].(map[string]any)["reason"]
		if c.reason != "" && reason != c.reason {
			t.Errorf("%q: reason %v, want %s", c.q, reason, c.reason)
		}
		if c.reason == "" && reason != "low_confidence" && reason != "out_of_scope" {
			t.Errorf("%q: reason %v, want low_confidence or out_of_scope", c.q, reason)
		}
	}

	// Feedback on the answer; unknown answers are 404; bad input 400.
	if r := s.do(t, "POST", "/v1/feedback", customer, map[string]any{"answer_id": answerID, "helpful": true}); r.status != 200 {
		t.Errorf("feedback: %d %s", r.status, r.raw)
	}
	wantError(t, "case 1", s.do(t, "POST", "/v1/feedback", customer, map[string]any{"answer_id": "4a0e8f3c-7a43-4d3e-9c4f-6a1e2b0d9c17", "helpful": false}), 404, "not_found")
	wantError(t, "case 2", s.do(t, "POST", "/v1/feedback", customer, map[string]any{"answer_id": answerID}), 400, "bad_request")

	// Agents list handoffs (highest priority first) and resolve one.
	r = s.do(t, "GET", "/v1/handoffs?status=open&kb=shop", agent, nil)
	if r.status != 200 {
		t.Fatalf("list handoffs: %d %s", r.status, r.raw)
	}
	hs := r.body["handoffs"].([]any)
	if len(hs) != 5 {
		t.Fatalf("got %d open handoffs, want 5: %s", len(hs), r.raw)
	}
	prev := 1 << 30
	for _, h := range hs {
		m := h.(map[string]any)
		p := int(m["priority"].(float64))
		if p > prev {
			t.Errorf("handoffs not ordered by priority: %s", r.raw)
		}
		prev = p
		if m["question"] == "" || m["customer"].(map[string]any)["tier"] != "vip" {
			t.Errorf("handoff packet lacks the question or customer: %v", m)
		}
	}
	id := hs[0].(map[string]any)["id"].(string)
	if r := s.do(t, "POST", "/v1/handoffs/"+id+"/resolve", agent, map[string]any{"reply": "已为您转接专员处理。", "csat": 5}); r.status != 200 || r.body["handoff"].(map[string]any)["status"] != "resolved" {
		t.Errorf("resolve: %d %s", r.status, r.raw)
	}
	wantError(t, "case 3", s.do(t, "POST", "/v1/handoffs/"+id+"/resolve", agent, map[string]any{"reply": "again"}), 409, "conflict")
	wantError(t, "case 4", s.do(t, "POST", "/v1/handoffs/not-an-id/resolve", agent, map[string]any{"reply": "x"}), 400, "bad_request")
	wantError(t, "case 4b", s.do(t, "POST", "/v1/handoffs/0e6f1c52-3b7d-4f4e-8a0b-9d2c7e5a1f34/resolve", agent, map[string]any{"reply": "x"}), 404, "not_found")

	// Agents search with highlights.
	r = s.do(t, "GET", "/v1/search?kb=shop&q="+url.QueryEscape("退货怎么退"), agent, nil)
	if r.status != 200 {
		t.Fatalf("search: %d %s", r.status, r.raw)
	}
	res := r.body["results"].([]any)
	top := res[0].(map[string]any)
	if top["article_id"] != "return-7d" || !strings.Contains(top["highlight"].(string), "<mark>") {
		t.Errorf("search top = %v", top)
	}
}

func TestAskRolesAndBadInput(t *testing.T) {
	s, _ := startAnswerServer(t, func(c *httpapi.Config) { c.BodyLimit = 4096 })
	editor, _ := s.newKey(t, apikey.RoleEditor)
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	other, _ := s.newKey(t, apikey.RoleCustomer, "elsewhere")
	importTestKB(t, s, editor, "shop")

	wantError(t, "case 5", s.do(t, "POST", "/v1/ask", "", map[string]any{"kb": "shop", "question": "运费"}), 401, "unauthorized")
	wantError(t, "case 6", s.do(t, "POST", "/v1/ask", other, map[string]any{"kb": "shop", "question": "运费"}), 403, "forbidden")
	for _, path := range []string{"/v1/search?kb=shop&q=x", "/v1/handoffs", "/v1/articles?kb=shop", "/v1/kbs/shop/settings"} {
		wantError(t, "case 7", s.do(t, "GET", path, customer, nil), 403, "forbidden")
	}
	wantError(t, "case 8", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": "  "}), 400, "bad_request")
	wantError(t, "case 9", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": strings.Repeat("退货", 300)}), 400, "bad_request")
	wantError(t, "case 10", s.do(t, "POST", "/v1/ask", customer, "{\"kb\":\"shop\",\"question\":\"\xff\xfe\"}"), 400, "bad_request")
	wantError(t, "case 11", s.do(t, "POST", "/v1/ask", customer, `{"kb":"shop","question":`), 400, "bad_request")
	wantError(t, "case 12", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "nosuchkb", "question": "运费"}), 404, "not_found")
	wantError(t, "case 13", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": "运费", "extra": 1}), 400, "bad_request")
	wantError(t, "case 14", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": strings.Repeat("a", 5000)}), 413, "payload_too_large")

	// Articles CRUD: create, conflict, replace, read, delete, 404.
	art := map[string]any{"id": "gift", "question": "可以包装成礼物吗", "answer": "下单时勾选礼品包装，免费。", "category": "orders"}
	if r := s.do(t, "POST", "/v1/articles?kb=shop", editor, art); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	wantError(t, "case 15", s.do(t, "POST", "/v1/articles?kb=shop", editor, art), 409, "conflict")
	art["answer"] = "下单时勾选礼品包装，收费5元。"
	if r := s.do(t, "PUT", "/v1/articles/gift?kb=shop", editor, art); r.status != 200 || r.body["version"].(float64) != 2 {
		t.Fatalf("replace: %d %s", r.status, r.raw)
	}
	r := ask(t, s, customer, map[string]any{"kb": "shop", "question": "可以包装成礼物吗"})
	if r.body["decision"] != "answer" || r.body["answer"].(map[string]any)["answer"] != "下单时勾选礼品包装，收费5元。" {
		t.Errorf("ask after edit: %s", r.raw)
	}
	if r := s.do(t, "DELETE", "/v1/articles/gift?kb=shop", editor, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	wantError(t, "case 16", s.do(t, "GET", "/v1/articles/gift?kb=shop", editor, nil), 404, "not_found")
	r = ask(t, s, customer, map[string]any{"kb": "shop", "question": "可以包装成礼物吗"})
	if r.body["decision"] == "answer" && r.body["answer"].(map[string]any)["article_id"] == "gift" {
		t.Errorf("a deleted article was answered: %s", r.raw)
	}
	wantError(t, "case 17", s.do(t, "POST", "/v1/articles?kb=shop", editor, map[string]any{"id": "bad id", "question": "x"}), 400, "bad_request")
	if r := s.do(t, "GET", "/v1/articles?kb=shop&limit=3", editor, nil); r.status != 200 || len(r.body["articles"].([]any)) != 3 || r.body["next"] == nil {
		t.Errorf("list page: %d %s", r.status, r.raw)
	}
}

func TestAskFollowUpUsesPreviousTurn(t *testing.T) {
	s, _ := startAnswerServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	importTestKB(t, s, editor, "shop")
	conv := map[string]any{"id": "c-1"}
	r := ask(t, s, customer, map[string]any{"kb": "shop", "question": "可以寄到香港吗", "conversation": conv})
	if r.body["decision"] != "answer" || r.body["conversation_id"] != "c-1" {
		t.Fatalf("first turn: %s", r.raw)
	}
	r = ask(t, s, customer, map[string]any{"kb": "shop", "question": "那运费呢", "conversation": conv})
	ctx, _ := r.body["context"].(map[string]any)
	if ctx == nil || ctx["previous_question"] != "可以寄到香港吗" {
		t.Fatalf("follow-up did not look at the previous turn: %s", r.raw)
	}
	// Turns sent with the request work without a stored conversation.
	r = ask(t, s, customer, map[string]any{"kb": "shop", "question": "那运费呢", "conversation": map[string]any{
		"turns": []map[string]any{{"role": "customer", "text": "可以寄到香港吗"}, {"role": "bot", "text": "可以"}}}})
	if ctx, _ := r.body["context"].(map[string]any); ctx == nil || ctx["previous_question"] != "可以寄到香港吗" {
		t.Fatalf("follow-up with turns: %s", r.raw)
	}
	wantError(t, "case 18", ask(t, s, customer, map[string]any{"kb": "shop", "question": "x", "conversation": map[string]any{
		"turns": []map[string]any{{"role": "robot", "text": "hi"}}}}), 400, "bad_request")
}

func TestHandoffWebhookDelivery(t *testing.T) {
	var mu sync.Mutex
	var got []answer.WebhookEvent
	fails := 2
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !answer.VerifyWebhook("s3cret-s3cret-s3cret", body, r.Header.Get("X-Jieda-Signature")) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		var ev answer.WebhookEvent
		_ = json.Unmarshal(body, &ev)
		got = append(got, ev)
	}))
	defer hook.Close()
	s, _ := startAnswerServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	agent, _ := s.newKey(t, apikey.RoleAgent)
	importTestKB(t, s, editor, "shop")
	r := s.do(t, "PUT", "/v1/kbs/shop/settings", editor, map[string]any{"webhook": map[string]any{"url": hook.URL, "secret": "s3cret-s3cret-s3cret"}})
	if r.status != 200 || strings.Contains(r.raw, "s3cret-s3cret-s3cret") {
		t.Fatalf("settings: %d %s", r.status, r.raw)
	}
	r = ask(t, s, customer, map[string]any{"kb": "shop", "question": "人工客服在吗"})
	id := r.body["handoff"].(map[string]any)["id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook never delivered; handoff: %s", s.do(t, "GET", "/v1/handoffs/"+id, agent, nil).raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	if got[0].Event != "handoff.created" || got[0].Handoff.ID != id || got[0].Handoff.Reason != answer.ReasonCustomerRequest {
		t.Errorf("event = %+v", got[0])
	}
	mu.Unlock()
	// The receiver has the event; the delivery record follows right after.
	for {
		h := s.do(t, "GET", "/v1/handoffs/"+id, agent, nil)
		d := h.body["delivery"].(map[string]any)
		if d["state"] == "delivered" {
			if d["attempts"].(float64) < 3 {
				t.Errorf("delivery = %v, want 3 attempts (two failures)", d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery never recorded as delivered: %v", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMetricsAndOpenAPI(t *testing.T) {
	s, _ := startAnswerServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	importTestKB(t, s, editor, "shop")
	ask(t, s, customer, map[string]any{"kb": "shop", "question": "运费怎么算"})
	ask(t, s, customer, map[string]any{"kb": "shop", "question": "转人工"})
	// a question no other test asked: the query cache cannot answer it
	ask(t, s, customer, map[string]any{"kb": "shop", "question": "指标测试：发票能开公司抬头吗"})
	r := s.do(t, "GET", "/metrics", "", nil)
	for _, want := range []string{
		`jieda_decisions_total{decision="answer",reason=""} `,
		`jieda_decisions_total{decision="handoff",reason="customer_request"} 1`,
		`jieda_http_request_duration_seconds_bucket{method="POST",route="/v1/ask",status="200"`,
		`jieda_embed_batch_size_count{pool="live"}`,
	} {
		if !strings.Contains(r.raw, want) {
			t.Errorf("/metrics lacks %s\n%s", want, grepLines(r.raw, "jieda_"))
		}
	}
	if r := s.do(t, "GET", "/v1/openapi.json", "", nil); r.status != 200 || r.body["openapi"] == nil {
		t.Errorf("openapi: %d", r.status)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
