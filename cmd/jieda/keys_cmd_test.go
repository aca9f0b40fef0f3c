package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
)

var keyPattern = regexp.MustCompile(`^jd_[0-9A-Za-z]{8}_[0-9A-Za-z]{40}$`)

// lastLine is the last line of s; createdKey fails unless it is a key.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func createdKey(t *testing.T, args ...string) (key, stdout string) {
	t.Helper()
	code, out, errOut := run(t, t.Context(), append([]string{"keys", "create"}, args...)...)
	if code != 0 {
		t.Fatalf("keys create %v: exit %d: %s", args, code, errOut)
	}
	key = lastLine(out)
	if !keyPattern.MatchString(key) {
		t.Fatalf("keys create: the last line should be the key alone, got %q in\n%s", key, out)
	}
	return key, out
}

func TestKeysCLI(t *testing.T) {
	dir := chdir(t)
	data := filepath.Join(dir, "data")
	key, out := createdKey(t, "--data", data, "--role", "agent", "--kb", "shop", "--kb", "brand", "--kb", "shop", "--name", "support desk")
	id, secret, _ := apikey.Parse(key)
	if strings.Count(out, key) != 1 || !strings.Contains(out, "created agent key "+id+" (KBs brand, shop)") {
		t.Errorf("keys create output:\n%s", out)
	}
	admin, _ := createdKey(t, "--data", data, "--role", "admin")
	adminID, adminSecret, _ := apikey.Parse(admin)

	code, out, errOut := run(t, t.Context(), "--data", data, "keys", "list")
	if code != 0 {
		t.Fatalf("keys list: %d %s", code, errOut)
	}
	for _, want := range []string{"ID", id, "agent", "brand,shop", "support desk", adminID, "admin", "*", "active"} {
		if !strings.Contains(out, want) {
			t.Errorf("keys list: missing %q in\n%s", want, out)
		}
	}
	for _, secretish := range []string{secret, adminSecret, key, admin} {
		if strings.Contains(out, secretish) {
			t.Errorf("keys list shows a secret:\n%s", out)
		}
	}

	// Revoking: unknown ids and non-ids are clear errors; the key itself is accepted.
	code, _, errOut = run(t, t.Context(), "--data", data, "keys", "revoke", "ZZZZZZZZ")
	if code == 0 || !strings.Contains(errOut, `unknown API key id "ZZZZZZZZ"`) {
		t.Errorf("revoke unknown id: exit %d, %q", code, errOut)
	}
	code, _, errOut = run(t, t.Context(), "--data", data, "keys", "revoke", "not-an-id")
	if code == 0 || !strings.Contains(errOut, "is not a key id") {
		t.Errorf("revoke a non-id: exit %d, %q", code, errOut)
	}
	code, out, errOut = run(t, t.Context(), "--data", data, "keys", "revoke", id)
	if code != 0 || !strings.Contains(out, "revoked agent key "+id) {
		t.Errorf("revoke: exit %d, %q %q", code, out, errOut)
	}
	code, out, _ = run(t, t.Context(), "--data", data, "keys", "revoke", key)
	if code != 0 || !strings.Contains(out, "already revoked") {
		t.Errorf("revoke again (by the whole key): exit %d, %q", code, out)
	}
	_, out, _ = run(t, t.Context(), "--data", data, "keys", "list")
	if !regexp.MustCompile(id + `.*revoked`).MatchString(out) {
		t.Errorf("keys list should show %s revoked:\n%s", id, out)
	}
}

func TestKeysCreateRefusesBadInput(t *testing.T) {
	dir := chdir(t)
	data := filepath.Join(dir, "data")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--role", "root"}, "--role"},
		{nil, `"role" not set`},
		{[]string{"--role", "agent", "--kb", " "}, "KB scope must not be empty"},
	} {
		code, out, errOut := run(t, t.Context(), append([]string{"--data", data, "keys", "create"}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("keys create %v: exit %d, stdout %q, stderr %q; want a failure naming %q", tc.args, code, out, errOut, tc.want)
		}
	}
	if code, out, _ := run(t, t.Context(), "--data", data, "keys", "list"); code != 0 || !strings.Contains(out, "no API keys") {
		t.Errorf("keys list on an empty store: %d %q", code, out)
	}
}

// Keys made by the CLI authenticate against `jieda serve` over HTTP, and
// the bootstrap admin key still does.
func TestKeysWithServe(t *testing.T) {
	dir := chdir(t)
	data := filepath.Join(dir, "data")
	customer, _ := createdKey(t, "--data", data, "--role", "customer", "--kb", "shop")
	revoked, _ := createdKey(t, "--data", data, "--role", "admin")
	revokedID, _, _ := apikey.Parse(revoked)
	if code, _, errOut := run(t, t.Context(), "--data", data, "keys", "revoke", revokedID); code != 0 {
		t.Fatalf("revoke: %s", errOut)
	}
	t.Setenv("JIEDA_SERVER_ADMIN_KEY", "boot-admin")
	addr, stop := serveUntil(t, "--data", data)

	get := func(path, key string) (int, map[string]any) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+addr+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if code, body := get("/v1/whoami?kb=shop", customer); code != 200 || body["role"] != "customer" {
		t.Errorf("customer whoami: %d %v", code, body)
	}
	if code, _ := get("/v1/whoami?kb=other", customer); code != 403 {
		t.Errorf("customer on another KB: %d", code)
	}
	if code, _ := get("/v1/admin/backup", customer); code != 403 {
		t.Errorf("customer on admin route: %d", code)
	}
	if code, _ := get("/v1/whoami", revoked); code != 401 {
		t.Errorf("revoked key: %d", code)
	}
	if code, body := get("/v1/whoami", "boot-admin"); code != 200 || body["role"] != "admin" {
		t.Errorf("bootstrap key: %d %v", code, body)
	}
	// While the server holds the embedded store, the CLI says how to manage keys.
	code, _, errOut := run(t, t.Context(), "--data", data, "keys", "list")
	if code == 0 || !strings.Contains(errOut, "/v1/admin/keys") {
		t.Errorf("keys list while serving: exit %d, %q", code, errOut)
	}
	if exit, logs := stop(); exit != 0 {
		t.Errorf("serve exited %d:\n%s", exit, logs)
	}
}

func TestRateLimitConfigErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"server:\n  rate_limit: -1\n", "server.rate_limit"},
		{"server:\n  rate_burst: 0\n", "server.rate_burst"},
	} {
		dir := chdir(t)
		if err := os.WriteFile(filepath.Join(dir, "jieda.yaml"), []byte(tc.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := run(t, t.Context(), "config", "show")
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, %q; want a failure naming %s", tc.yaml, code, errOut, tc.want)
		}
	}
	chdir(t)
	_, out, _ := run(t, t.Context(), "config", "show")
	if !strings.Contains(out, "rate_limit: 20") || !strings.Contains(out, "rate_burst: 40") {
		t.Errorf("config show should list the rate limit defaults:\n%s", out)
	}
}
