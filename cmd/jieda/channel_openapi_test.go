package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jieda/jieda/cmd/jieda/internal/channels/chatwoot/chatwoottest"
)

// conformanceCheck is TestOpenAPIConformance's check: it marks op as
// exercised, wants the status and checks the response against the document.
type conformanceCheck func(op string, r response, want int) response

// exerciseChannelOps drives the channels' and the widget's routes for
// TestOpenAPIConformance, on a server whose KB "shop" exists.
func exerciseChannelOps(t *testing.T, s *testServer, check conformanceCheck, admin string) {
	t.Helper()
	cw := chatwoottest.New(t, chatwoottest.Options{Secret: cwSecret})
	channel := map[string]any{"kind": "chatwoot", "kb": "shop", "base_url": cw.URL, "account_id": 1, "api_access_token": "bot-token", "secret": cwSecret}
	r := check("PUT /v1/admin/channels/{name}", s.do(t, "PUT", "/v1/admin/channels/cw", admin, channel), 200)
	cw.ConnectBot(s.url + r.body["webhook_path"].(string))
	check("PUT /v1/admin/channels/{name}", s.do(t, "PUT", "/v1/admin/channels/bad", admin, map[string]any{"kind": "chatwoot", "kb": "shop"}), 400)
	check("PUT /v1/admin/channels/{name}", s.do(t, "PUT", "/v1/admin/channels/bad", admin, map[string]any{"kind": "chatwoot", "kb": "nope"}), 404)
	check("GET /v1/admin/channels", s.do(t, "GET", "/v1/admin/channels", admin, nil), 200)
	check("GET /v1/admin/channels/{name}", s.do(t, "GET", "/v1/admin/channels/cw", admin, nil), 200)
	check("GET /v1/admin/channels/{name}", s.do(t, "GET", "/v1/admin/channels/none", admin, nil), 404)

	conv := cw.NewConversation("张三")
	body := `{"event":"message_created","id":9001,"content":"运费怎么算","message_type":"incoming","private":false,` +
		`"conversation":{"id":` + strconv.FormatInt(conv, 10) + `,"status":"pending"},"sender":{"id":7,"name":"张三","type":"contact"}}`
	signed := func(b string) map[string]string {
		ts, sig := chatwoottest.Sign(cwSecret, time.Now(), []byte(b))
		return map[string]string{"X-Chatwoot-Timestamp": ts, "X-Chatwoot-Signature": sig, "X-Chatwoot-Delivery": "conformance-" + ts + strconv.Itoa(len(b))}
	}
	const hook = "POST /v1/channels/{name}/webhook"
	check(hook, sendWith(t, s, "POST", "/v1/channels/cw/webhook", "", signed(body), body), 200)
	check(hook, sendWith(t, s, "POST", "/v1/channels/cw/webhook", "", nil, body), 401)
	check(hook, sendWith(t, s, "POST", "/v1/channels/cw/webhook", "", signed(`{"event":"message_created"}`), `{"event":"message_created"}`), 400)
	ignored := `{"event":"conversation_opened","id":` + strconv.FormatInt(conv, 10) + `,"status":"open"}`
	if r := check(hook, sendWith(t, s, "POST", "/v1/channels/cw/webhook", "", signed(ignored), ignored), 200); !strings.Contains(r.raw, "ignored") {
		t.Errorf("an event jieda does not use: %s", r.raw)
	}
	check("DELETE /v1/admin/channels/{name}", s.do(t, "DELETE", "/v1/admin/channels/cw", admin, nil), 204)
	check("DELETE /v1/admin/channels/{name}", s.do(t, "DELETE", "/v1/admin/channels/cw", admin, nil), 404)

	// The widget: its script, a widget key, CORS.
	check("GET /widget.js", s.do(t, "GET", "/widget.js", "", nil), 200)
	r = check("POST /v1/admin/keys", s.do(t, "POST", "/v1/admin/keys", admin, map[string]any{
		"role": "widget", "kbs": []string{"shop"}, "origins": []string{"https://shop.example"}, "name": "site"}), 201)
	wkey, _ := r.body["key"].(string)
	shop := map[string]string{"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
	check("OPTIONS /v1/ask", sendWith(t, s, "OPTIONS", "/v1/ask", "", shop, ""), 204)
	check("OPTIONS /v1/ask", sendWith(t, s, "OPTIONS", "/v1/ask", "", map[string]string{"Origin": "https://evil.example"}, ""), 403)
	check("OPTIONS /v1/feedback", sendWith(t, s, "OPTIONS", "/v1/feedback", "", shop, ""), 204)
	r = check("POST /v1/ask", sendWith(t, s, "POST", "/v1/ask", wkey, map[string]string{"Origin": "https://shop.example"}, `{"kb":"shop","question":"运费怎么算"}`), 200)
	if id, _ := r.body["conversation_id"].(string); !strings.HasPrefix(id, "wg-") {
		t.Errorf("a widget's question: conversation_id %q, want one jieda issued", id)
	}
	check("POST /v1/ask", sendWith(t, s, "POST", "/v1/ask", wkey, map[string]string{"Origin": "https://evil.example"}, `{"kb":"shop","question":"运费怎么算"}`), 403)
	check("POST /v1/feedback", sendWith(t, s, "POST", "/v1/feedback", wkey, map[string]string{"Origin": "https://shop.example"},
		`{"answer_id":"`+r.body["answer_id"].(string)+`","helpful":true}`), 200)
}
