package console

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testSessions(t *testing.T) (*sessions, *testClock, index.Store) {
	t.Helper()
	cfg := embedded.DefaultConfig()
	cfg.Path = t.TempDir()
	cfg.NoSync = true
	s, err := embedded.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, index.ErrClosed) {
			t.Error(err)
		}
	})
	clock := &testClock{t: time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)}
	return &sessions{store: s, now: clock.Now, idle: 30 * time.Minute, maxAge: 12 * time.Hour}, clock, s
}

func TestSessionsLifecycle(t *testing.T) {
	ctx := context.Background()
	st, clock, store := testSessions(t)
	if s, err := st.get(ctx, "no-such-token"); s != nil || err != nil {
		t.Fatalf("before any session: %v, %v", s, err)
	}
	tok1, s1, err := st.create(ctx, "key1")
	if err != nil {
		t.Fatal(err)
	}
	if tok1 == "" || s1.CSRF == "" || tok1 == s1.CSRF {
		t.Fatalf("token %q, csrf %q: want two distinct random values", tok1, s1.CSRF)
	}
	got, err := st.get(ctx, tok1)
	if err != nil || got == nil || got.KeyID != "key1" || got.CSRF != s1.CSRF {
		t.Fatalf("get: %+v, %v", got, err)
	}
	if err := got.checkCSRF(s1.CSRF); err != nil {
		t.Errorf("the session's own token: %v", err)
	}
	for _, bad := range []string{"", "x", s1.CSRF + "x"} {
		if err := got.checkCSRF(bad); !errors.Is(err, ErrBadCSRF) {
			t.Errorf("token %q: err %v, want ErrBadCSRF", bad, err)
		}
	}
	// The token is not stored: the point id is derived from its hash.
	recs, err := store.Get(ctx, SessionsCollection, []string{sessionPointID(tok1)}, index.With{Payload: true})
	if err != nil || len(recs) != 1 {
		t.Fatalf("stored session: %v, %v", recs, err)
	}
	for k, v := range recs[0].Payload {
		if v == tok1 {
			t.Errorf("payload %s holds the cookie token", k)
		}
	}

	clock.Advance(20 * time.Minute)
	tok2, _, err := st.create(ctx, "key2")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(15 * time.Minute) // session 1 idle 35 min, session 2 15 min
	if _, _, err := st.create(ctx, "key3"); err != nil {
		t.Fatal(err)
	}
	if n, err := store.Count(ctx, SessionsCollection, nil); err != nil || n != 2 {
		t.Errorf("after the sweep: %d sessions (%v), want 2 (the idle one deleted)", n, err)
	}
	if s, _ := st.get(ctx, tok1); s != nil {
		t.Error("the idle session is still live")
	}
	if s, _ := st.get(ctx, tok2); s == nil {
		t.Error("the active session ended")
	}
	if err := st.end(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.get(ctx, tok2); s != nil {
		t.Error("a session that signed out is still live")
	}
}
