package main

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
)

// Ids in URL paths round-trip: a client percent-encodes an id once, the
// server decodes it once; ids outside the one documented rule are a 400
// that names it.
func TestIDsRoundTrip(t *testing.T) {
	s := startServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	admin, _ := s.newKey(t, apikey.RoleAdmin)
	const id = "运费说明"
	art := map[string]any{"id": id, "question": "运费怎么算", "answer": "满99元包邮。"}
	if r := s.do(t, "POST", "/v1/articles?kb=shop", editor, art); r.status != 201 {
		t.Fatalf("create %s: %d %s", id, r.status, r.raw)
	}
	path := "/v1/articles/" + url.PathEscape(id) + "?kb=shop"
	if r := s.do(t, "GET", path, editor, nil); r.status != 200 || r.body["id"] != id {
		t.Errorf("GET %s: %d %s", path, r.status, r.raw)
	}
	art["answer"] = "满99元包邮，偏远地区除外。"
	if r := s.do(t, "PUT", path, editor, art); r.status != 200 || r.body["id"] != id || r.body["version"] != float64(2) {
		t.Errorf("PUT %s: %d %s (want the same article, version 2)", path, r.status, r.raw)
	}
	if r := s.do(t, "GET", "/v1/articles?kb=shop", editor, nil); !strings.Contains(r.raw, `"total":1`) && strings.Count(r.raw, `"id":`) != 1 {
		t.Errorf("PUT with an encoded id made a second article: %s", r.raw)
	}
	if r := s.do(t, "GET", "/v1/articles/"+url.PathEscape(id)+"/revisions?kb=shop", editor, nil); r.status != 200 {
		t.Errorf("revisions: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "DELETE", path, editor, nil); r.status != 204 {
		t.Errorf("DELETE %s: %d %s", path, r.status, r.raw)
	}
	// Ids outside the rule, and paths that are not valid encodings: 400 naming the rule.
	for _, tc := range []struct{ method, path, key string }{
		{"POST", "/v1/articles?kb=shop", editor}, // body id a/b, below
		{"GET", "/v1/articles/a%2Fb?kb=shop", editor},
		{"GET", "/v1/articles/%20lead?kb=shop", editor},
		{"GET", "/v1/handoffs/not-a-uuid", editor},
		{"GET", "/v1/candidates/not-a-uuid", editor},
		{"DELETE", "/v1/admin/keys/bad!", admin},
		{"DELETE", "/v1/admin/intake-sources/a%25b", admin},
		{"GET", "/v1/kbs/" + url.PathEscape("my kb") + "/settings", editor},
	} {
		var body any
		if tc.method == "POST" {
			body = map[string]any{"id": "a/b", "question": "q", "answer": "a"}
		}
		r := s.do(t, tc.method, tc.path, tc.key, body)
		wantError(t, tc.method+" "+tc.path, r, 400, "bad_request")
		msg, _ := r.body["error"].(map[string]any)["message"].(string)
		if !strings.Contains(msg, "id") && !strings.Contains(msg, "percent-encoding") && !strings.Contains(msg, "'/'") {
			t.Errorf("%s %s: the message does not name the rule: %q", tc.method, tc.path, msg)
		}
	}
	// Go's client refuses to send a bad escape: write the request by hand.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/articles/%%E8%%ZZ?kb=shop HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", editor)
	raw, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(raw), "HTTP/1.1 400") || !strings.Contains(string(raw), "percent-encoding") {
		t.Errorf("a bad escape: %s", raw)
	}
}

// A KB's webhook cannot point at the network jieda runs in (cloud
// metadata, loopback, private ranges) and needs a real secret.
func TestWebhookEgressRules(t *testing.T) {
	s := startServer(t, nil) // the test config allows 127.0.0.0/8 only
	editor, _ := s.newKey(t, apikey.RoleEditor)
	const secret = "a-long-enough-secret"
	for url, want := range map[string]int{
		"http://169.254.169.254/latest/meta-data/": 400,
		"http://10.0.0.8:9000/hook":                400,
		"http://[::ffff:192.168.1.1]/hook":         400,
		"http://localhost:8080/hook":               400,
		"http://127.0.0.1:9/hook":                  200, // allowed by webhook.allow_hosts
		"https://hooks.example.com/jieda":          200,
	} {
		r := s.do(t, "PUT", "/v1/kbs/shop/settings", editor, map[string]any{"webhook": map[string]any{"url": url, "secret": secret}})
		if r.status != want {
			t.Errorf("webhook %s: %d %s, want %d", url, r.status, r.raw, want)
		}
	}
	r := s.do(t, "PUT", "/v1/kbs/shop/settings", editor, map[string]any{"webhook": map[string]any{"url": "https://hooks.example.com/x", "secret": "x"}})
	wantError(t, "a one-character secret", r, 400, "bad_request")
}
