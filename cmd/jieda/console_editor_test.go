package main

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
)

// editorPages are the editors' workspace's pages (GET).
var editorPages = []string{
	"/console/candidates", "/console/articles", "/console/articles/edit?id=ship-fee", "/console/articles/history?id=ship-fee",
	"/console/articles/import", "/console/articles/export", "/console/articles/pick?q=x", "/console/gaps",
	"/console/playground?q=x", "/console/calibration", "/console/insights", "/console/admin",
}

// TestConsoleEditorAccess: an agent reaches no editor page; an editor
// scoped to one KB never sees another's data; key and source
// management needs an admin key valid for every KB — as in the API.
func TestConsoleEditorAccess(t *testing.T) {
	s := startServer(t, nil)
	importConsoleKB(t, s, "shop")
	importConsoleKB(t, s, "other")
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	agent, _ := s.newKey(t, apikey.RoleAgent)
	// A candidate in the other KB.
	id := askHandoff(t, s, customer, "other", "转人工：其他店铺的秘密问题", "")
	if r := s.do(t, "POST", "/v1/handoffs/"+id+"/resolve", agent, map[string]any{"reply": "这是另一个店铺的内部回复，请勿外传。"}); r.status != 200 {
		t.Fatal(r.raw)
	}

	ac := newConsoleClient(t, s)
	csrf := ac.mustLogin(agent)
	if p := ac.get("/console/handoffs"); strings.Contains(p.body, `href="/console/candidates"`) {
		t.Error("an agent's menu offers the review queue")
	}
	for _, path := range editorPages {
		if p := ac.get(path); p.status != http.StatusForbidden || !strings.Contains(p.body, "Your key does not allow this.") {
			t.Errorf("agent GET %s: %d, want 403 as a person reads it", path, p.status)
		}
	}
	for _, path := range []string{"/console/calibration", "/console/articles/edit", "/console/admin/keys"} {
		if p := ac.post(path, url.Values{"csrf": {csrf}, "threshold": {"0.5"}, "role": {"admin"}}); p.status != http.StatusForbidden {
			t.Errorf("agent POST %s: %d, want 403", path, p.status)
		}
	}

	editor, _ := s.newKey(t, apikey.RoleEditor, "shop")
	ec := newConsoleClient(t, s)
	ec.mustLogin(editor)
	for _, path := range editorPages[:len(editorPages)-1] { // every editor page but the administration
		p := ec.get(path)
		if p.status != http.StatusOK {
			t.Errorf("editor GET %s: %d\n%s", path, p.status, p.body)
		}
		if strings.Contains(p.body, "其他店铺") || strings.Contains(p.body, `value="other"`) {
			t.Errorf("editor GET %s shows the other KB", path)
		}
		if q := ec.get(strings.Replace(path+sep(path)+"kb=other", "?&", "?", 1)); q.status != http.StatusForbidden {
			t.Errorf("editor GET %s for the other KB: %d, want 403", path, q.status)
		}
	}
	otherCands := s.do(t, "GET", "/v1/candidates?kb=other", mustAdmin(t, s), nil)
	list, _ := otherCands.body["candidates"].([]any)
	if len(list) != 1 {
		t.Fatalf("the other KB's candidates: %s", otherCands.raw)
	}
	cid := list[0].(map[string]any)["id"].(string)
	if p := ec.get("/console/candidates/" + cid); p.status != http.StatusNotFound || strings.Contains(p.body, "其他店铺") {
		t.Errorf("the other KB's candidate: %d, want 404 without its text", p.status)
	}
	if p := ec.get("/console/admin"); p.status != http.StatusForbidden {
		t.Errorf("an editor on the administration: %d", p.status)
	}

	scopedAdmin, _ := s.newKey(t, apikey.RoleAdmin, "shop")
	sc := newConsoleClient(t, s)
	scsrf := sc.mustLogin(scopedAdmin)
	if p := sc.get("/console/admin"); p.status != 200 || strings.Contains(p.body, "API keys") || !strings.Contains(p.body, "valid for every knowledge base") {
		t.Errorf("a scoped admin's administration page: %d", p.status)
	}
	if p := sc.post("/console/admin/keys", url.Values{"csrf": {scsrf}, "role": {"admin"}}); p.status != http.StatusForbidden {
		t.Errorf("a scoped admin creating a key: %d, want 403", p.status)
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

// mustAdmin is a fresh unscoped admin key.
func mustAdmin(t *testing.T, s *testServer) string {
	t.Helper()
	k, _ := s.newKey(t, apikey.RoleAdmin)
	return k
}

var newKeyShown = regexp.MustCompile(`<code id="new-key">(jd_[A-Za-z0-9_]+)</code>`)

// TestConsoleAdministration: keys (secret shown once, revocation at once),
// the webhook with a test delivery, intake sources, import and export,
// bulk review.
func TestConsoleAdministration(t *testing.T) {
	s := startServer(t, nil)
	importConsoleKB(t, s, "shop")
	admin := mustAdmin(t, s)
	cc := newConsoleClient(t, s)
	csrf := cc.mustLogin(admin)

	p := cc.post("/console/admin/keys", url.Values{"csrf": {csrf}, "role": {"agent"}, "kbs": {"shop"}, "name": {"小李"}})
	m := newKeyShown.FindStringSubmatch(p.body)
	if p.status != 200 || m == nil {
		t.Fatalf("creating a key: %d, the secret not shown\n%s", p.status, p.body)
	}
	key := m[1]
	if r := s.do(t, "GET", "/v1/whoami", key, nil); r.status != 200 || r.body["role"] != "agent" {
		t.Fatalf("the new key: %s", r.raw)
	}
	if again := cc.get("/console/admin"); strings.Contains(again.body, key) {
		t.Error("the secret is shown again")
	}
	keyID := strings.Split(key, "_")[1]
	if p := cc.post("/console/admin/keys/"+keyID+"/revoke", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther {
		t.Errorf("revoking: %d\n%s", p.status, p.body)
	}
	wantError(t, "the revoked key", s.do(t, "GET", "/v1/whoami", key, nil), 401, "unauthorized")

	// The webhook: saved, tested against a receiver that accepts, then one that refuses.
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Jieda-Event") != "webhook.test" || r.Header.Get("X-Jieda-Signature") == "" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer ok.Close()
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "nope", http.StatusTeapot) }))
	defer refuse.Close()
	if p := cc.post("/console/admin/settings", url.Values{"csrf": {csrf}, "kb": {"shop"}, "url": {ok.URL}, "secret": {"s3cret-s3cret-s3cret"}}); p.status != http.StatusSeeOther {
		t.Fatalf("saving the webhook: %d\n%s", p.status, p.body)
	}
	if p := cc.post("/console/admin/webhook-test", url.Values{"csrf": {csrf}, "kb": {"shop"}}); p.status != http.StatusSeeOther || !strings.Contains(p.location, "msg=webhooktested") {
		t.Errorf("testing an accepting webhook: %d %s\n%s", p.status, p.location, p.body)
	}
	cc.post("/console/admin/settings", url.Values{"csrf": {csrf}, "kb": {"shop"}, "url": {refuse.URL}})
	if p := cc.post("/console/admin/webhook-test", url.Values{"csrf": {csrf}, "kb": {"shop"}}); p.status != http.StatusBadGateway || !strings.Contains(p.body, "did not accept the test delivery") || !strings.Contains(p.body, "418") {
		t.Errorf("testing a refusing webhook: %d\n%s", p.status, p.body)
	}

	// Intake sources.
	if p := cc.post("/console/admin/sources", url.Values{"csrf": {csrf}, "name": {"desk"}, "kind": {"generic"}, "source_kb": {"shop"}, "secret": {"short"}}); p.status != http.StatusBadRequest {
		t.Errorf("a source with a short secret: %d", p.status)
	}
	if p := cc.post("/console/admin/sources", url.Values{"csrf": {csrf}, "name": {"desk"}, "kind": {"generic"}, "source_kb": {"shop"}, "secret": {"a-long-shared-secret"}}); p.status != http.StatusSeeOther {
		t.Errorf("a source: %d\n%s", p.status, p.body)
	}
	if p := cc.get("/console/admin"); !strings.Contains(p.body, "/v1/intake/desk") {
		t.Error("the source is not listed")
	}

	// Import: a bad line stops the whole file; a good file is imported; export gives it back.
	upload := func(name, body string) page {
		t.Helper()
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.WriteField("csrf", csrf)
		_ = w.WriteField("kb", "shop")
		fw, _ := w.CreateFormFile("file", name)
		_, _ = fw.Write([]byte(body))
		_ = w.Close()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+"/console/articles/import?kb=shop", &b)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Accept-Language", "en")
		return cc.do(req)
	}
	p = upload("new.jsonl", `{"id":"cod","question":"支持货到付款吗","answer":"支持。"}`+"\n"+`{"id":"x y","question":"","answer":""}`+"\n")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "<td>2</td>") || !strings.Contains(p.body, "was not imported") {
		t.Errorf("an import with a bad line 2: %d\n%s", p.status, p.body)
	}
	if r := s.do(t, "GET", "/v1/articles/cod?kb=shop", admin, nil); r.status != 404 {
		t.Errorf("the good line of a refused file was imported: %s", r.raw)
	}
	p = upload("new.csv", "id,question,answer\ncod,支持货到付款吗,支持，加收 5 元。\n")
	if p.status != 200 || !strings.Contains(p.body, "Imported 1 articles: 1 new") {
		t.Errorf("a good import: %d\n%s", p.status, p.body)
	}
	if p := cc.get("/console/articles/export?kb=shop"); p.status != 200 || !strings.Contains(p.body, `"id":"cod"`) || strings.Count(p.body, "\n") != 6 {
		t.Errorf("export: %d %q", p.status, p.body)
	}

	// Bulk review: preview, then confirm.
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	var ids []string
	for q, reply := range map[string]string{"转人工：能开专票吗": "可以开增值税专用发票，请在订单详情页填写公司税号。", "转人工：可以寄到香港吗": "香港地区顺丰发货，运费 20 元，3 到 5 个工作日送达。"} {
		hid := askHandoff(t, s, customer, "shop", q, "")
		s.do(t, "POST", "/v1/handoffs/"+hid+"/resolve", admin, map[string]any{"reply": reply})
	}
	for _, c := range s.do(t, "GET", "/v1/candidates?kb=shop", admin, nil).body["candidates"].([]any) {
		ids = append(ids, c.(map[string]any)["id"].(string))
	}
	if len(ids) != 2 {
		t.Fatalf("candidates: %v", ids)
	}
	form := url.Values{"csrf": {csrf}, "kb": {"shop"}, "action": {"reject"}, "reason": {"one-off"}, "ids": ids}
	if p := cc.post("/console/candidates/bulk", form); p.status != 200 || !strings.Contains(p.body, "Reject these 2 candidates") {
		t.Errorf("bulk preview: %d\n%s", p.status, p.body)
	}
	form.Set("confirm", "1")
	if p := cc.post("/console/candidates/bulk", form); p.status != 200 || strings.Count(p.body, "✓") != 2 {
		t.Errorf("bulk confirm: %d\n%s", p.status, p.body)
	}
	if r := s.do(t, "GET", "/v1/candidates?kb=shop&status=rejected", admin, nil); len(r.body["candidates"].([]any)) != 2 {
		t.Errorf("after the bulk reject: %s", r.raw)
	}
	// Editors' changes are audited, as the API's are.
	if r := s.do(t, "GET", "/v1/audit?kb=shop&action=candidate.bulk", admin, nil); len(r.body["entries"].([]any)) != 1 {
		t.Errorf("audit of the bulk review: %s", r.raw)
	}
}
