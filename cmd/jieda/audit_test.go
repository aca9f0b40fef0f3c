package main

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi"
)

// auditEntries lists the audit entries a key sees for query q.
func auditEntries(t *testing.T, s *testServer, key, q string) []map[string]any {
	t.Helper()
	r := s.do(t, "GET", "/v1/audit?limit=500"+q, key, nil)
	if r.status != 200 {
		t.Fatalf("audit %s: %d %s", q, r.status, r.raw)
	}
	var out []map[string]any
	for _, e := range r.body["entries"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func actions(es []map[string]any) string {
	var b []string
	for _, e := range es {
		kb, _ := e["kb"].(string)
		b = append(b, e["action"].(string)+"@"+kb)
	}
	return strings.Join(b, " ")
}

// The audit log records every change (with its KB, even when the URL
// names none) and nothing else; an import that outlives the request
// deadline is still audited; editors read their own KBs' entries.
func TestAuditRecordsChangesOnly(t *testing.T) {
	s := startServer(t, func(c *httpapi.Config) { c.RequestTimeout = 300 * time.Millisecond })
	admin, _ := s.newKey(t, apikey.RoleAdmin)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	other, _ := s.newKey(t, apikey.RoleEditor, "other")
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	// A long import: the sample KB takes far more than the request deadline.
	body, err := os.ReadFile("../../answer/samplekb/articles.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.url+"/v1/articles/import?kb=shop", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+editor)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("import: %d", resp.StatusCode)
	}
	// Customer-facing calls with a staff key change nothing worth auditing.
	for range 3 {
		ask(t, s, editor, map[string]any{"kb": "shop", "question": "退货运费谁出？"})
	}
	r := ask(t, s, editor, map[string]any{"kb": "shop", "question": "我要投诉你们，转人工"})
	hid := r.body["handoff"].(map[string]any)["id"].(string)
	if r := s.do(t, "POST", "/v1/handoffs/"+hid+"/resolve", editor, map[string]any{"reply": "已为您登记投诉，专员24小时内联系您。"}); r.status != 200 {
		t.Fatalf("resolve: %d %s", r.status, r.raw)
	}
	s.do(t, "POST", "/v1/feedback", customer, map[string]any{"answer_id": "x", "helpful": true})
	// A candidate decision names no KB in its URL; its entry has one.
	cands := s.do(t, "GET", "/v1/candidates?kb=shop", editor, nil).body["candidates"].([]any)
	if len(cands) == 0 {
		t.Fatal("no candidate from the resolved handoff")
	}
	cid := cands[0].(map[string]any)["id"].(string)
	if r := s.do(t, "POST", "/v1/candidates/"+cid+"/reject", editor, map[string]any{"reason": "a one-off complaint"}); r.status != 200 {
		t.Fatalf("reject: %d %s", r.status, r.raw)
	}
	s.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "agent"})

	all := auditEntries(t, s, admin, "")
	if got, want := actions(all), "key.create@ candidate.reject@shop handoff.resolve@shop article.import@shop"; got != want {
		t.Errorf("audit (newest first) = %q, want %q", got, want)
	}
	if d := all[1]["details"].(map[string]any); d["reason"] != "a one-off complaint" {
		t.Errorf("reject entry details = %v", d)
	}
	if got := actions(auditEntries(t, s, admin, "&action=candidate.reject")); got != "candidate.reject@shop" {
		t.Errorf("filtered by action: %q", got)
	}
	if got := actions(auditEntries(t, s, admin, "&kb=shop")); strings.Contains(got, "key.create") {
		t.Errorf("?kb=shop lists %q", got)
	}
	// Editors read their KBs' entries, never keys'; another KB's editor sees none of shop's.
	if got := actions(auditEntries(t, s, editor, "")); got != "candidate.reject@shop handoff.resolve@shop article.import@shop" {
		t.Errorf("an editor reads %q", got)
	}
	if got := auditEntries(t, s, other, ""); len(got) != 0 {
		t.Errorf("another KB's editor reads %q", actions(got))
	}
	wantError(t, "scoped editor asking for shop", s.do(t, "GET", "/v1/audit?kb=shop", other, nil), 403, "forbidden")
	wantError(t, "an agent reads the audit", s.do(t, "GET", "/v1/audit", customer, nil), 403, "forbidden")
}
