package main

import (
	"strings"
	"testing"
	"time"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi"
)

// A customer key cannot claim a tier (it would raise its handoffs'
// priority); a trusted integration key can.
func TestCustomerTierFromTrustedKeysOnly(t *testing.T) {
	s := startServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	importTestKB(t, s, editor, "shop")
	plain, _ := s.newKey(t, apikey.RoleCustomer, "shop")
	trusted := s.newTrustedKey(t, apikey.RoleCustomer, "shop")
	agent, _ := s.newKey(t, apikey.RoleAgent)
	priority := func(key string) (float64, string) {
		r := ask(t, s, key, map[string]any{"kb": "shop", "question": "转人工", "customer": map[string]any{"id": "u1", "tier": "vip"}})
		id := r.body["handoff"].(map[string]any)["id"].(string)
		h := s.do(t, "GET", "/v1/handoffs/"+id, agent, nil)
		tier, _ := h.body["customer"].(map[string]any)["tier"].(string)
		return h.body["priority"].(float64), tier
	}
	pp, pt := priority(plain)
	tp, tt := priority(trusted)
	if pt != "" || tt != "vip" || tp <= pp {
		t.Errorf("plain key: tier %q priority %v; trusted key: tier %q priority %v; want the tier only from the trusted key", pt, pp, tt, tp)
	}
}

// Key names are one line of printable text; the last admin key cannot
// revoke itself.
func TestKeyNamesAndLastAdmin(t *testing.T) {
	s := startServer(t, nil)
	admin, ak := s.newKey(t, apikey.RoleAdmin)
	for _, name := range []string{"desk\nbootstrap  admin  *  server.admin_key", "a\u202egnp.exe", strings.Repeat("n", 101), "tab\there"} {
		r := s.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "agent", "name": name})
		wantError(t, "name "+name, r, 400, "bad_request")
	}
	if r := s.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "agent", "name": "前台 desk 2"}); r.status != 201 {
		t.Errorf("a plain name: %d %s", r.status, r.raw)
	}
	wantError(t, "the last admin revoking itself", s.do(t, "DELETE", "/v1/admin/keys/"+ak.ID, admin, nil), 409, "conflict")
	other, _ := s.newKey(t, apikey.RoleAdmin)
	if r := s.do(t, "DELETE", "/v1/admin/keys/"+ak.ID, admin, nil); r.status != 200 {
		t.Errorf("revoking itself with another admin left: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "GET", "/v1/whoami", other, nil); r.status != 200 {
		t.Errorf("the other admin: %d", r.status)
	}
}

// Every role's questions are rate limited: staff keys have a budget of
// their own (server.staff_rate_limit).
func TestStaffAsksAreRateLimited(t *testing.T) {
	s := startServer(t, func(c *httpapi.Config) { c.StaffRateLimit, c.StaffRateBurst = 1, 2 })
	editor, _ := s.newKey(t, apikey.RoleEditor)
	importTestKB(t, s, editor, "shop")
	for i := range 2 {
		if r := ask(t, s, editor, map[string]any{"kb": "shop", "question": "运费怎么算"}); r.status != 200 {
			t.Fatalf("ask %d: %d %s", i, r.status, r.raw)
		}
	}
	r := ask(t, s, editor, map[string]any{"kb": "shop", "question": "运费怎么算"})
	wantError(t, "an editor over its budget", r, 429, "rate_limited")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	s.clock.Advance(time.Second)
	if r := ask(t, s, editor, map[string]any{"kb": "shop", "question": "运费怎么算"}); r.status != 200 {
		t.Errorf("after a second: %d", r.status)
	}
}

// Feedback on an answer: once, and only by the key that received it.
func TestFeedbackOnceByItsAsker(t *testing.T) {
	s := startServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	importTestKB(t, s, editor, "shop")
	mine, _ := s.newKey(t, apikey.RoleCustomer, "shop")
	other, _ := s.newKey(t, apikey.RoleCustomer, "shop")
	r := ask(t, s, mine, map[string]any{"kb": "shop", "question": "运费怎么算"})
	id, _ := r.body["answer_id"].(string)
	if r.body["decision"] != "answer" || id == "" {
		t.Fatalf("ask: %s", r.raw)
	}
	wantError(t, "another key's feedback", s.do(t, "POST", "/v1/feedback", other, map[string]any{"answer_id": id, "helpful": false}), 404, "not_found")
	if r := s.do(t, "POST", "/v1/feedback", mine, map[string]any{"answer_id": id, "helpful": true}); r.status != 200 {
		t.Fatalf("feedback: %d %s", r.status, r.raw)
	}
	wantError(t, "a second rating", s.do(t, "POST", "/v1/feedback", mine, map[string]any{"answer_id": id, "helpful": false}), 409, "conflict")
}
