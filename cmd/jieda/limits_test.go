package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi/openapitest"
)

// rawRequest writes a request head and the first bodyPrefix bytes of a
// body of declared length, and returns the status and body of the
// response, which the server sends before the rest of the body arrives
// (fasthttp reads the first 8 KiB of a large body before the handlers
// run: a real client sends them at once).
func rawRequest(t *testing.T, s *testServer, method, path, key string, declared int, bodyPrefix string) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	auth := ""
	if key != "" {
		auth = "Authorization: Bearer " + key + "\r\n"
	}
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", method, path, auth, declared, bodyPrefix)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

// A body is read only for a key that may use the route, within the
// route's limit: a 50 MB body without a key is 401 (not 413), with a key
// 413 with one message, on every route that takes a body.
func TestBodiesAfterAuthentication(t *testing.T) {
	s := startServer(t, func(c *httpapi.Config) { c.BodyLimit, c.ImportBodyLimit = 4096, 8192 })
	admin, _ := s.newKey(t, apikey.RoleAdmin)
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	if got := rawRequest(t, s, "POST", "/v1/ask", "", 50<<20, strings.Repeat(" ", 16<<10)); !strings.HasPrefix(got, "401 ") {
		t.Errorf("a 50 MB body without a key: %s, want 401", got)
	}
	if got := rawRequest(t, s, "POST", "/v1/articles/import?kb=shop", customer, 50<<20, strings.Repeat(" ", 16<<10)); !strings.HasPrefix(got, "403 ") {
		t.Errorf("a 50 MB import with a customer key: %s, want 403", got)
	}
	doc := openapitest.Doc(t)
	for op := range openapitest.Ops(t, doc) {
		method, path, _ := strings.Cut(op, " ")
		if method == "GET" || method == "DELETE" || method == "OPTIONS" {
			continue
		}
		path = strings.NewReplacer("{id}", "x1", "{kb}", "shop", "{source}", "desk", "{name}", "desk").Replace(path)
		limit := 4096
		if path == "/v1/articles/import" {
			limit = 8192
		}
		key := admin
		if strings.HasPrefix(path, "/v1/intake/") {
			key = ""
		}
		big := strings.Repeat("x", limit+1)
		r := s.do(t, method, path+"?kb=shop", key, big)
		wantError(t, op+" over its limit", r, 413, "payload_too_large")
		if msg := r.body["error"].(map[string]any)["message"]; !strings.HasPrefix(msg.(string), "request body too large: at most ") {
			t.Errorf("%s: message %q is not the one 413 message", op, msg)
		}
	}
	// The connection serves the next request after a refused body.
	if r := s.do(t, "GET", "/v1/whoami", admin, nil); r.status != 200 {
		t.Errorf("after the refusals: %d %s", r.status, r.raw)
	}
}

// A path served under other methods answers 405 with Allow.
func TestMethodNotAllowed(t *testing.T) {
	s := startServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	for path, allow := range map[string]string{
		"/v1/ask":               "OPTIONS, POST", // OPTIONS: the widget's CORS preflight
		"/v1/articles/ship-fee": "DELETE, GET, HEAD, PUT",
		"/v1/kbs/shop/settings": "GET, HEAD, PUT",
	} {
		r := s.do(t, "PATCH", path, editor, nil)
		wantError(t, "PATCH "+path, r, 405, "method_not_allowed")
		if got := r.header.Get("Allow"); got != allow {
			t.Errorf("PATCH %s: Allow %q, want %q", path, got, allow)
		}
	}
	wantError(t, "no such path", s.do(t, "GET", "/v1/nope", editor, nil), 404, "not_found")
}

// /metrics is public by default; an operator can put it behind an admin
// key, turn it off, or move it to an address of its own.
func TestMetricsExposure(t *testing.T) {
	get := func(url, key string) int {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(startServer(t, nil).url+"/metrics", ""); code != 200 {
		t.Errorf("default: %d, want 200", code)
	}
	s := startServer(t, func(c *httpapi.Config) { c.Metrics = httpapi.MetricsAdmin })
	admin, _ := s.newKey(t, apikey.RoleAdmin)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	if a, e, k := get(s.url+"/metrics", ""), get(s.url+"/metrics", editor), get(s.url+"/metrics", admin); a != 401 || e != 403 || k != 200 {
		t.Errorf("admin mode: no key %d, editor %d, admin %d; want 401, 403, 200", a, e, k)
	}
	if code := get(startServer(t, func(c *httpapi.Config) { c.Metrics = httpapi.MetricsOff }).url+"/metrics", ""); code != 404 {
		t.Errorf("off: %d, want 404", code)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s = startServer(t, func(c *httpapi.Config) { c.MetricsAddr = addr })
	if main, own := get(s.url+"/metrics", ""), get("http://"+addr+"/metrics", ""); main != 404 || own != 200 {
		t.Errorf("metrics_addr: on server.addr %d, on its own address %d; want 404, 200", main, own)
	}
}

// Free text has documented limits: an over-long reply, comment or reason
// is a 400 that says the limit, and nothing is stored.
func TestFreeTextLimits(t *testing.T) {
	s := startServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	importTestKB(t, s, editor, "shop")
	customer, _ := s.newKey(t, apikey.RoleCustomer, "shop")
	agent, _ := s.newKey(t, apikey.RoleAgent)
	r := ask(t, s, customer, map[string]any{"kb": "shop", "question": "你们支持货到付款吗"})
	hid := r.body["handoff"].(map[string]any)["id"].(string)
	for _, n := range []int{20001, 100000} {
		wantError(t, "a reply of "+strconv.Itoa(n)+" characters", s.do(t, "POST", "/v1/handoffs/"+hid+"/resolve", agent,
			map[string]any{"reply": strings.Repeat("付", n)}), 400, "bad_request")
	}
	if r := s.do(t, "GET", "/v1/handoffs/"+hid, agent, nil); r.body["status"] != "open" {
		t.Errorf("after refused replies the handoff is %v, want open", r.body["status"])
	}
	if r := s.do(t, "POST", "/v1/handoffs/"+hid+"/resolve", agent, map[string]any{"reply": strings.Repeat("付", 20000)}); r.status != 200 {
		t.Errorf("a reply at the limit: %d %s", r.status, r.raw)
	}
	r = s.do(t, "GET", "/v1/candidates?kb=shop", editor, nil)
	cands, _ := r.body["candidates"].([]any)
	if len(cands) != 1 {
		t.Fatalf("candidates: %s", r.raw)
	}
	cid := cands[0].(map[string]any)["id"].(string)
	wantError(t, "a rejection reason of 1001 characters", s.do(t, "POST", "/v1/candidates/"+cid+"/reject", editor,
		map[string]any{"reason": strings.Repeat("因", 1001)}), 400, "bad_request")

	a := ask(t, s, customer, map[string]any{"kb": "shop", "question": "运费怎么算"})
	wantError(t, "a feedback comment of 2001 characters", s.do(t, "POST", "/v1/feedback", customer,
		map[string]any{"answer_id": a.body["answer_id"], "helpful": false, "comment": strings.Repeat("评", 2001)}), 400, "bad_request")

	put := sendWith(t, s, "PUT", "/v1/articles/ship-hk?kb=shop", editor, map[string]string{"X-Jieda-Reason": strings.Repeat("r", 1001), "Content-Type": "application/json"},
		`{"question":"可以寄到香港吗","answer":"可以。"}`)
	wantError(t, "X-Jieda-Reason of 1001 characters", put, 400, "bad_request")
}
