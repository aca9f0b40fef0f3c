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

// withHandoffsPerMinute sets answer.handoffs_per_minute.
func withHandoffsPerMinute(n float64) serverOption {
	return func(a *app) { a.cfg.Answer.HandoffsPerMinute = n }
}

// A conversation has one open handoff: asking again (the same question
// or another) adds to it, until an agent resolves it.
func TestOneOpenHandoffPerConversation(t *testing.T) {
	s := startServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	importTestKB(t, s, editor, "shop")
	customer, _ := s.newKey(t, apikey.RoleCustomer, "shop")
	agent, _ := s.newKey(t, apikey.RoleAgent)
	conv := map[string]any{"id": "c-77"}
	var first string
	for i, q := range []string{"转人工", "转人工", "转人工", "我要找人工客服"} {
		r := ask(t, s, customer, map[string]any{"kb": "shop", "question": q, "conversation": conv})
		h, _ := r.body["handoff"].(map[string]any)
		if h == nil {
			t.Fatalf("ask %d: %s; want a handoff", i, r.raw)
		}
		if i == 0 {
			first = h["id"].(string)
		}
		if h["id"] != first || (h["continued"] == true) != (i > 0) {
			t.Errorf("ask %d: handoff %v continued %v; want %s, continued from the second on", i, h["id"], h["continued"], first)
		}
	}
	r := s.do(t, "GET", "/v1/handoffs?kb=shop&status=open", agent, nil)
	hs, _ := r.body["handoffs"].([]any)
	if len(hs) != 1 {
		t.Fatalf("open handoffs: %d, want 1: %s", len(hs), r.raw)
	}
	turns, _ := hs[0].(map[string]any)["turns"].([]any)
	if n := len(turns); n == 0 || turns[n-1].(map[string]any)["text"] != "我要找人工客服" {
		t.Errorf("the open handoff's turns %v; want the latest question last", turns)
	}
	// Another conversation is another handoff; after the resolution, a new one.
	other := ask(t, s, customer, map[string]any{"kb": "shop", "question": "转人工", "conversation": map[string]any{"id": "c-78"}})
	if id := other.body["handoff"].(map[string]any)["id"]; id == first {
		t.Error("another conversation joined the first one's handoff")
	}
	if r := s.do(t, "POST", "/v1/handoffs/"+first+"/resolve", agent, map[string]any{"reply": "已为您处理。"}); r.status != 200 {
		t.Fatalf("resolve: %d %s", r.status, r.raw)
	}
	r = ask(t, s, customer, map[string]any{"kb": "shop", "question": "转人工", "conversation": conv})
	if h := r.body["handoff"].(map[string]any); h["id"] == first || h["continued"] == true {
		t.Errorf("after the resolution: %s; want a new handoff", r.raw)
	}
}

// One key's new handoffs are bounded per minute (429 with Retry-After
// beyond, counted in /metrics); other keys keep theirs.
func TestHandoffsPerKeyBounded(t *testing.T) {
	s := startServer(t, nil, withHandoffsPerMinute(3))
	editor, _ := s.newKey(t, apikey.RoleEditor)
	importTestKB(t, s, editor, "shop")
	abusive, abusiveKey := s.newKey(t, apikey.RoleCustomer, "shop")
	abusiveID := abusiveKey.ID
	other, _ := s.newKey(t, apikey.RoleCustomer, "shop")
	for i := range 3 {
		if r := ask(t, s, abusive, map[string]any{"kb": "shop", "question": "转人工"}); r.body["decision"] != "handoff" {
			t.Fatalf("handoff %d: %d %s", i, r.status, r.raw)
		}
	}
	r := ask(t, s, abusive, map[string]any{"kb": "shop", "question": "转人工"})
	wantError(t, "the fourth handoff in a minute", r, 429, "rate_limited")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Answers are not handoffs: the key still gets them.
	if r := ask(t, s, abusive, map[string]any{"kb": "shop", "question": "运费怎么算"}); r.body["decision"] != "answer" {
		t.Errorf("an answerable question over the handoff limit: %d %s", r.status, r.raw)
	}
	if r := ask(t, s, other, map[string]any{"kb": "shop", "question": "转人工"}); r.body["decision"] != "handoff" {
		t.Errorf("another key: %d %s", r.status, r.raw)
	}
	m := s.do(t, "GET", "/metrics", "", nil).raw
	for _, want := range []string{
		`jieda_handoffs_total{key="` + abusiveID + `",outcome="created"} 3`,
		`jieda_handoffs_total{key="` + abusiveID + `",outcome="refused"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
