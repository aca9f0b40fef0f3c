package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi"
)

const shopOrigin = "https://shop.example"

// widgetKey creates a widget key for KB shop and shopOrigin through the admin API.
func widgetKey(t *testing.T, s *testServer, admin string, origins ...string) (key, id string) {
	t.Helper()
	if len(origins) == 0 {
		origins = []string{shopOrigin}
	}
	r := s.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "widget", "kbs": []string{"shop"}, "origins": origins})
	if r.status != 201 {
		t.Fatalf("creating a widget key: %d %s", r.status, r.raw)
	}
	return r.body["key"].(string), r.body["key_id"].(string)
}

func fromOrigin(origin string) map[string]string { return map[string]string{"Origin": origin} }

func TestWidgetKeyCORS(t *testing.T) {
	s := startServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	admin, _ := s.newKey(t, apikey.RoleAdmin)
	importTestKB(t, s, editor, "shop")
	key, id := widgetKey(t, s, admin, "https://Shop.Example:443", "http://127.0.0.1:5173")
	if r := s.do(t, "GET", "/v1/admin/keys", admin, nil); !strings.Contains(r.raw, `"origins":["http://127.0.0.1:5173","https://shop.example"]`) {
		t.Errorf("the key list shows origins as stored (normalized): %s", r.raw)
	}

	// Preflights: listed origins only.
	for _, tc := range []struct {
		path, origin string
		status       int
		allow        string
	}{
		{"/v1/ask", shopOrigin, 204, shopOrigin},
		{"/v1/feedback", "http://127.0.0.1:5173", 204, "http://127.0.0.1:5173"},
		{"/v1/ask", "https://evil.example", 403, ""},
		{"/v1/ask", "http://shop.example", 403, ""}, // another scheme is another origin
		{"/v1/ask", "null", 403, ""},
		{"/v1/ask", "", 204, ""}, // not a CORS request
	} {
		h := map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
		if tc.origin != "" {
			h["Origin"] = tc.origin
		}
		r := sendWith(t, s, "OPTIONS", tc.path, "", h, "")
		got := r.header.Get("Access-Control-Allow-Origin")
		if r.status != tc.status || got != tc.allow {
			t.Errorf("preflight %s from %q: %d, Allow-Origin %q; want %d, %q", tc.path, tc.origin, r.status, got, tc.status, tc.allow)
		}
		if tc.allow != "" && (r.header.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" || r.header.Get("Access-Control-Allow-Methods") != "POST") {
			t.Errorf("preflight from %s: headers %v", tc.origin, r.header)
		}
	}

	// Asking: from a listed origin, with CORS headers and an issued conversation.
	r := sendWith(t, s, "POST", "/v1/ask", key, fromOrigin(shopOrigin), `{"kb":"shop","question":"可以寄到香港吗"}`)
	conv, _ := r.body["conversation_id"].(string)
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != shopOrigin || !strings.Contains(r.header.Get("Vary"), "Origin") || !strings.HasPrefix(conv, "wg-") {
		t.Fatalf("a widget's question: %d %v %s", r.status, r.header, r.raw)
	}
	r = sendWith(t, s, "POST", "/v1/ask", key, fromOrigin(shopOrigin), `{"kb":"shop","question":"运费多少","conversation":{"id":"`+conv+`"}}`)
	if ctx, _ := r.body["context"].(map[string]any); r.status != 200 || r.body["conversation_id"] != conv || ctx["previous_question"] != "可以寄到香港吗" {
		t.Errorf("a follow-up in the issued conversation: %d %s", r.status, r.raw)
	}
	for _, tc := range []struct {
		name, body string
		code       string
	}{
		{"a conversation jieda did not issue", `{"kb":"shop","question":"运费","conversation":{"id":"c-1001"}}`, "bad_request"},
		{"conversation turns", `{"kb":"shop","question":"运费","conversation":{"turns":[{"role":"customer","text":"hi"}]}}`, "bad_request"},
	} {
		wantError(t, tc.name, sendWith(t, s, "POST", "/v1/ask", key, fromOrigin(shopOrigin), tc.body), 400, tc.code)
	}
	r = sendWith(t, s, "POST", "/v1/ask", key, fromOrigin(shopOrigin), `{"kb":"shop","question":"转人工","customer":{"id":"u1","tier":"vip"}}`)
	agent, _ := s.newKey(t, apikey.RoleAgent)
	h := s.do(t, "GET", "/v1/handoffs/"+r.body["handoff"].(map[string]any)["id"].(string), agent, nil)
	if c, _ := h.body["customer"].(map[string]any); c["id"] != "u1" || c["tier"] != nil {
		t.Errorf("a widget's customer: %v, want the id kept and the tier (which a page cannot vouch for) dropped", h.body["customer"])
	}

	// Refused: another origin, no origin, another KB, any other route.
	wantError(t, "another origin", sendWith(t, s, "POST", "/v1/ask", key, fromOrigin("https://evil.example"), `{"kb":"shop","question":"运费"}`), 403, "forbidden")
	wantError(t, "no origin", sendWith(t, s, "POST", "/v1/ask", key, nil, `{"kb":"shop","question":"运费"}`), 403, "forbidden")
	wantError(t, "another KB", sendWith(t, s, "POST", "/v1/ask", key, fromOrigin(shopOrigin), `{"kb":"other","question":"运费"}`), 403, "forbidden")
	for _, route := range []struct{ method, path string }{
		{"GET", "/v1/whoami"}, {"GET", "/v1/search?kb=shop&q=x"}, {"GET", "/v1/handoffs"}, {"GET", "/v1/articles?kb=shop"},
		{"GET", "/v1/admin/keys"}, {"GET", "/v1/admin/channels"}, {"GET", "/v1/candidates?kb=shop"}, {"GET", "/v1/audit"},
	} {
		wantError(t, "a widget key on "+route.path, sendWith(t, s, route.method, route.path, key, fromOrigin(shopOrigin), ""), 403, "forbidden")
	}

	// Revoked here: its origins stop passing preflights at once.
	if r := s.do(t, "DELETE", "/v1/admin/keys/"+id, admin, nil); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	if r := sendWith(t, s, "OPTIONS", "/v1/ask", "", fromOrigin(shopOrigin), ""); r.status != 403 {
		t.Errorf("preflight after revocation: %d", r.status)
	}
	// Bad widget keys are refused at creation.
	for name, body := range map[string]map[string]any{
		"without origins":   {"role": "widget", "kbs": []string{"shop"}},
		"for every KB":      {"role": "widget", "origins": []string{shopOrigin}},
		"with a path":       {"role": "widget", "kbs": []string{"shop"}, "origins": []string{shopOrigin + "/cart"}},
		"origins on others": {"role": "customer", "origins": []string{shopOrigin}},
	} {
		wantError(t, "a widget key "+name, s.do(t, "POST", "/v1/admin/keys", admin, body), 400, "bad_request")
	}
}

func TestWidgetRateLimits(t *testing.T) {
	for _, tc := range []struct {
		name       string
		edit       func(*httpapi.Config)
		wantPhrase string
	}{
		{"per address", func(c *httpapi.Config) { c.RateLimit, c.WidgetAddrRateLimit, c.WidgetAddrRateBurst = 1000, 1, 2 }, "this address exceeded"},
		{"per key", func(c *httpapi.Config) { c.RateLimit, c.RateBurst, c.WidgetAddrRateLimit = 1, 2, 0 }, "exceeded 1 requests/s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, tc.edit)
			editor, _ := s.newKey(t, apikey.RoleEditor)
			admin, _ := s.newKey(t, apikey.RoleAdmin)
			importTestKB(t, s, editor, "shop")
			key, _ := widgetKey(t, s, admin)
			askShop := func() response {
				return sendWith(t, s, "POST", "/v1/ask", key, fromOrigin(shopOrigin), `{"kb":"shop","question":"运费怎么算"}`)
			}
			for i := range 2 {
				if r := askShop(); r.status != 200 {
					t.Fatalf("request %d within the burst: %d %s", i+1, r.status, r.raw)
				}
			}
			r := askShop()
			wantError(t, "beyond the burst", r, 429, "rate_limited")
			if !strings.Contains(r.raw, tc.wantPhrase) || r.header.Get("Retry-After") == "" || r.header.Get("Access-Control-Allow-Origin") != shopOrigin {
				t.Errorf("429: %v %s, want Retry-After, CORS headers (so the page can read it) and %q", r.header, r.raw, tc.wantPhrase)
			}
			s.clock.Advance(time.Second)
			if r := askShop(); r.status != 200 {
				t.Errorf("a second later: %d %s", r.status, r.raw)
			}
		})
	}
}

func TestKeysCLIWidget(t *testing.T) {
	dir := chdir(t)
	data := filepath.Join(dir, "data")
	_, out := createdKey(t, "--data", data, "--role", "widget", "--kb", "shop", "--origin", "https://Shop.Example", "--origin", "http://localhost:3000")
	if !strings.Contains(out, "created widget key") || !strings.Contains(out, "for origins http://localhost:3000, https://shop.example") {
		t.Errorf("keys create --role widget:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--role", "widget", "--kb", "shop"}, "needs at least one origin"},
		{[]string{"--role", "widget", "--origin", "https://shop.example"}, "must be scoped to its KB"},
		{[]string{"--role", "customer", "--origin", "https://shop.example"}, "only widget keys have origins"},
		{[]string{"--role", "widget", "--kb", "shop", "--origin", "shop.example"}, "must start with https://"},
	} {
		code, _, errOut := run(t, t.Context(), append([]string{"--data", data, "keys", "create"}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("keys create %v: exit %d, %q; want a failure naming %q", tc.args, code, errOut, tc.want)
		}
	}
}
