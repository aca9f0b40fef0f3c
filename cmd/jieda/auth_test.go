package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/index"
)

// fakeClock is a settable clock for the key cache and the rate limiter.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testServer is newServer on a real listener over a real embedded store.
type testServer struct {
	url   string
	store index.Store
	clock *fakeClock
}

// startServer serves newServer(cfg) on a loopback port; edit adjusts the
// default server config.
func startServer(t *testing.T, edit func(*ServerConfig), opts ...authOption) *testServer {
	t.Helper()
	store := openEmbedded(t, t.TempDir())
	cfg := DefaultConfig().Server
	if edit != nil {
		edit(&cfg)
	}
	clock := newFakeClock()
	comps := &components{}
	comps.setStore("embedded", store, nil)
	opts = append([]authOption{withClock(clock.Now)}, opts...)
	app := newServer(cfg, comps, slog.New(slog.DiscardHandler), opts...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	t.Cleanup(func() {
		if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &testServer{url: "http://" + ln.Addr().String(), store: store, clock: clock}
}

// newKey stores a key directly in the server's store.
func (s *testServer) newKey(t *testing.T, r role, kbs ...string) (string, apiKey) {
	t.Helper()
	key, k, err := createKey(t.Context(), s.store, r, kbs, "test "+r.String(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return key, k
}

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
	for _, r := range []role{roleCustomer, roleAgent, roleEditor, roleAdmin} {
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
	key, k := srv.newKey(t, roleAgent, "shop", "brand")
	got := srv.do(t, "GET", "/v1/whoami", key, nil)
	if diff := cmp.Diff([]any{"brand", "shop"}, got.body["kbs"]); diff != "" || got.body["all_kbs"] != false || got.body["key_id"] != k.ID {
		t.Errorf("scoped whoami: %s", got.raw)
	}
}

func TestAuthRefusesBadKeys(t *testing.T) {
	srv := startServer(t, nil)
	key, k := srv.newKey(t, roleAdmin)
	other, _ := srv.newKey(t, roleAdmin)
	_, otherSecret, _ := parseKey(other)
	for _, tc := range []struct{ name, header string }{
		{"no key", ""},
		{"garbage", "Bearer garbage"},
		{"empty bearer", "Bearer "},
		{"basic auth", "Basic YWRtaW46YWRtaW4="},
		{"key without scheme", key},
		{"unknown id", "Bearer jd_ZZZZZZZZ_" + strings.Repeat("a", keySecretLen)},
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
	for _, r := range []role{roleCustomer, roleAgent, roleEditor} {
		key, _ := srv.newKey(t, r)
		wantError(t, r.String()+" on backup", srv.do(t, "GET", "/v1/admin/backup", key, nil), 403, "forbidden")
		wantError(t, r.String()+" on keys", srv.do(t, "GET", "/v1/admin/keys", key, nil), 403, "forbidden")
		wantError(t, r.String()+" creating a key", srv.do(t, "POST", "/v1/admin/keys", key, map[string]any{"role": "admin"}), 403, "forbidden")
	}
	wantError(t, "no key on backup", srv.do(t, "GET", "/v1/admin/backup", "", nil), 401, "unauthorized")
	admin, _ := srv.newKey(t, roleAdmin)
	r := srv.do(t, "GET", "/v1/admin/backup", admin, nil)
	if r.status != 200 || r.header.Get("Content-Type") != "application/octet-stream" || len(r.raw) == 0 {
		t.Errorf("admin backup: %d %s %d bytes", r.status, r.header.Get("Content-Type"), len(r.raw))
	}
	// A KB-scoped admin may neither back up every KB nor mint keys (it could mint unscoped ones).
	scoped, _ := srv.newKey(t, roleAdmin, "shop")
	wantError(t, "scoped admin backing up", srv.do(t, "GET", "/v1/admin/backup", scoped, nil), 403, "forbidden")
	wantError(t, "scoped admin creating a key", srv.do(t, "POST", "/v1/admin/keys", scoped, map[string]any{"role": "admin"}), 403, "forbidden")
}

func TestRoleOrder(t *testing.T) {
	for _, tc := range []struct {
		have, need role
		want       bool
	}{
		{roleCustomer, roleCustomer, true}, {roleCustomer, roleAgent, false}, {roleCustomer, roleAdmin, false},
		{roleAgent, roleCustomer, true}, {roleAgent, roleAgent, true}, {roleAgent, roleEditor, false},
		{roleEditor, roleAgent, true}, {roleEditor, roleAdmin, false},
		{roleAdmin, roleEditor, true}, {roleAdmin, roleAdmin, true},
	} {
		if got := tc.have.allows(tc.need); got != tc.want {
			t.Errorf("%s allows %s: %v, want %v", tc.have, tc.need, got, tc.want)
		}
	}
	for _, name := range []string{"customer", "agent", "editor", "admin"} {
		r, err := parseRole(name)
		if err != nil || r.String() != name {
			t.Errorf("parseRole(%q) = %v, %v", name, r, err)
		}
	}
	for _, bad := range []string{"", "Admin", "root", "role(0)"} {
		if _, err := parseRole(bad); err == nil {
			t.Errorf("parseRole(%q) should fail", bad)
		}
	}
}

func TestKBScopes(t *testing.T) {
	srv := startServer(t, nil)
	scoped, _ := srv.newKey(t, roleAgent, "shop")
	if r := srv.do(t, "GET", "/v1/whoami?kb=shop", scoped, nil); r.status != 200 {
		t.Errorf("scoped key on its KB: %d %s", r.status, r.raw)
	}
	wantError(t, "scoped key on another KB", srv.do(t, "GET", "/v1/whoami?kb=brand", scoped, nil), 403, "forbidden")
	all, _ := srv.newKey(t, roleCustomer)
	if r := srv.do(t, "GET", "/v1/whoami?kb=brand", all, nil); r.status != 200 {
		t.Errorf("unscoped key: %d %s", r.status, r.raw)
	}
}

func TestRevocationWithinTTL(t *testing.T) {
	srv := startServer(t, nil) // default TTL, fake clock
	key, k := srv.newKey(t, roleCustomer)
	if r := srv.do(t, "GET", "/v1/whoami", key, nil); r.status != 200 {
		t.Fatalf("fresh key: %d %s", r.status, r.raw)
	}
	// Revoked in the store behind the server's back (as the CLI would on a shared store).
	if _, changed, err := revokeKey(t.Context(), srv.store, k.ID, time.Now()); err != nil || !changed {
		t.Fatalf("revoke: %v %v", changed, err)
	}
	if r := srv.do(t, "GET", "/v1/whoami", key, nil); r.status != 200 {
		t.Errorf("within the TTL the cached key still works: %d", r.status)
	}
	srv.clock.Advance(defaultKeyCacheTTL + time.Second)
	wantError(t, "revoked key after the TTL", srv.do(t, "GET", "/v1/whoami", key, nil), 401, "unauthorized")

	// Without the cache, revocation is immediate.
	srv2 := startServer(t, nil, withKeyCacheTTL(0))
	key2, k2 := srv2.newKey(t, roleAgent)
	if r := srv2.do(t, "GET", "/v1/whoami", key2, nil); r.status != 200 {
		t.Fatalf("fresh key: %d", r.status)
	}
	if _, _, err := revokeKey(t.Context(), srv2.store, k2.ID, time.Now()); err != nil {
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
	admin, _ := srv.newKey(t, roleAdmin)
	r := srv.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "customer", "kbs": []string{"shop"}, "name": "web widget"})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	key, _ := r.body["key"].(string)
	id, _, ok := parseKey(key)
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
	_, secret, _ := parseKey(key)
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
	srv := startServer(t, func(c *ServerConfig) { c.AdminKey = "boot-secret" })
	r := srv.do(t, "GET", "/v1/whoami", "boot-secret", nil)
	if r.status != 200 || r.body["role"] != "admin" || r.body["key_id"] != bootstrapKeyID {
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
	srv := startServer(t, func(c *ServerConfig) { c.BodyLimit = 1024 })
	admin, _ := srv.newKey(t, roleAdmin)
	customer, _ := srv.newKey(t, roleCustomer)
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
	srv := startServer(t, func(c *ServerConfig) { c.RateLimit, c.RateBurst = 2, 3 })
	customer, _ := srv.newKey(t, roleCustomer)
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
	other, _ := srv.newKey(t, roleCustomer)
	if r := srv.do(t, "GET", "/v1/whoami", other, nil); r.status != 200 {
		t.Errorf("another key: %d", r.status)
	}
	agent, _ := srv.newKey(t, roleAgent)
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

func TestRateLimiterBucket(t *testing.T) {
	clock := newFakeClock()
	l := newRateLimiter(4, 2, clock.Now)
	for range 2 {
		if ok, _ := l.allow("k"); !ok {
			t.Fatal("burst refused")
		}
	}
	ok, wait := l.allow("k")
	if ok || wait != 250*time.Millisecond {
		t.Errorf("empty bucket: %v, wait %s; want refused, 250ms", ok, wait)
	}
	clock.Advance(time.Hour) // refills only up to the burst
	for i := range 3 {
		if ok, _ := l.allow("k"); ok != (i < 2) {
			t.Errorf("after a long pause, request %d: %v", i, ok)
		}
	}
}

// The store holds a hash of each key, never the key or its secret.
func TestStoredKeysHoldNoSecret(t *testing.T) {
	srv := startServer(t, nil)
	keys := map[string]apiKey{}
	for _, r := range []role{roleCustomer, roleAdmin} {
		key, k := srv.newKey(t, r, "shop")
		keys[key] = k
	}
	info, err := srv.store.Collection(t.Context(), keysCollection)
	if err != nil {
		t.Fatal(err)
	}
	if info.Dim != 0 || info.PayloadIndexes["key_id"] != index.FieldKeyword || info.Points != 2 {
		t.Errorf("api_keys collection: %+v", info)
	}
	recs := allRecords(t, srv.store, keysCollection)
	dump, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	for key, k := range keys {
		_, secret, _ := parseKey(key)
		if bytes.Contains(dump, []byte(secret)) || bytes.Contains(dump, []byte(key)) {
			t.Errorf("the store holds key %s's secret:\n%s", k.ID, dump)
		}
		sum := hashSecret(secret)
		found := false
		for _, r := range recs {
			if r.ID == keyPointID(k.ID) {
				found = true
				if r.Payload["secret_sha256"] != hex.EncodeToString(sum[:]) || r.Payload["key_id"] != k.ID || r.Dense != nil || r.Sparse != nil {
					t.Errorf("record of %s: %+v", k.ID, r)
				}
			}
		}
		if !found {
			t.Errorf("no point %s for key %s", keyPointID(k.ID), k.ID)
		}
	}
}
