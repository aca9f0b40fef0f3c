package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
)

// TestConsoleSignIn checks who may sign in, what the cookies say, and
// that the console answers in the browser's language.
func TestConsoleSignIn(t *testing.T) {
	s := startServer(t, nil)
	agent, _ := s.newKey(t, apikey.RoleAgent)
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	revokedKey, rk := s.newKey(t, apikey.RoleAgent)
	if _, _, err := apikey.NewStore(s.store).Revoke(t.Context(), rk.ID, time.Now()); err != nil {
		t.Fatal(err)
	}

	cc := newConsoleClient(t, s)
	if p := cc.get("/"); p.status != http.StatusFound || p.location != "/console/" {
		t.Errorf("GET /: %d to %q, want 302 to /console/", p.status, p.location)
	}
	if p := cc.get("/console/handoffs?kb=shop"); p.status != http.StatusSeeOther || p.location != "/console/login?next=%2Fconsole%2Fhandoffs%3Fkb%3Dshop" {
		t.Errorf("the queue without a session: %d to %q, want 303 to sign in and back", p.status, p.location)
	}
	for _, tc := range []struct {
		name, key string
		status    int
		says      string
	}{
		{"customer key", customer, http.StatusForbidden, "This is a customer key: it cannot sign in to the console."},
		{"wrong key", "jd_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", http.StatusUnauthorized, "This key is not valid."},
		{"revoked key", revokedKey, http.StatusUnauthorized, "This key has been revoked."},
		{"no key", "", http.StatusBadRequest, "No key was entered."},
	} {
		p := cc.login(tc.key)
		if p.status != tc.status || !strings.Contains(p.body, tc.says) || strings.Contains(p.body, `{"error"`) {
			t.Errorf("%s: status %d, want %d saying %q:\n%s", tc.name, p.status, tc.status, tc.says, p.body)
		}
	}
	// A sign-in form posted without its token (another site's form) is refused.
	if p := cc.post("/console/login", url.Values{"key": {agent}}); p.status != http.StatusForbidden || !strings.Contains(p.body, "The sign-in form expired.") {
		t.Errorf("sign-in without the form's token: %d\n%s", p.status, p.body)
	}

	p := cc.login(agent)
	if p.status != http.StatusSeeOther || p.location != "/console/handoffs" {
		t.Fatalf("agent sign-in: %d to %q", p.status, p.location)
	}
	var sess *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "jieda_session" {
			sess = c
		}
	}
	if sess == nil {
		t.Fatal("no session cookie")
	}
	got := []any{sess.HttpOnly, sess.SameSite, sess.Secure, sess.Path}
	if diff := cmp.Diff([]any{true, http.SameSiteStrictMode, false, "/console"}, got); diff != "" {
		t.Errorf("session cookie HttpOnly, SameSite, Secure, Path (-want +got):\n%s", diff)
	}
	// Behind a TLS-terminating proxy the cookie is Secure.
	tls := newConsoleClient(t, s).login(agent, "X-Forwarded-Proto", "https")
	if !strings.Contains(tls.header.Get("Set-Cookie")+strings.Join(tls.header.Values("Set-Cookie"), ";"), "secure") {
		t.Errorf("sign-in under TLS: Set-Cookie %q, want Secure", tls.header.Values("Set-Cookie"))
	}

	// Language: from Accept-Language, switchable with ?lang=, remembered.
	zh := cc.get("/console/handoffs", "Accept-Language", "zh-CN,zh;q=0.9")
	if !strings.Contains(zh.body, `<html lang="zh-CN">`) || !strings.Contains(zh.body, "转人工队列") {
		t.Errorf("Accept-Language zh-CN: not a Chinese page:\n%s", zh.body)
	}
	if en := cc.get("/console/handoffs?lang=en", "Accept-Language", "zh-CN"); !strings.Contains(en.body, `<html lang="en">`) {
		t.Errorf("?lang=en: not an English page")
	}
	if en := cc.get("/console/handoffs", "Accept-Language", "zh-CN"); !strings.Contains(en.body, `<html lang="en">`) {
		t.Errorf("after ?lang=en the choice was not remembered")
	}
	if p := cc.get("/console/nowhere"); p.status != http.StatusNotFound || !strings.Contains(p.body, "There is no such page in the console.") {
		t.Errorf("an unknown console page: %d\n%s", p.status, p.body)
	}
	if p := cc.get("/console/static/console.js?v=bogus"); p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/javascript") {
		t.Errorf("console.js: %d %s", p.status, p.header.Get("Content-Type"))
	}
}

// TestConsoleSessionsEnd checks CSRF, sign-out, idle and absolute expiry
// and revocation, all server-side.
func TestConsoleSessionsEnd(t *testing.T) {
	s := startServer(t, nil, withKeyCacheTTL(0))
	importConsoleKB(t, s, "shop")
	agent, ak := s.newKey(t, apikey.RoleAgent)
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	id := askHandoff(t, s, customer, "shop", "转人工，快递三天了还没到", "vip")

	cc := newConsoleClient(t, s)
	csrf := cc.mustLogin(agent)
	claim := "/console/handoffs/" + id + "/claim"
	if p := cc.post(claim, url.Values{}); p.status != http.StatusForbidden || !strings.Contains(p.body, "This form could not be accepted") {
		t.Errorf("a POST without the CSRF token: %d\n%s", p.status, p.body)
	}
	if p := cc.post(claim, url.Values{"csrf": {"forged"}}); p.status != http.StatusForbidden {
		t.Errorf("a POST with a wrong CSRF token: %d", p.status)
	}
	if p := cc.post(claim, url.Values{}, "X-CSRF-Token", csrf); p.status != http.StatusSeeOther {
		t.Errorf("a POST with the token in X-CSRF-Token: %d\n%s", p.status, p.body)
	}
	if p := cc.post(claim, url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther {
		t.Errorf("a POST with the token in the form: %d\n%s", p.status, p.body)
	}

	// Sign-out ends the session server-side: the old cookie no longer works.
	old := cc.hc.Jar.Cookies(mustURL(t, s.url+"/console/"))
	if p := cc.post("/console/logout", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther || p.location != "/console/login?msg=signedout" {
		t.Errorf("sign-out: %d to %q", p.status, p.location)
	}
	replay := newConsoleClient(t, s)
	replay.hc.Jar.SetCookies(mustURL(t, s.url+"/console/"), old)
	if p := replay.get("/console/handoffs"); p.status != http.StatusSeeOther {
		t.Errorf("the signed-out session's cookie replayed: %d, want sent to sign in", p.status)
	}

	// Idle expiry (30 minutes) and absolute expiry (12 hours), on the server's clock.
	cc.mustLogin(agent)
	s.clock.Advance(29 * time.Minute)
	if p := cc.get("/console/handoffs"); p.status != http.StatusOK {
		t.Errorf("after 29 idle minutes: %d, want still signed in", p.status)
	}
	s.clock.Advance(31 * time.Minute)
	if p := cc.get("/console/handoffs"); p.status != http.StatusSeeOther {
		t.Errorf("after 31 idle minutes: %d, want sent to sign in", p.status)
	}
	cc.mustLogin(agent)
	for range 12 * 3 {
		s.clock.Advance(20 * time.Minute)
		if p := cc.get("/console/handoffs"); p.status != http.StatusOK {
			break
		}
	}
	if p := cc.get("/console/handoffs"); p.status != http.StatusSeeOther {
		t.Errorf("after 12 busy hours: %d, want the session ended", p.status)
	}

	// A revoked key ends its sessions.
	cc.mustLogin(agent)
	if _, _, err := apikey.NewStore(s.store).Revoke(t.Context(), ak.ID, s.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if p := cc.get("/console/handoffs"); p.status != http.StatusSeeOther {
		t.Errorf("after revoking the key: %d, want sent to sign in", p.status)
	}
}

// TestConsoleScopes checks that an agent scoped to one KB sees only its
// handoffs, exactly as the API shows them.
func TestConsoleScopes(t *testing.T) {
	s := startServer(t, nil)
	importConsoleKB(t, s, "shop")
	importConsoleKB(t, s, "other")
	customer, _ := s.newKey(t, apikey.RoleCustomer)
	mine := askHandoff(t, s, customer, "shop", "转人工：我的快递怎么还没到", "gold")
	theirs := askHandoff(t, s, customer, "other", "转人工：别的店铺的问题", "")
	agent, _ := s.newKey(t, apikey.RoleAgent, "shop")
	cc := newConsoleClient(t, s)
	cc.mustLogin(agent)
	q := cc.get("/console/handoffs")
	if !strings.Contains(q.body, mine) || strings.Contains(q.body, theirs) {
		t.Errorf("a shop agent's queue: want %s and not %s:\n%s", mine, theirs, q.body)
	}
	if p := cc.get("/console/handoffs?kb=other"); p.status != http.StatusForbidden || !strings.Contains(p.body, "Your key does not allow this.") {
		t.Errorf("the other KB's queue: %d\n%s", p.status, p.body)
	}
	if p := cc.get("/console/handoffs/" + theirs); p.status != http.StatusNotFound || !strings.Contains(p.body, "This handoff does not exist") {
		t.Errorf("the other KB's handoff: %d\n%s", p.status, p.body)
	}
	api := s.do(t, "GET", "/v1/handoffs/"+theirs, agent, nil)
	wantError(t, "the API for the same handoff", api, 404, "not_found")
	if p := cc.get("/console/search?kb=other&q=运费"); p.status != http.StatusForbidden {
		t.Errorf("searching the other KB: %d", p.status)
	}
	if p := cc.get("/console/search?kb=shop&q=" + url.QueryEscape("运费")); p.status != 200 || !strings.Contains(p.body, "<mark>") {
		t.Errorf("searching its own KB: %d\n%s", p.status, p.body)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
