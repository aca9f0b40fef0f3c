package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/index/qdrant/qdranttest"
)

// TestCurationLoop is the loop over real HTTP on a real store: a question
// the KB cannot answer is handed off, an agent resolves it, the reply
// becomes a candidate, an editor approves it, and the same question is
// then answered with the agent's reply.
func TestCurationLoop(t *testing.T) {
	curationLoop(t, startAnswerServerOnly(t))
}

// TestCurationLoopOnQdrant runs the same loop with the Qdrant engine (over
// the in-process server speaking Qdrant's gRPC protocol; a real Qdrant
// when QDRANT_ADDR is set is exercised by the index contract suite).
func TestCurationLoopOnQdrant(t *testing.T) {
	srv := qdranttest.Start(t, nil)
	curationLoop(t, startServer(t, nil, onQdrant(srv.Addr())))
}

func startAnswerServerOnly(t *testing.T) *testServer {
	s, _ := startAnswerServer(t, nil)
	return s
}

func curationLoop(t *testing.T, s *testServer) {
	t.Helper()
	editor, _ := s.newKey(t, apikey.RoleEditor)
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	agent, _ := s.newKey(t, apikey.RoleAgent)
	importTestKB(t, s, editor, "shop")

	const q = "你们支持货到付款吗"
	r := ask(t, s, customer, map[string]any{"kb": "shop", "question": q})
	if r.body["decision"] != "handoff" {
		t.Fatalf("before curation: %s, want a handoff", r.raw)
	}
	hid := r.body["handoff"].(map[string]any)["id"].(string)
	const reply = "支持的，下单时选择货到付款，快递员上门时可用现金或扫码支付，需加收5元手续费。"
	r = s.do(t, "POST", "/v1/handoffs/"+hid+"/resolve", agent, map[string]any{"reply": "您好，" + reply + "联系电话13812345678", "csat": 5})
	if r.status != 200 {
		t.Fatalf("resolve: %d %s", r.status, r.raw)
	}
	cur := r.body["curation"].(map[string]any)
	if cur["candidates"].(float64) != 1 || cur["new_articles"].(float64) != 1 {
		t.Fatalf("curation of the reply: %v", cur)
	}

	r = s.do(t, "GET", "/v1/candidates?kb=shop&status=pending&sort=impact", editor, nil)
	cands := r.body["candidates"].([]any)
	if r.status != 200 || len(cands) != 1 {
		t.Fatalf("candidates: %d %s", r.status, r.raw)
	}
	cand := cands[0].(map[string]any)
	if cand["kind"] != "new_article" || cand["representative"] != q || cand["handoffs"].(float64) != 1 {
		t.Errorf("candidate = %v", cand)
	}
	if best := cand["best_reply"].(string); strings.Contains(best, "13812345678") || !strings.Contains(best, "{phone}") {
		t.Errorf("PII not scrubbed from the reply: %q", best)
	}
	wantError(t, "customer lists candidates", s.do(t, "GET", "/v1/candidates?kb=shop", customer, nil), 403, "forbidden")
	wantError(t, "agent approves", s.do(t, "POST", "/v1/candidates/"+cand["id"].(string)+"/approve", agent, nil), 403, "forbidden")

	r = s.do(t, "POST", "/v1/candidates/"+cand["id"].(string)+"/approve", editor, map[string]any{"answer": reply, "category": "payments"})
	if r.status != 200 || r.body["status"] != "approved" {
		t.Fatalf("approve: %d %s", r.status, r.raw)
	}
	wantError(t, "approve twice", s.do(t, "POST", "/v1/candidates/"+cand["id"].(string)+"/approve", editor, nil), 409, "conflict")

	r = ask(t, s, customer, map[string]any{"kb": "shop", "question": q})
	if r.body["decision"] != "answer" || r.body["answer"].(map[string]any)["answer"] != reply {
		t.Fatalf("after approval: %s, want the promoted answer", r.raw)
	}

	// A reply repeating an article's answer suggests a variant of it.
	r = ask(t, s, customer, map[string]any{"kb": "shop", "question": "东西收到了但是不喜欢可以退吗"})
	if r.body["decision"] == "handoff" {
		hid := r.body["handoff"].(map[string]any)["id"].(string)
		r = s.do(t, "POST", "/v1/handoffs/"+hid+"/resolve", agent, map[string]any{"reply": "签收后7天内在订单详情点击申请退货。"})
		if cur := r.body["curation"].(map[string]any); cur["variants"].(float64) != 1 {
			t.Errorf("a reply equal to an article's answer: %v, want a variant suggestion", cur)
		}
	}

	// Reject with a reason; the same question later is suppressed.
	r = ask(t, s, customer, map[string]any{"kb": "shop", "question": "你们公司有多少员工"})
	hid = r.body["handoff"].(map[string]any)["id"].(string)
	s.do(t, "POST", "/v1/handoffs/"+hid+"/resolve", agent, map[string]any{"reply": "我们公司目前有大约两百名员工，分布在三个城市。"})
	r = s.do(t, "GET", "/v1/candidates?kb=shop", editor, nil)
	var rejectID string
	for _, c := range r.body["candidates"].([]any) {
		if m := c.(map[string]any); m["representative"] == "你们公司有多少员工" {
			rejectID = m["id"].(string)
		}
	}
	if rejectID == "" {
		t.Fatalf("no candidate for the staff question: %s", r.raw)
	}
	wantError(t, "reject without reason", s.do(t, "POST", "/v1/candidates/"+rejectID+"/reject", editor, map[string]any{}), 400, "bad_request")
	if r := s.do(t, "POST", "/v1/candidates/"+rejectID+"/reject", editor, map[string]any{"reason": "not for customers"}); r.status != 200 {
		t.Fatalf("reject: %d %s", r.status, r.raw)
	}
	r = ask(t, s, customer, map[string]any{"kb": "shop", "question": "你们公司有多少员工"})
	hid = r.body["handoff"].(map[string]any)["id"].(string)
	r = s.do(t, "POST", "/v1/handoffs/"+hid+"/resolve", agent, map[string]any{"reply": "员工两百人左右，主要在研发和客服部门工作。"})
	if cur := r.body["curation"].(map[string]any); cur["suppressed"].(float64) != 1 {
		t.Errorf("a candidate matching a rejected one: %v, want suppressed", cur)
	}
}

func TestIntakeWebhookSignature(t *testing.T) {
	s, _ := startAnswerServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	admin, _ := s.newKey(t, apikey.RoleAdmin)
	importTestKB(t, s, editor, "shop")
	const secret = "0123456789abcdef-secret"
	if r := s.do(t, "PUT", "/v1/admin/intake-sources/desk", admin, map[string]any{"kind": "generic", "kb": "shop", "secret": secret}); r.status != 200 || strings.Contains(r.raw, secret) {
		t.Fatalf("create source: %d %s", r.status, r.raw)
	}
	body := `{"question":"你们周末发货吗","reply":"周末正常发货，下午四点前付款的订单当天发出。","agent":"a7","csat":5,"ticket":"T-1"}`
	post := func(sig string) response {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.url+"/v1/intake/desk", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sig != "" {
			req.Header.Set("X-Jieda-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var raw strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			raw.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return response{status: resp.StatusCode, raw: raw.String()}
	}
	if r := post(""); r.status != 401 {
		t.Errorf("unsigned: %d %s", r.status, r.raw)
	}
	if r := post("sha256=00"); r.status != 401 {
		t.Errorf("bad signature: %d %s", r.status, r.raw)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if r := post(sig); r.status != 200 || !strings.Contains(r.raw, `"candidates":1`) {
		t.Errorf("signed: %d %s", r.status, r.raw)
	}
	if r := post(sig); r.status != 200 || !strings.Contains(r.raw, `"duplicates":1`) {
		t.Errorf("the same ticket again: %d %s, want a duplicate", r.status, r.raw)
	}
}

// TestRevisionsRollbackAudit edits an article over the API, lists its
// revisions, diffs them, rolls back, and reads the audit log.
func TestRevisionsRollbackAudit(t *testing.T) {
	s, _ := startAnswerServer(t, nil)
	editor, ek := s.newKey(t, apikey.RoleEditor)
	admin, _ := s.newKey(t, apikey.RoleAdmin)
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	importTestKB(t, s, editor, "shop")
	art := map[string]any{"id": "invoice", "question": "怎么开发票", "variants": []string{"发票在哪里申请"}, "answer": "在订单详情页点击申请开票。", "category": "invoices"}
	if r := s.do(t, "PUT", "/v1/articles/invoice?kb=shop", editor, art); r.status != 200 || r.body["version"].(float64) != 2 {
		t.Fatalf("edit: %d %s", r.status, r.raw)
	}
	r := s.do(t, "GET", "/v1/articles/invoice/revisions?kb=shop", editor, nil)
	revs, _ := r.body["revisions"].([]any)
	if r.status != 200 || len(revs) != 2 {
		t.Fatalf("revisions: %d %s", r.status, r.raw)
	}
	newest := revs[0].(map[string]any)
	if newest["version"].(float64) != 2 || newest["action"] != "edit" || newest["author"] != ek.ID {
		t.Errorf("newest revision = %v", newest)
	}
	r = s.do(t, "GET", "/v1/articles/invoice/diff?kb=shop&from=1&to=2", editor, nil)
	if r.status != 200 || !strings.Contains(r.raw, "能开增值税专用发票吗") {
		t.Errorf("diff (a removed variant): %d %s", r.status, r.raw)
	}
	r = s.do(t, "POST", "/v1/articles/invoice/rollback?kb=shop", editor, map[string]any{"version": 1, "reason": "bad edit"})
	if r.status != 200 || r.body["version"].(float64) != 3 || len(r.body["variants"].([]any)) != 2 {
		t.Fatalf("rollback: %d %s", r.status, r.raw)
	}
	wantError(t, "rollback to a missing version", s.do(t, "POST", "/v1/articles/invoice/rollback?kb=shop", editor, map[string]any{"version": 99}), 404, "not_found")
	if r := s.do(t, "GET", "/v1/audit?kb=shop", editor, nil); r.status != 200 {
		t.Errorf("an editor reads its KB's audit: %d %s", r.status, r.raw)
	}
	wantError(t, "customer reads revisions", s.do(t, "GET", "/v1/articles/invoice/revisions?kb=shop", customer, nil), 403, "forbidden")
	r = s.do(t, "GET", "/v1/audit?kb=shop", admin, nil)
	entries, _ := r.body["entries"].([]any)
	if r.status != 200 || len(entries) < 3 {
		t.Fatalf("audit: %d %s", r.status, r.raw)
	}
	if e := entries[0].(map[string]any); e["action"] != "article.rollback" || e["actor"] != ek.ID || e["target"] != "invoice" ||
		e["details"].(map[string]any)["reason"] != "bad edit" {
		t.Errorf("newest audit entry = %v", e)
	}
}

// TestReviewDue lists the articles whose review_by date has passed.
func TestReviewDue(t *testing.T) {
	s, _ := startAnswerServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	importTestKB(t, s, editor, "shop")
	for id, when := range map[string]string{"old": "2020-01-01T00:00:00Z", "later": "2999-01-01T00:00:00Z"} {
		art := map[string]any{"question": "问题" + id, "answer": "答案" + id, "review_by": when}
		if r := s.do(t, "PUT", "/v1/articles/"+id+"?kb=shop", editor, art); r.status != 201 {
			t.Fatalf("create %s: %d %s", id, r.status, r.raw)
		}
	}
	r := s.do(t, "GET", "/v1/articles?kb=shop&review_due=true", editor, nil)
	arts, _ := r.body["articles"].([]any)
	if r.status != 200 || len(arts) != 1 || arts[0].(map[string]any)["id"] != "old" {
		t.Errorf("review due: %d %s, want only the article past its review_by", r.status, r.raw)
	}
}

// TestCurationThresholds stores a KB's own curation thresholds.
func TestCurationThresholds(t *testing.T) {
	s, _ := startAnswerServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	importTestKB(t, s, editor, "shop")
	if r := s.do(t, "PUT", "/v1/kbs/shop/curation", editor, map[string]any{"cluster_similarity": 0.8}); r.status != 200 {
		t.Fatalf("put: %d %s", r.status, r.raw)
	}
	r := s.do(t, "GET", "/v1/kbs/shop/curation", editor, nil)
	th := r.body["thresholds"].(map[string]any)
	if r.status != 200 || th["cluster_similarity"] != 0.8 || r.body["defaults"].(map[string]any)["reply_match"] != 0.6 {
		t.Errorf("get: %d %s", r.status, r.raw)
	}
	wantError(t, "threshold above 1", s.do(t, "PUT", "/v1/kbs/shop/curation", editor, map[string]any{"reply_match": 2}), 400, "bad_request")
	wantError(t, "unknown kb", s.do(t, "GET", "/v1/kbs/nosuch/curation", editor, nil), 404, "not_found")
}
