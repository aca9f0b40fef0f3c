package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi/openapitest"
)

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request with an optional bearer key and JSON body; a body
// of type string is sent as is.
func (s *testServer) do(t *testing.T, method, path, key string, body any) response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
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

// wantError checks the status and the {"error":{"code","message"}} shape.
func wantError(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d (%s)", what, r.status, status, r.raw)
		return
	}
	e, ok := r.body["error"].(map[string]any)
	if !ok || len(r.body) != 1 || len(e) != 2 {
		t.Errorf("%s: body %s, want exactly {\"error\":{\"code\",\"message\"}}", what, r.raw)
		return
	}
	if e["code"] != code {
		t.Errorf("%s: code %v, want %s (%s)", what, e["code"], code, r.raw)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Errorf("%s: empty message: %s", what, r.raw)
	}
}

func TestWhoamiEachRole(t *testing.T) {
	srv := startServer(t, nil)
	for _, r := range []apikey.Role{apikey.RoleCustomer, apikey.RoleAgent, apikey.RoleEditor, apikey.RoleAdmin} {
		key, k := srv.newKey(t, r)
		got := srv.do(t, "GET", "/v1/whoami", key, nil)
		want := map[string]any{"key_id": k.ID, "role": r.String(), "kbs": []any{}, "all_kbs": true, "name": "test " + r.String()}
		if got.status != 200 {
			t.Errorf("%s: status %d %s", r, got.status, got.raw)
		}
		if diff := cmp.Diff(want, got.body); diff != "" {
			t.Errorf("%s whoami (-want +got):\n%s", r, diff)
		}
	}
	key, k := srv.newKey(t, apikey.RoleAgent, "shop", "brand")
	got := srv.do(t, "GET", "/v1/whoami", key, nil)
	if diff := cmp.Diff([]any{"brand", "shop"}, got.body["kbs"]); diff != "" || got.body["all_kbs"] != false || got.body["key_id"] != k.ID {
		t.Errorf("scoped whoami: %s", got.raw)
	}
}

func TestAuthRefusesBadKeys(t *testing.T) {
	srv := startServer(t, nil)
	key, k := srv.newKey(t, apikey.RoleAdmin)
	other, _ := srv.newKey(t, apikey.RoleAdmin)
	_, otherSecret, _ := apikey.Parse(other)
	for _, tc := range []struct{ name, header string }{
		{"no key", ""},
		{"garbage", "Bearer garbage"},
		{"empty bearer", "Bearer "},
		{"basic auth", "Basic YWRtaW46YWRtaW4="},
		{"key without scheme", key},
		{"unknown id", "Bearer jd_ZZZZZZZZ_" + strings.Repeat("a", 40)},
		{"known id, wrong secret", "Bearer jd_" + k.ID + "_" + otherSecret},
		{"truncated secret", "Bearer " + key[:len(key)-10]},
		{"overlong", "Bearer " + key + strings.Repeat("x", 200)},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.url+"/v1/whoami", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		wantError(t, tc.name, response{status: resp.StatusCode, body: body, raw: tc.header}, 401, "unauthorized")
	}
	if r := srv.do(t, "GET", "/v1/whoami", key, nil); r.status != 200 {
		t.Errorf("the good key: %d %s", r.status, r.raw)
	}
	// Lower-case scheme is fine (RFC 9110: schemes are case-insensitive).
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.url+"/v1/whoami", nil)
	req.Header.Set("Authorization", "bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("lower-case bearer: %d", resp.StatusCode)
	}
}

func TestRolesGateRoutes(t *testing.T) {
	srv := startServer(t, nil)
	for _, r := range []apikey.Role{apikey.RoleCustomer, apikey.RoleAgent, apikey.RoleEditor} {
		key, _ := srv.newKey(t, r)
		wantError(t, r.String()+" on backup", srv.do(t, "GET", "/v1/admin/backup", key, nil), 403, "forbidden")
		wantError(t, r.String()+" on keys", srv.do(t, "GET", "/v1/admin/keys", key, nil), 403, "forbidden")
		wantError(t, r.String()+" creating a key", srv.do(t, "POST", "/v1/admin/keys", key, map[string]any{"role": "admin"}), 403, "forbidden")
	}
	wantError(t, "no key on backup", srv.do(t, "GET", "/v1/admin/backup", "", nil), 401, "unauthorized")
	admin, _ := srv.newKey(t, apikey.RoleAdmin)
	r := srv.do(t, "GET", "/v1/admin/backup", admin, nil)
	if r.status != 200 || r.header.Get("Content-Type") != "application/octet-stream" || len(r.raw) == 0 {
		t.Errorf("admin backup: %d %s %d bytes", r.status, r.header.Get("Content-Type"), len(r.raw))
	}
	// A KB-scoped admin may neither back up every KB nor mint keys (it could mint unscoped ones).
	scoped, _ := srv.newKey(t, apikey.RoleAdmin, "shop")
	wantError(t, "scoped admin backing up", srv.do(t, "GET", "/v1/admin/backup", scoped, nil), 403, "forbidden")
	wantError(t, "scoped admin creating a key", srv.do(t, "POST", "/v1/admin/keys", scoped, map[string]any{"role": "admin"}), 403, "forbidden")
}

func TestKBScopes(t *testing.T) {
	srv := startServer(t, nil)
	scoped, _ := srv.newKey(t, apikey.RoleAgent, "shop")
	if r := srv.do(t, "GET", "/v1/whoami?kb=shop", scoped, nil); r.status != 200 {
		t.Errorf("scoped key on its KB: %d %s", r.status, r.raw)
	}
	wantError(t, "scoped key on another KB", srv.do(t, "GET", "/v1/whoami?kb=brand", scoped, nil), 403, "forbidden")
	all, _ := srv.newKey(t, apikey.RoleCustomer)
	if r := srv.do(t, "GET", "/v1/whoami?kb=brand", all, nil); r.status != 200 {
		t.Errorf("unscoped key: %d %s", r.status, r.raw)
	}
}

func TestRevocationWithinTTL(t *testing.T) {
	srv := startServer(t, nil) // default TTL, fake clock
	key, k := srv.newKey(t, apikey.RoleCustomer)
	if r := srv.do(t, "GET", "/v1/whoami", key, nil); r.status != 200 {
		t.Fatalf("fresh key: %d %s", r.status, r.raw)
	}
	// Revoked in the store behind the server's back (as the CLI would on a shared store).
	if _, changed, err := apikey.NewStore(srv.store).Revoke(t.Context(), k.ID, time.Now()); err != nil || !changed {
		t.Fatalf("revoke: %v %v", changed, err)
	}
	if r := srv.do(t, "GET", "/v1/whoami", key, nil); r.status != 200 {
		t.Errorf("within the TTL the cached key still works: %d", r.status)
	}
	srv.clock.Advance(30*time.Second + time.Second)
	wantError(t, "revoked key after the TTL", srv.do(t, "GET", "/v1/whoami", key, nil), 401, "unauthorized")

	// Without the cache, revocation is immediate.
	srv2 := startServer(t, nil, withKeyCacheTTL(0))
	key2, k2 := srv2.newKey(t, apikey.RoleAgent)
	if r := srv2.do(t, "GET", "/v1/whoami", key2, nil); r.status != 200 {
		t.Fatalf("fresh key: %d", r.status)
	}
	if _, _, err := apikey.NewStore(srv2.store).Revoke(t.Context(), k2.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	r := srv2.do(t, "GET", "/v1/whoami", key2, nil)
	wantError(t, "revoked key, no cache", r, 401, "unauthorized")
	if msg := r.body["error"].(map[string]any)["message"]; !strings.Contains(msg.(string), "revoked") {
		t.Errorf("message should say the key was revoked: %v", msg)
	}
}

func TestAdminKeyAPI(t *testing.T) {
	srv := startServer(t, nil) // default TTL: revocation through the API must skip it
	admin, _ := srv.newKey(t, apikey.RoleAdmin)
	r := srv.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "customer", "kbs": []string{"shop"}, "name": "web widget"})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	key, _ := r.body["key"].(string)
	id, _, ok := apikey.Parse(key)
	if !ok || r.body["key_id"] != id || r.body["role"] != "customer" {
		t.Fatalf("create response: %s", r.raw)
	}
	if w := srv.do(t, "GET", "/v1/whoami?kb=shop", key, nil); w.status != 200 || w.body["role"] != "customer" {
		t.Errorf("new key: %d %s", w.status, w.raw)
	}
	l := srv.do(t, "GET", "/v1/admin/keys", admin, nil)
	if l.status != 200 || !strings.Contains(l.raw, id) {
		t.Errorf("list: %d %s", l.status, l.raw)
	}
	_, secret, _ := apikey.Parse(key)
	if strings.Contains(l.raw, secret) || strings.Contains(l.raw, "sha256") {
		t.Errorf("list shows a secret or hash: %s", l.raw)
	}
	if d := srv.do(t, "DELETE", "/v1/admin/keys/"+id, admin, nil); d.status != 200 || d.body["revoked_at"] == nil {
		t.Errorf("revoke: %d %s", d.status, d.raw)
	}
	wantError(t, "key revoked through the API", srv.do(t, "GET", "/v1/whoami", key, nil), 401, "unauthorized")
	wantError(t, "revoke unknown", srv.do(t, "DELETE", "/v1/admin/keys/ZZZZZZZZ", admin, nil), 404, "not_found")
	wantError(t, "bad role", srv.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "root"}), 400, "bad_request")
	wantError(t, "empty kb", srv.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "agent", "kbs": []string{" "}}), 400, "bad_request")
}

func TestBootstrapAdminKey(t *testing.T) {
	srv := startServer(t, func(c *httpapi.Config) { c.AdminKey = "boot-secret" })
	r := srv.do(t, "GET", "/v1/whoami", "boot-secret", nil)
	if r.status != 200 || r.body["role"] != "admin" || r.body["key_id"] != httpapi.BootstrapKeyID {
		t.Errorf("bootstrap whoami: %d %s", r.status, r.raw)
	}
	if r := srv.do(t, "GET", "/v1/admin/backup", "boot-secret", nil); r.status != 200 {
		t.Errorf("bootstrap backup: %d %s", r.status, r.raw)
	}
	if r := srv.do(t, "POST", "/v1/admin/keys", "boot-secret", map[string]any{"role": "editor"}); r.status != 201 {
		t.Errorf("bootstrap creates keys: %d %s", r.status, r.raw)
	}
	wantError(t, "wrong bootstrap", srv.do(t, "GET", "/v1/admin/backup", "boot-secreT", nil), 401, "unauthorized")
	// Without server.admin_key nothing authenticates as bootstrap.
	srv2 := startServer(t, nil)
	wantError(t, "no bootstrap configured", srv2.do(t, "GET", "/v1/whoami", "boot-secret", nil), 401, "unauthorized")
}

func TestErrorBodies(t *testing.T) {
	srv := startServer(t, func(c *httpapi.Config) { c.BodyLimit = 1024 })
	admin, _ := srv.newKey(t, apikey.RoleAdmin)
	customer, _ := srv.newKey(t, apikey.RoleCustomer)
	wantError(t, "401", srv.do(t, "GET", "/v1/whoami", "", nil), 401, "unauthorized")
	wantError(t, "403", srv.do(t, "GET", "/v1/admin/keys", customer, nil), 403, "forbidden")
	wantError(t, "unknown route", srv.do(t, "GET", "/v1/nope", customer, nil), 404, "not_found")
	wantError(t, "unknown top-level route", srv.do(t, "GET", "/nope", "", nil), 404, "not_found")
	wantError(t, "unknown admin route", srv.do(t, "GET", "/v1/admin/nope", admin, nil), 404, "not_found")
	big := `{"role":"agent","name":"` + strings.Repeat("x", 2000) + `"}`
	wantError(t, "too large", srv.do(t, "POST", "/v1/admin/keys", admin, big), 413, "payload_too_large")
	wantError(t, "malformed JSON", srv.do(t, "POST", "/v1/admin/keys", admin, `{"role": "agent",`), 400, "bad_request")
	wantError(t, "not an object", srv.do(t, "POST", "/v1/admin/keys", admin, `[1,2]`), 400, "bad_request")
	wantError(t, "unknown field", srv.do(t, "POST", "/v1/admin/keys", admin, `{"role":"agent","rol":"x"}`), 400, "bad_request")
	wantError(t, "trailing data", srv.do(t, "POST", "/v1/admin/keys", admin, `{"role":"agent"} {}`), 400, "bad_request")
	wantError(t, "empty body", srv.do(t, "POST", "/v1/admin/keys", admin, " "), 400, "bad_request")
	wantError(t, "invalid UTF-8", srv.do(t, "POST", "/v1/admin/keys", admin, "{\"role\":\"agent\",\"name\":\"\xff\"}"), 400, "bad_request")

	req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.url+"/v1/admin/keys", strings.NewReader("role=agent"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	wantError(t, "form body", response{status: resp.StatusCode, body: body}, 415, "unsupported_media_type")
}

func TestRateLimitCustomerKeys(t *testing.T) {
	srv := startServer(t, func(c *httpapi.Config) { c.RateLimit, c.RateBurst = 2, 3 })
	customer, _ := srv.newKey(t, apikey.RoleCustomer)
	for i := range 3 {
		if r := srv.do(t, "GET", "/v1/whoami", customer, nil); r.status != 200 {
			t.Fatalf("request %d within the burst: %d %s", i, r.status, r.raw)
		}
	}
	r := srv.do(t, "GET", "/v1/whoami", customer, nil)
	wantError(t, "past the burst", r, 429, "rate_limited")
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	// Another customer key has its own bucket; staff keys are not limited.
	other, _ := srv.newKey(t, apikey.RoleCustomer)
	if r := srv.do(t, "GET", "/v1/whoami", other, nil); r.status != 200 {
		t.Errorf("another key: %d", r.status)
	}
	agent, _ := srv.newKey(t, apikey.RoleAgent)
	for i := range 10 {
		if r := srv.do(t, "GET", "/v1/whoami", agent, nil); r.status != 200 {
			t.Fatalf("agent request %d: %d", i, r.status)
		}
	}
	// Tokens come back at the configured rate.
	srv.clock.Advance(500 * time.Millisecond)
	if r := srv.do(t, "GET", "/v1/whoami", customer, nil); r.status != 200 {
		t.Errorf("after one token's time: %d %s", r.status, r.raw)
	}
	wantError(t, "bucket empty again", srv.do(t, "GET", "/v1/whoami", customer, nil), 429, "rate_limited")
}

// oa is the response as openapitest checks it.
func (r response) oa() openapitest.Response {
	return openapitest.Response{Status: r.status, Header: r.header, Raw: r.raw}
}
