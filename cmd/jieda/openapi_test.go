package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi/openapitest"
)

// TestOpenAPIRoles checks each operation's x-jieda-role against the
// server: no key is 401, a key one role lower is 403, a key of the role
// is neither. A public route never asks for a key (the intake webhook
// authenticates by its source's signature instead).
func TestOpenAPIRoles(t *testing.T) {
	doc := openapitest.Doc(t)
	srv := startServer(t, nil)
	keys := map[string]string{}
	for _, r := range []apikey.Role{apikey.RoleCustomer, apikey.RoleAgent, apikey.RoleEditor, apikey.RoleAdmin} {
		keys[r.String()], _ = srv.newKey(t, r)
	}
	lower := map[string]string{"agent": "customer", "editor": "agent", "admin": "editor"}
	ops := openapitest.Ops(t, doc)
	names := make([]string, 0, len(ops))
	for k := range ops {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		role, _ := ops[name]["x-jieda-role"].(string)
		method, path, _ := strings.Cut(name, " ")
		path = strings.NewReplacer("{id}", "x1", "{kb}", "shop", "{source}", "desk", "{name}", "desk").Replace(path)
		if strings.Contains(path, "{") {
			t.Errorf("%s: no test value for a path parameter", name)
			continue
		}
		anon := srv.do(t, method, path, "", nil)
		if role == "public" {
			if anon.status == 403 || anon.status == 401 && strings.Contains(anon.raw, "API key") {
				t.Errorf("%s is public but answers %d without a key: %s", name, anon.status, anon.raw)
			}
			continue
		}
		wantError(t, name+" without a key", anon, 401, "unauthorized")
		if lo, ok := lower[role]; ok {
			wantError(t, name+" with a lower-role "+lo+" key", srv.do(t, method, path, keys[lo], nil), 403, "forbidden")
		}
		if got := srv.do(t, method, path, keys[role], nil); got.status == 401 || got.status == 403 {
			t.Errorf("%s with a key of role %s: status %d, want the role admitted: %s", name, role, got.status, got.raw)
		}
	}
}

// TestOpenAPIResponsesMatch checks bodies the server sends without an
// answer engine against the documented schemas.
func TestOpenAPIResponsesMatch(t *testing.T) {
	doc := openapitest.Doc(t)
	srv := startServer(t, nil)
	admin, _ := srv.newKey(t, apikey.RoleAdmin)
	agent, _ := srv.newKey(t, apikey.RoleAgent, "shop")
	check := func(what string, r response, schema string) {
		t.Helper()
		if r.body == nil {
			t.Errorf("%s: no JSON body (status %d): %s", what, r.status, r.raw)
			return
		}
		var v any
		if err := json.Unmarshal([]byte(r.raw), &v); err != nil {
			t.Fatal(err)
		}
		for _, e := range openapitest.Validate(doc, map[string]any{"$ref": "#/components/schemas/" + schema}, v, "$", true) {
			t.Errorf("%s: %s", what, e)
		}
	}
	check("whoami", srv.do(t, "GET", "/v1/whoami", agent, nil), "WhoAmI")
	created := srv.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "editor", "kbs": []string{"shop"}, "name": "e"})
	if created.status != 201 {
		t.Fatalf("POST /v1/admin/keys: %d %s", created.status, created.raw)
	}
	check("POST /v1/admin/keys", created, "CreatedAPIKey")
	id, _ := created.body["key_id"].(string)
	check("DELETE /v1/admin/keys/{id}", srv.do(t, "DELETE", "/v1/admin/keys/"+id, admin, nil), "APIKey")
	check("GET /v1/admin/keys", srv.do(t, "GET", "/v1/admin/keys", admin, nil), "KeyList")
	check("GET /healthz", srv.do(t, "GET", "/healthz", "", nil), "Health")
	check("GET /readyz", srv.do(t, "GET", "/readyz", "", nil), "Readiness")
	check("error", srv.do(t, "GET", "/v1/search", agent, nil), "Error")
	check("error", srv.do(t, "GET", "/v1/whoami?kb=other", agent, nil), "Error")
}

// sendRaw sends body with a content type (import bodies are not JSON).
func sendRaw(t *testing.T, s *testServer, method, path, key, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
}

// sendWith sends body (when not empty) as JSON with extra headers and an
// optional bearer key.
func sendWith(t *testing.T, s *testServer, method, path, key string, headers map[string]string, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, raw)
		}
	}
	return out
}

// TestOpenAPIConformance drives every answering route against a server
// with the answer engine and checks each response against the document.
func TestOpenAPIConformance(t *testing.T) {
	doc := openapitest.Doc(t)
	s, _ := startAnswerServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	agent, _ := s.newKey(t, apikey.RoleAgent)
	scoped, _ := s.newKey(t, apikey.RoleAgent, "other")
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	admin, _ := s.newKey(t, apikey.RoleAdmin)
	scopedEditor, _ := s.newKey(t, apikey.RoleEditor, "other")
	seen := map[string]bool{}
	check := func(op string, r response, want int) response {
		t.Helper()
		seen[op] = true
		if r.status != want {
			t.Errorf("%s: status %d, want %d: %s", op, r.status, want, r.raw)
		}
		openapitest.Conform(t, doc, op, r.oa())
		return r
	}
	const jsonl = `{"id":"ship-fee","question":"运费怎么算","variants":["邮费多少钱","包邮吗"],"answer":"订单满99元包邮，不满收取8元运费。","category":"shipping","locale":"zh-CN"}
{"id":"ship-fee-hk","question":"寄到香港运费怎么算","variants":["香港邮费多少钱"],"answer":"香港地区运费20元。","category":"shipping","locale":"zh-CN"}
{"id":"en-return","question":"How do I return an item?","variants":["can I send it back"],"answer":"Open the order and choose Return within 7 days.","locale":"en"}
`
	check("POST /v1/articles/import", sendRaw(t, s, "POST", "/v1/articles/import?kb=shop", editor, "application/x-ndjson", jsonl), 200)
	check("POST /v1/articles/import", sendRaw(t, s, "POST", "/v1/articles/import?kb=shop", editor, "text/csv",
		"id,question,variants,answer,category,scope\ninvoice,怎么开发票,发票在哪里申请|能开专票吗,在订单详情页申请开票。,invoices,channel=app\n"), 200)
	check("POST /v1/articles/import", sendRaw(t, s, "POST", "/v1/articles/import?kb=shop", editor, "text/plain", "x"), 415)
	check("POST /v1/articles/import", sendRaw(t, s, "POST", "/v1/articles/import?kb=shop", editor, "application/x-ndjson", `{"id":"bad"}`), 400)

	r := check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": "运费怎么算", "conversation": map[string]any{"id": "c1"}}), 200)
	answerID, _ := r.body["answer_id"].(string)
	check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": "How do I return an item?", "locale": "en"}), 200)
	r = check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": "转人工", "customer": map[string]any{"id": "u1", "tier": "vip"}}), 200)
	if r.body["decision"] != "handoff" {
		t.Fatalf("转人工: %s, want a handoff", r.raw)
	}
	handoffID := r.body["handoff"].(map[string]any)["id"].(string)
	check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "nope", "question": "x"}), 404)
	check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop"}), 400)
	check("POST /v1/ask", sendRaw(t, s, "POST", "/v1/ask", customer, "text/plain", "x"), 415)
	check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": strings.Repeat("长", 2<<20)}), 413)

	check("POST /v1/feedback", s.do(t, "POST", "/v1/feedback", customer, map[string]any{"answer_id": answerID, "helpful": true, "comment": "清楚"}), 200)
	check("POST /v1/feedback", s.do(t, "POST", "/v1/feedback", customer, map[string]any{"answer_id": answerID}), 400)
	check("POST /v1/feedback", s.do(t, "POST", "/v1/feedback", customer, map[string]any{"answer_id": "4a0e8f3c-7a43-4d3e-9c4f-6a1e2b0d9c17", "helpful": false}), 404)

	check("GET /v1/whoami", s.do(t, "GET", "/v1/whoami?kb=shop", customer, nil), 200)
	check("GET /v1/whoami", s.do(t, "GET", "/v1/whoami?kb=shop", scoped, nil), 403)

	check("GET /v1/search", s.do(t, "GET", "/v1/search?kb=shop&limit=5&q="+url.QueryEscape("邮费多少"), agent, nil), 200)
	check("GET /v1/search", s.do(t, "GET", "/v1/search?kb=shop", agent, nil), 400)
	check("GET /v1/search", s.do(t, "GET", "/v1/search?kb=shop&q=x", scoped, nil), 403)
	check("GET /v1/search", s.do(t, "GET", "/v1/search?kb=nope&q=x", agent, nil), 404)

	check("GET /v1/handoffs", s.do(t, "GET", "/v1/handoffs?kb=shop&status=open&limit=1", agent, nil), 200)
	check("GET /v1/handoffs", s.do(t, "GET", "/v1/handoffs?status=closed", agent, nil), 400)
	if r := check("GET /v1/handoffs", s.do(t, "GET", "/v1/handoffs?reason=customer_request", agent, nil), 200); !strings.Contains(r.raw, handoffID) {
		t.Errorf("handoffs of reason customer_request: %s, want %s", r.raw, handoffID)
	}
	if r := check("GET /v1/handoffs", s.do(t, "GET", "/v1/handoffs?reason=complaint", agent, nil), 200); strings.Contains(r.raw, handoffID) {
		t.Errorf("handoffs of reason complaint: %s, want without %s", r.raw, handoffID)
	}
	check("GET /v1/handoffs", s.do(t, "GET", "/v1/handoffs?reason=bored", agent, nil), 400)
	check("GET /v1/handoffs", s.do(t, "GET", "/v1/handoffs", scoped, nil), 200)
	check("GET /v1/handoffs/{id}", s.do(t, "GET", "/v1/handoffs/"+handoffID, agent, nil), 200)
	check("GET /v1/handoffs/{id}", s.do(t, "GET", "/v1/handoffs/"+handoffID, scoped, nil), 404)
	check("POST /v1/handoffs/{id}/resolve", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/resolve", agent, map[string]any{"reply": ""}), 400)
	// Claims: one agent answers the customer; another is refused until it is released.
	agent2, _ := s.newKey(t, apikey.RoleAgent)
	r = check("POST /v1/handoffs/{id}/claim", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/claim", agent, nil), 200)
	if cl, _ := r.body["claim"].(map[string]any); cl["owner"] == nil || cl["until"] == nil {
		t.Errorf("claim: %s, want the claim's owner and expiry", r.raw)
	}
	check("POST /v1/handoffs/{id}/claim", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/claim", agent, map[string]any{"ttl_seconds": 600}), 200)
	check("POST /v1/handoffs/{id}/claim", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/claim", agent, map[string]any{"ttl_seconds": -1}), 400)
	check("POST /v1/handoffs/{id}/claim", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/claim", agent2, nil), 409)
	check("POST /v1/handoffs/{id}/claim", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/claim", scoped, nil), 404)
	check("DELETE /v1/handoffs/{id}/claim", s.do(t, "DELETE", "/v1/handoffs/"+handoffID+"/claim", agent2, nil), 409)
	check("POST /v1/handoffs/{id}/resolve", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/resolve", agent2, map[string]any{"reply": "我来回复"}), 409)
	check("POST /v1/handoffs/{id}/resolve", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/resolve", agent, map[string]any{"reply": "ok", "article_id": "ship-fee", "no_answer": true}), 400)
	check("POST /v1/handoffs/{id}/resolve", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/resolve", agent, map[string]any{"reply": "ok", "article_id": "no-such-article"}), 400)
	check("DELETE /v1/handoffs/{id}/claim", s.do(t, "DELETE", "/v1/handoffs/"+handoffID+"/claim", agent, nil), 200)
	check("DELETE /v1/handoffs/{id}/claim", s.do(t, "DELETE", "/v1/handoffs/4a0e8f3c-7a43-4d3e-9c4f-6a1e2b0d9c17/claim", agent, nil), 404)
	check("POST /v1/handoffs/{id}/claim", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/claim", agent, nil), 200)
	r = check("POST /v1/handoffs/{id}/resolve", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/resolve", agent, map[string]any{"reply": "您好，已为您转接。", "agent": "小王", "csat": 5, "article_id": "ship-fee"}), 200)
	if res, _ := r.body["handoff"].(map[string]any)["resolution"].(map[string]any); res["article_id"] != "ship-fee" || res["by"] == nil {
		t.Errorf("resolve: %s, want the article label and the resolving key", r.raw)
	}
	check("POST /v1/handoffs/{id}/claim", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/claim", agent, nil), 409)
	check("POST /v1/handoffs/{id}/resolve", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/resolve", agent, map[string]any{"reply": "again"}), 409)
	check("GET /v1/handoffs/{id}", s.do(t, "GET", "/v1/handoffs/"+handoffID, agent, nil), 200)

	check("GET /v1/kbs", s.do(t, "GET", "/v1/kbs", editor, nil), 200)
	check("GET /v1/kbs/{kb}/settings", s.do(t, "GET", "/v1/kbs/shop/settings", editor, nil), 200)
	check("GET /v1/kbs/{kb}/settings", s.do(t, "GET", "/v1/kbs/nope/settings", editor, nil), 404)
	check("PUT /v1/kbs/{kb}/curation", s.do(t, "PUT", "/v1/kbs/shop/curation", editor, map[string]any{"cluster_similarity": 0.85}), 200)
	check("PUT /v1/kbs/{kb}/curation", s.do(t, "PUT", "/v1/kbs/shop/curation", editor, map[string]any{"reply_match": 3}), 400)
	check("GET /v1/kbs/{kb}/curation", s.do(t, "GET", "/v1/kbs/shop/curation", editor, nil), 200)
	check("GET /v1/kbs/{kb}/curation", s.do(t, "GET", "/v1/kbs/nope/curation", editor, nil), 404)
	check("POST /v1/kbs/{kb}/calibrate", s.do(t, "POST", "/v1/kbs/shop/calibrate", editor, nil), 202)
	check("POST /v1/kbs/{kb}/calibrate", s.do(t, "POST", "/v1/kbs/nope/calibrate", editor, nil), 404)
	check("GET /v1/kbs/{kb}/autonomy", s.do(t, "GET", "/v1/kbs/shop/autonomy", editor, nil), 200)
	check("GET /v1/kbs/{kb}/autonomy", s.do(t, "GET", "/v1/kbs/nope/autonomy", editor, nil), 404)
	check("PUT /v1/kbs/{kb}/settings", s.do(t, "PUT", "/v1/kbs/shop/settings", editor, map[string]any{
		"thresholds": map[string]any{"answer": 0.7, "clarify": 0.25, "out_of_scope": 0.1, "clarify_ratio": 0.85},
		"categories": map[string]any{"shipping": map[string]any{"answer": 0.8, "clarify": 0.3, "out_of_scope": 0.1, "clarify_ratio": 0.85}},
		"webhook":    map[string]any{"url": "http://127.0.0.1:1/hook", "secret": "a-long-enough-secret"},
	}), 200)
	check("PUT /v1/kbs/{kb}/settings", s.do(t, "PUT", "/v1/kbs/shop/settings", editor, map[string]any{"thresholds": map[string]any{"answer": 2}}), 400)
	check("PUT /v1/kbs/{kb}/settings", s.do(t, "PUT", "/v1/kbs/shop/settings", editor, map[string]any{"unknown": 1}), 400)

	check("GET /v1/articles", s.do(t, "GET", "/v1/articles?kb=shop&status=published&limit=2", editor, nil), 200)
	check("GET /v1/articles", s.do(t, "GET", "/v1/articles?kb=shop&status=gone", editor, nil), 400)
	check("GET /v1/articles", s.do(t, "GET", "/v1/articles?kb=nope", editor, nil), 404)
	check("GET /v1/articles/{id}", s.do(t, "GET", "/v1/articles/ship-fee?kb=shop", editor, nil), 200)
	check("GET /v1/articles/{id}", s.do(t, "GET", "/v1/articles/none?kb=shop", editor, nil), 404)
	art := map[string]any{"id": "new-1", "question": "支持货到付款吗", "answer": "暂不支持货到付款。", "status": "draft",
		"valid_from": "2024-01-01T00:00:00Z", "scope": map[string]any{"channel": "app"}}
	check("POST /v1/articles", s.do(t, "POST", "/v1/articles?kb=shop", editor, art), 201)
	check("POST /v1/articles", s.do(t, "POST", "/v1/articles?kb=shop", editor, art), 409)
	check("POST /v1/articles", s.do(t, "POST", "/v1/articles?kb=shop", editor, map[string]any{"id": "x"}), 400)
	check("PUT /v1/articles/{id}", s.do(t, "PUT", "/v1/articles/new-1?kb=shop", editor, map[string]any{"question": "支持货到付款吗", "answer": "支持。"}), 200)
	check("PUT /v1/articles/{id}", s.do(t, "PUT", "/v1/articles/new-2?kb=shop", editor, map[string]any{"question": "能改地址吗", "answer": "发货前可改。"}), 201)
	check("DELETE /v1/articles/{id}", s.do(t, "DELETE", "/v1/articles/new-2?kb=shop", editor, nil), 204)
	check("DELETE /v1/articles/{id}", s.do(t, "DELETE", "/v1/articles/new-2?kb=shop", editor, nil), 404)

	// Article history: new-1 was created (version 1) and replaced
	// (version 2); a third version carries a reason header.
	check("PUT /v1/articles/{id}", sendWith(t, s, "PUT", "/v1/articles/new-1?kb=shop", editor, map[string]string{"X-Jieda-Reason": "policy change"},
		`{"question":"支持货到付款吗","answer":"支持，需加收5元手续费。"}`), 200)
	r = check("GET /v1/articles/{id}/revisions", s.do(t, "GET", "/v1/articles/new-1/revisions?kb=shop", editor, nil), 200)
	if revs, _ := r.body["revisions"].([]any); len(revs) != 3 || revs[0].(map[string]any)["reason"] != "policy change" {
		t.Errorf("revisions of new-1: %s, want 3 with the newest's reason from X-Jieda-Reason", r.raw)
	}
	check("GET /v1/articles/{id}/revisions", s.do(t, "GET", "/v1/articles/new-2/revisions?kb=shop", editor, nil), 200) // created, then deleted
	check("GET /v1/articles/{id}/revisions", s.do(t, "GET", "/v1/articles/none/revisions?kb=shop", editor, nil), 404)
	check("GET /v1/articles/{id}/revisions", s.do(t, "GET", "/v1/articles/new-1/revisions", editor, nil), 400)
	check("GET /v1/articles/{id}/diff", s.do(t, "GET", "/v1/articles/new-1/diff?kb=shop&from=1&to=3", editor, nil), 200)
	check("GET /v1/articles/{id}/diff", s.do(t, "GET", "/v1/articles/new-1/diff?kb=shop", editor, nil), 200)
	check("GET /v1/articles/{id}/diff", s.do(t, "GET", "/v1/articles/new-1/diff?kb=shop&from=x", editor, nil), 400)
	check("GET /v1/articles/{id}/diff", s.do(t, "GET", "/v1/articles/new-1/diff?kb=shop&to=99", editor, nil), 404)
	check("POST /v1/articles/{id}/rollback", s.do(t, "POST", "/v1/articles/new-1/rollback?kb=shop", editor, map[string]any{"version": 1, "reason": "恢复第 1 版"}), 200)
	check("POST /v1/articles/{id}/rollback", s.do(t, "POST", "/v1/articles/new-1/rollback?kb=shop", editor, map[string]any{"version": 99}), 404)
	check("POST /v1/articles/{id}/rollback", s.do(t, "POST", "/v1/articles/new-1/rollback?kb=shop", editor, map[string]any{"version": 0}), 400)
	check("POST /v1/articles/{id}/rollback", s.do(t, "POST", "/v1/articles/new-2/rollback?kb=shop", editor, map[string]any{"version": 2}), 400) // the deletion

	// Intake sources and the signed webhook.
	const secret = "0123456789abcdef-secret"
	check("PUT /v1/admin/intake-sources/{name}", s.do(t, "PUT", "/v1/admin/intake-sources/desk", admin, map[string]any{"kind": "generic", "kb": "shop", "secret": secret}), 200)
	check("PUT /v1/admin/intake-sources/{name}", s.do(t, "PUT", "/v1/admin/intake-sources/cw", admin, map[string]any{"kind": "chatwoot", "kb": "shop", "secret": secret}), 200)
	check("PUT /v1/admin/intake-sources/{name}", s.do(t, "PUT", "/v1/admin/intake-sources/gone", admin, map[string]any{"kind": "generic", "kb": "shop", "secret": secret}), 200)
	check("PUT /v1/admin/intake-sources/{name}", s.do(t, "PUT", "/v1/admin/intake-sources/bad", admin, map[string]any{"kind": "zendesk", "kb": "shop", "secret": secret}), 400)
	check("PUT /v1/admin/intake-sources/{name}", s.do(t, "PUT", "/v1/admin/intake-sources/bad", admin, map[string]any{"kind": "generic", "kb": "shop", "secret": "short"}), 400)
	r = check("GET /v1/admin/intake-sources", s.do(t, "GET", "/v1/admin/intake-sources", admin, nil), 200)
	if strings.Contains(r.raw, secret) {
		t.Errorf("GET /v1/admin/intake-sources shows a secret: %s", r.raw)
	}
	check("DELETE /v1/admin/intake-sources/{name}", s.do(t, "DELETE", "/v1/admin/intake-sources/gone", admin, nil), 204)
	check("DELETE /v1/admin/intake-sources/{name}", s.do(t, "DELETE", "/v1/admin/intake-sources/gone", admin, nil), 404)
	sign := func(signed string) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(signed))
		return "sha256=" + hex.EncodeToString(mac.Sum(nil))
	}
	postIntake := func(source, body string) response {
		t.Helper()
		return sendWith(t, s, "POST", "/v1/intake/"+source, "", map[string]string{"X-Jieda-Signature": sign(body)}, body)
	}
	items := map[string]string{
		"approve": `{"question":"你们周末发货吗","reply":"周末正常发货，下午四点前付款的订单当天发出。","agent":"小美","csat":5,"ticket":"T-1","resolved_at":"2025-03-01"}`,
		"reject":  `{"question":"你们公司有多少员工","reply":"我们公司目前有大约两百名员工，分布在三个城市。","ticket":"T-2"}`,
		"merge":   `{"question":"可以用花呗分期付款吗","reply":"可以，结算时选择花呗分期，支持三期和六期。","ticket":"T-3"}`,
		"bulk1":   `{"question":"能不能指定顺丰快递","reply":"默认发中通，如需顺丰请在备注中说明并补差价十元。","ticket":"T-4"}`,
		"bulk2":   `{"question":"会员积分怎么兑换礼品","reply":"在会员中心的积分商城里选择礼品即可兑换，积分不退。","ticket":"T-5"}`,
	}
	for _, name := range []string{"approve", "reject", "merge", "bulk1", "bulk2"} {
		if r := check("POST /v1/intake/{source}", postIntake("desk", items[name]), 200); !strings.Contains(r.raw, `"accepted":true`) {
			t.Errorf("intake %s: %s", name, r.raw)
		}
	}
	if r := check("POST /v1/intake/{source}", postIntake("desk", items["approve"]), 200); !strings.Contains(r.raw, `"duplicates":1`) {
		t.Errorf("the same ticket again: %s, want a duplicate", r.raw)
	}
	check("POST /v1/intake/{source}", sendWith(t, s, "POST", "/v1/intake/desk", "", nil, items["approve"]), 401)
	check("POST /v1/intake/{source}", sendWith(t, s, "POST", "/v1/intake/desk", "", map[string]string{"X-Jieda-Signature": "sha256=00"}, items["approve"]), 401)
	check("POST /v1/intake/{source}", postIntake("nope", items["approve"]), 401) // unknown sources look like bad signatures
	check("POST /v1/intake/{source}", postIntake("desk", `{"question":"只有问题"}`), 400)
	cw := `{"event":"conversation_resolved","conversation":{"id":2077,"status":"resolved","meta":{"assignee":{"name":"小王","type":"user"}},"messages":[` +
		`{"content":"我的包裹三天了还没到，是不是丢了","message_type":"incoming","created_at":"2025-01-02T09:00:20Z","sender":{"name":"张三","type":"contact"}},` +
		`{"content":"暴雨期间包裹暂存在当地网点，道路恢复后次日派送。","message_type":"outgoing","created_at":"2025-01-02T09:04:00Z","sender":{"name":"小王","type":"user"}}]}}`
	stale := "1735812000"
	check("POST /v1/intake/{source}", sendWith(t, s, "POST", "/v1/intake/cw", "", map[string]string{"X-Chatwoot-Timestamp": stale, "X-Chatwoot-Signature": sign(stale + "." + cw)}, cw), 401)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	r = check("POST /v1/intake/{source}", sendWith(t, s, "POST", "/v1/intake/cw", "", map[string]string{"X-Chatwoot-Timestamp": ts, "X-Chatwoot-Signature": sign(ts + "." + cw)}, cw), 200)
	if !strings.Contains(r.raw, `"accepted":true`) {
		t.Errorf("a Chatwoot resolution: %s", r.raw)
	}
	openEvent := `{"event":"conversation_status_changed","id":1044,"status":"open","messages":[]}`
	if r := check("POST /v1/intake/{source}", postIntake("cw", openEvent), 200); !strings.Contains(r.raw, `"accepted":false`) {
		t.Errorf("a Chatwoot event that resolves nothing: %s, want accepted false", r.raw)
	}

	// The review queue.
	r = check("GET /v1/candidates", s.do(t, "GET", "/v1/candidates?kb=shop&sort=recent&limit=50", editor, nil), 200)
	cand := map[string]string{}
	for _, c := range r.body["candidates"].([]any) {
		m := c.(map[string]any)
		for name, body := range items {
			if q := m["representative"].(string); strings.Contains(body, `"question":"`+q+`"`) {
				cand[name] = m["id"].(string)
			}
		}
	}
	if len(cand) != len(items) {
		t.Fatalf("candidates: found %v of the intake items: %s", cand, r.raw)
	}
	check("GET /v1/candidates", s.do(t, "GET", "/v1/candidates?kb=shop&status=bogus", editor, nil), 400)
	check("GET /v1/candidates", s.do(t, "GET", "/v1/candidates?kb=nope", editor, nil), 404)
	check("GET /v1/candidates", s.do(t, "GET", "/v1/candidates?kb=shop", scopedEditor, nil), 403)
	check("GET /v1/candidates/{id}", s.do(t, "GET", "/v1/candidates/"+cand["approve"], editor, nil), 200)
	check("GET /v1/candidates/{id}", s.do(t, "GET", "/v1/candidates/"+cand["approve"], scopedEditor, nil), 404)
	check("GET /v1/candidates/{id}", s.do(t, "GET", "/v1/candidates/4a0e8f3c-7a43-4d3e-9c4f-6a1e2b0d9c17", editor, nil), 404)
	check("POST /v1/candidates/{id}/approve", s.do(t, "POST", "/v1/candidates/"+cand["approve"]+"/approve", editor, map[string]any{"as": "bogus"}), 400)
	check("POST /v1/candidates/{id}/approve", s.do(t, "POST", "/v1/candidates/"+cand["approve"]+"/approve", editor, map[string]any{
		"as": "new_article", "article_id": "weekend-ship", "question": "周末发货吗？", "category": "shipping", "locale": "zh-CN", "reason": "客服高频问题"}), 200)
	check("POST /v1/candidates/{id}/approve", s.do(t, "POST", "/v1/candidates/"+cand["approve"]+"/approve", editor, nil), 409)
	check("POST /v1/candidates/{id}/reject", s.do(t, "POST", "/v1/candidates/"+cand["reject"]+"/reject", editor, map[string]any{}), 400)
	check("POST /v1/candidates/{id}/reject", s.do(t, "POST", "/v1/candidates/"+cand["reject"]+"/reject", editor, map[string]any{"reason": "内部信息"}), 200)
	check("POST /v1/candidates/{id}/reject", s.do(t, "POST", "/v1/candidates/"+cand["reject"]+"/reject", editor, map[string]any{"reason": "again"}), 409)
	check("POST /v1/candidates/{id}/merge", s.do(t, "POST", "/v1/candidates/"+cand["merge"]+"/merge", editor, map[string]any{}), 400)
	check("POST /v1/candidates/{id}/merge", s.do(t, "POST", "/v1/candidates/"+cand["merge"]+"/merge", editor, map[string]any{"article_id": "none"}), 404)
	check("POST /v1/candidates/{id}/merge", s.do(t, "POST", "/v1/candidates/"+cand["merge"]+"/merge", editor, map[string]any{"article_id": "ship-fee"}), 200)
	r = check("POST /v1/candidates/bulk", s.do(t, "POST", "/v1/candidates/bulk", editor, map[string]any{
		"action": "reject", "ids": []string{cand["bulk1"], cand["bulk2"], "4a0e8f3c-7a43-4d3e-9c4f-6a1e2b0d9c17"}, "reason": "不适合公开"}), 200)
	if res, _ := r.body["results"].([]any); len(res) != 3 || res[0].(map[string]any)["ok"] != true || res[2].(map[string]any)["ok"] != false {
		t.Errorf("bulk reject: %s, want two decided and one error", r.raw)
	}
	check("POST /v1/candidates/bulk", s.do(t, "POST", "/v1/candidates/bulk", editor, map[string]any{"action": "reject", "ids": []string{}}), 400)
	for _, st := range []string{"approved", "rejected", "merged"} {
		check("GET /v1/candidates", s.do(t, "GET", "/v1/candidates?kb=shop&status="+st, editor, nil), 200)
	}

	// Knowledge gaps: a question the KB cannot answer, asked twice.
	for range 2 {
		check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": "你们的股票代码是多少"}), 200)
	}
	r = check("GET /v1/gaps", s.do(t, "GET", "/v1/gaps?kb=shop&min_count=1&since=7d", editor, nil), 200)
	if gaps, _ := r.body["gaps"].([]any); len(gaps) == 0 {
		t.Errorf("gaps: %s, want at least one", r.raw)
	}
	check("GET /v1/gaps", s.do(t, "GET", "/v1/gaps?kb=shop&since=bogus", editor, nil), 400)
	check("GET /v1/gaps", s.do(t, "GET", "/v1/gaps?kb=shop&limit=0", editor, nil), 400)
	check("GET /v1/gaps", s.do(t, "GET", "/v1/gaps?kb=nope", editor, nil), 404)
	check("GET /v1/gaps", s.do(t, "GET", "/v1/gaps?kb=shop", scopedEditor, nil), 403)

	// The audit log holds the changes above.
	r = check("GET /v1/audit", s.do(t, "GET", "/v1/audit?kb=shop&limit=5", admin, nil), 200)
	if entries, _ := r.body["entries"].([]any); len(entries) != 5 {
		t.Errorf("audit: %s, want a full page of 5", r.raw)
	}
	if next, _ := r.body["next"].(string); next != "" {
		check("GET /v1/audit", s.do(t, "GET", "/v1/audit?kb=shop&limit=5&cursor="+url.QueryEscape(next), admin, nil), 200)
	} else {
		t.Errorf("audit: no next cursor after a full page: %s", r.raw)
	}
	check("GET /v1/audit", s.do(t, "GET", "/v1/audit?action=candidate.approve", admin, nil), 200)
	check("GET /v1/audit", s.do(t, "GET", "/v1/audit?since=bogus", admin, nil), 400)
	check("GET /v1/audit", s.do(t, "GET", "/v1/audit?limit=0", admin, nil), 400)

	check("GET /v1/admin/backup", s.do(t, "GET", "/v1/admin/backup", admin, nil), 200)
	check("GET /v1/admin/keys", s.do(t, "GET", "/v1/admin/keys", admin, nil), 200)
	check("POST /v1/admin/keys", s.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "root"}), 400)
	check("DELETE /v1/admin/keys/{id}", s.do(t, "DELETE", "/v1/admin/keys/AAAAAAAA", admin, nil), 404)
	check("GET /readyz", s.do(t, "GET", "/readyz", "", nil), 200)
	check("GET /healthz", s.do(t, "GET", "/healthz", "", nil), 200)
	check("GET /metrics", s.do(t, "GET", "/metrics", "", nil), 200)
	check("GET /v1/openapi.json", s.do(t, "GET", "/v1/openapi.json", "", nil), 200)
	exerciseChannelOps(t, s, check, admin)

	for op := range openapitest.Ops(t, doc) {
		if !seen[op] && op != "POST /v1/admin/keys" {
			t.Errorf("%s is not exercised by this test", op)
		}
	}
}
