package answer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/jieda/jieda/answer/answertest"
)

const testSecret = "s3cret"

// received is one request a receiver saw.
type received struct {
	Event, Delivery, Attempt string
	SigOK                    bool
	Body                     WebhookEvent
	Raw                      string
}

// receiver is a real HTTP server that fails the first fail requests with
// status failStatus, then answers 204.
type receiver struct {
	t          *testing.T
	srv        *httptest.Server
	mu         sync.Mutex
	fail       int
	failStatus int
	reqs       []received
}

func newReceiver(t *testing.T, fail, failStatus int) *receiver {
	t.Helper()
	r := &receiver{t: t, fail: fail, failStatus: failStatus}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		r.t.Errorf("reading webhook body: %v", err)
	}
	rec := received{
		Event:    req.Header.Get(HeaderEvent),
		Delivery: req.Header.Get(HeaderDelivery),
		Attempt:  req.Header.Get(HeaderAttempt),
		SigOK:    VerifyWebhook(testSecret, body, req.Header.Get(HeaderSignature)),
		Raw:      string(body),
	}
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
		r.t.Errorf("webhook request %s with content type %q", req.Method, req.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(body, &rec.Body); err != nil {
		r.t.Errorf("decoding webhook body %s: %v", body, err)
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	n := len(r.reqs)
	r.mu.Unlock()
	if n <= r.fail {
		http.Error(w, "boom", r.failStatus)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.reqs...)
}

// lookupTo sends every KB's events to url, signed with testSecret.
func lookupTo(url string) WebhookLookup {
	return func(context.Context, string) (string, string, error) { return url, testSecret, nil }
}

// testWebhookConfig has durations fit for a fake clock (nothing sleeps)
// and allows the loopback receivers of these tests.
func testWebhookConfig() WebhookConfig {
	cfg := DefaultWebhookConfig()
	cfg.AllowHosts = []string{"127.0.0.0/8"}
	cfg.BackoffBase = time.Second
	cfg.BackoffMax = 4 * time.Second
	cfg.Jitter = 0
	return cfg
}

func newTestDeliverer(t *testing.T, hs *HandoffStore, cfg WebhookConfig, lookup WebhookLookup, clock *answertest.Clock) *WebhookDeliverer {
	t.Helper()
	d, err := NewWebhookDeliverer(hs, cfg, lookup, nil)
	if err != nil {
		t.Fatal(err)
	}
	if clock != nil {
		d.now = clock.Now
	}
	return d
}

func mustGet(t *testing.T, hs *HandoffStore, id string) Handoff {
	t.Helper()
	h, err := hs.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// runDeliverer runs d.Run until the test ends.
func runDeliverer(t *testing.T, d *WebhookDeliverer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// By default a deliverer refuses internal destinations: the loopback
// receiver is never reached and the refusal is the delivery's last error.
func TestWebhookRefusesInternalDestinations(t *testing.T) {
	hs, clock := newTestHandoffStore(t)
	rcv := newReceiver(t, 0, 0)
	cfg := testWebhookConfig()
	cfg.AllowHosts = nil
	d := newTestDeliverer(t, hs, cfg, lookupTo(rcv.srv.URL), clock)
	h, err := hs.Create(context.Background(), Handoff{KB: "shop", Question: "转人工", Reason: ReasonCustomerRequest})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, hs, h.ID).Delivery
	if got.State != DeliveryRetrying || !strings.Contains(got.LastError, "forbidden destination") || len(rcv.requests()) != 0 {
		t.Errorf("delivery %+v, %d requests; want a refusal and no request", got, len(rcv.requests()))
	}
	if err := (WebhookConfig{AllowHosts: []string{"10.0.0.0/99"}}).Validate(); err == nil || !strings.Contains(err.Error(), "webhook.allow_hosts") {
		t.Errorf("a bad allow_hosts: %v", err)
	}
}

func TestWebhookConfigValidate(t *testing.T) {
	if err := DefaultWebhookConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for key, mutate := range map[string]func(c *WebhookConfig){
		"webhook.timeout":       func(c *WebhookConfig) { c.Timeout = 0 },
		"webhook.backoff_base":  func(c *WebhookConfig) { c.BackoffBase = -time.Second },
		"webhook.backoff_max":   func(c *WebhookConfig) { c.BackoffMax = c.BackoffBase / 2 },
		"webhook.jitter":        func(c *WebhookConfig) { c.Jitter = 1 },
		"webhook.scan_interval": func(c *WebhookConfig) { c.ScanInterval = 0 },
		"webhook.concurrency":   func(c *WebhookConfig) { c.Concurrency = 0 },
	} {
		c := DefaultWebhookConfig()
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: err = %v, want one naming the key", key, err)
		}
		if _, err := NewWebhookDeliverer(&HandoffStore{}, c, lookupTo(""), nil); err == nil {
			t.Errorf("%s: NewWebhookDeliverer accepted a bad config", key)
		}
	}
}

func TestWebhookBackoff(t *testing.T) {
	cfg := testWebhookConfig()
	var got []time.Duration
	for attempt := 1; attempt <= 6; attempt++ {
		got = append(got, cfg.Backoff(attempt))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("backoff without jitter (-want +got):\n%s", diff)
	}
	cfg.Jitter = 0.5
	for attempt := 1; attempt <= 4; attempt++ {
		full := want[attempt-1]
		if d := cfg.backoff(attempt, 0.999); d < full/2 || d > full {
			t.Errorf("attempt %d: jittered %v outside [%v, %v]", attempt, d, full/2, full)
		}
		if d := cfg.Backoff(attempt); d < full/2 || d > full {
			t.Errorf("attempt %d: random jitter %v outside [%v, %v]", attempt, d, full/2, full)
		}
	}
	if got := cfg.Backoff(1000); got > cfg.BackoffMax {
		t.Errorf("attempt 1000: %v over the cap", got)
	}
}

func TestWebhookSignature(t *testing.T) {
	// RFC 4231-style known answer (HMAC-SHA256 of the pangram keyed "key").
	body := []byte("The quick brown fox jumps over the lazy dog")
	const want = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got := SignWebhook("key", body); got != want {
		t.Errorf("SignWebhook = %s, want %s", got, want)
	}
	if !VerifyWebhook("key", body, want) || VerifyWebhook("other", body, want) || VerifyWebhook("key", append(body, '!'), want) {
		t.Error("VerifyWebhook accepts a wrong signature or rejects the right one")
	}
}

func TestWebhookRetriesWithBackoff(t *testing.T) {
	ctx := context.Background()
	hs, clock := newTestHandoffStore(t)
	rcv := newReceiver(t, 4, http.StatusInternalServerError)
	d := newTestDeliverer(t, hs, testWebhookConfig(), lookupTo(rcv.srv.URL), clock)
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}

	// Four failures, waiting 1s, 2s, 4s and (capped) 4s after them.
	for i, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		next, err := d.DeliverDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := mustGet(t, hs, h.ID).Delivery
		want := Delivery{State: DeliveryRetrying, Event: EventHandoffCreated, Attempts: i + 1,
			LastError: "status 500 Internal Server Error: boom", NextAttemptAt: clock.Now().Add(wait)}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Fatalf("after failure %d (-want +got):\n%s", i+1, diff)
		}
		if !next.Equal(want.NextAttemptAt) {
			t.Errorf("after failure %d: DeliverDue says next attempt at %v, want %v", i+1, next, want.NextAttemptAt)
		}
		// Not due yet: nothing is sent.
		clock.Advance(wait - time.Millisecond)
		if _, err := d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(rcv.requests()); n != i+1 {
			t.Fatalf("after failure %d and an early scan: %d requests", i+1, n)
		}
		clock.Advance(time.Millisecond)
	}
	next, err := d.DeliverDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !next.IsZero() {
		t.Errorf("nothing waits, yet DeliverDue says next attempt at %v", next)
	}
	want := Delivery{State: DeliveryDelivered, Event: EventHandoffCreated, Attempts: 5, DeliveredAt: clock.Now()}
	if diff := gocmp.Diff(want, mustGet(t, hs, h.ID).Delivery); diff != "" {
		t.Errorf("after success (-want +got):\n%s", diff)
	}

	reqs := rcv.requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests, want 5", len(reqs))
	}
	for i, r := range reqs {
		if !r.SigOK {
			t.Errorf("request %d: bad signature", i)
		}
		if r.Event != EventHandoffCreated || r.Body.Event != EventHandoffCreated {
			t.Errorf("request %d: event %q / %q", i, r.Event, r.Body.Event)
		}
		if r.Delivery != reqs[0].Delivery || r.Body.ID != r.Delivery || r.Delivery == "" {
			t.Errorf("request %d: delivery id %q (body %q), first %q", i, r.Delivery, r.Body.ID, reqs[0].Delivery)
		}
		if want := string(rune('1' + i)); r.Attempt != want {
			t.Errorf("request %d: attempt header %q, want %s", i, r.Attempt, want)
		}
		if r.Body.Handoff.ID != h.ID || r.Body.Handoff.Question != h.Question || len(r.Body.Handoff.Candidates) != 1 {
			t.Errorf("request %d: handoff %+v", i, r.Body.Handoff)
		}
		if strings.Contains(r.Raw, `"delivery"`) {
			t.Errorf("request %d: the body carries the delivery state: %s", i, r.Raw)
		}
	}

	// Delivered: later scans send nothing.
	clock.Advance(time.Hour)
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.requests()); n != 5 {
		t.Errorf("%d requests after delivery, want 5", n)
	}
}

func TestWebhookFailuresRetry(t *testing.T) {
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client hanging up
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(hang) }) // before slow.Close
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	redirect := httptest.NewServer(http.RedirectHandler("http://example.invalid/", http.StatusFound))
	t.Cleanup(redirect.Close)

	for _, tc := range []struct {
		name    string
		lookup  func(t *testing.T) WebhookLookup
		wantErr string
	}{
		{"server error", func(t *testing.T) WebhookLookup { return lookupTo(newReceiver(t, 1, 503).srv.URL) }, "status 503"},
		{"not found", func(t *testing.T) WebhookLookup { return lookupTo(newReceiver(t, 1, 404).srv.URL) }, "status 404"},
		{"redirect not followed", func(*testing.T) WebhookLookup { return lookupTo(redirect.URL) }, "status 302"},
		{"timeout", func(*testing.T) WebhookLookup { return lookupTo(slow.URL) }, "Client.Timeout"},
		{"connection refused", func(*testing.T) WebhookLookup { return lookupTo(gone.URL + "/hook?token=topsecret") }, "connect"},
		{"lookup error", func(*testing.T) WebhookLookup {
			return func(context.Context, string) (string, string, error) {
				return "", "", errors.New("settings unavailable")
			}
		}, "looking up webhook: settings unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			hs, clock := newTestHandoffStore(t)
			cfg := testWebhookConfig()
			if tc.name == "timeout" {
				cfg.Timeout = 200 * time.Millisecond
			}
			d := newTestDeliverer(t, hs, cfg, tc.lookup(t), clock)
			h, err := hs.Create(ctx, sampleHandoff("shop"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			got := mustGet(t, hs, h.ID).Delivery
			if got.State != DeliveryRetrying || got.Attempts != 1 || !got.NextAttemptAt.Equal(clock.Now().Add(time.Second)) {
				t.Errorf("delivery %+v, want retrying after 1 attempt, next in 1s", got)
			}
			if !strings.Contains(got.LastError, tc.wantErr) {
				t.Errorf("last error %q, want it to contain %q", got.LastError, tc.wantErr)
			}
			if strings.Contains(got.LastError, "topsecret") {
				t.Errorf("last error leaks the URL: %q", got.LastError)
			}
		})
	}
}

func TestWebhookNoWebhook(t *testing.T) {
	ctx := context.Background()
	hs, clock := newTestHandoffStore(t)
	d := newTestDeliverer(t, hs, testWebhookConfig(), lookupTo(""), clock)
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	next, err := d.DeliverDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Delivery{State: DeliveryNone, Event: EventHandoffCreated}
	if diff := gocmp.Diff(want, mustGet(t, hs, h.ID).Delivery); diff != "" || !next.IsZero() {
		t.Errorf("no webhook: next %v, delivery (-want +got):\n%s", next, diff)
	}
	// Resolving it owes nothing either.
	if _, err := hs.Resolve(ctx, h.ID, Resolution{Reply: "ok"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(want, mustGet(t, hs, h.ID).Delivery); diff != "" {
		t.Errorf("no webhook, resolved (-want +got):\n%s", diff)
	}
}

func TestWebhookResolvedEvents(t *testing.T) {
	ctx := context.Background()
	hs, clock := newTestHandoffStore(t)
	rcv := newReceiver(t, 0, 0)
	d := newTestDeliverer(t, hs, testWebhookConfig(), lookupTo(rcv.srv.URL), clock)

	// Resolved before its first delivery: "created" (already carrying the
	// resolution), then "resolved", in one pass.
	early, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hs.Resolve(ctx, early.ID, Resolution{Reply: "已处理"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.requests()
	if len(reqs) != 2 || reqs[0].Event != EventHandoffCreated || reqs[1].Event != EventHandoffResolved {
		t.Fatalf("requests %+v, want created then resolved", reqs)
	}
	for i, r := range reqs {
		if !r.SigOK || r.Body.Handoff.Status != HandoffResolved || r.Body.Handoff.Resolution == nil || r.Body.Handoff.Resolution.Reply != "已处理" {
			t.Errorf("request %d: signature ok %t, handoff %+v", i, r.SigOK, r.Body.Handoff)
		}
	}
	if reqs[0].Delivery == reqs[1].Delivery {
		t.Errorf("both events have delivery id %s", reqs[0].Delivery)
	}
	want := Delivery{State: DeliveryDelivered, Event: EventHandoffResolved, Attempts: 1, DeliveredAt: clock.Now()}
	if diff := gocmp.Diff(want, mustGet(t, hs, early.ID).Delivery); diff != "" {
		t.Errorf("resolved early (-want +got):\n%s", diff)
	}

	// Resolved after "created" was delivered: the next pass sends "resolved".
	late, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, hs, late.ID).Delivery; got.State != DeliveryDelivered || got.Event != EventHandoffCreated {
		t.Fatalf("late, before resolving: %+v", got)
	}
	clock.Advance(time.Minute)
	if _, err := hs.Resolve(ctx, late.ID, Resolution{Reply: "退款已到账"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	reqs = rcv.requests()
	if len(reqs) != 4 || reqs[3].Event != EventHandoffResolved || reqs[3].Body.Handoff.ID != late.ID || !reqs[3].SigOK {
		t.Fatalf("requests %+v, want a fourth: resolved for %s", reqs, late.ID)
	}
	want = Delivery{State: DeliveryDelivered, Event: EventHandoffResolved, Attempts: 1, DeliveredAt: clock.Now()}
	if diff := gocmp.Diff(want, mustGet(t, hs, late.ID).Delivery); diff != "" {
		t.Errorf("resolved late (-want +got):\n%s", diff)
	}
}

func TestWebhookResumesAfterRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := testWebhookConfig()
	cfg.BackoffBase, cfg.BackoffMax = 5*time.Millisecond, 20*time.Millisecond

	// First process: the receiver is down; one handoff is retrying, one
	// was created after the last pass and is still pending.
	hs1, s1 := openHandoffStore(t, dir)
	down := newReceiver(t, 1<<30, http.StatusBadGateway)
	d1 := newTestDeliverer(t, hs1, cfg, lookupTo(down.srv.URL), nil)
	retrying, err := hs1.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d1.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	pending, err := hs1.Create(ctx, sampleHandoff("brand"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	// Second process: the state was persisted, and Run finishes the work.
	hs2, _ := openHandoffStore(t, dir)
	got := mustGet(t, hs2, retrying.ID).Delivery
	if got.State != DeliveryRetrying || got.Attempts != 1 || !strings.Contains(got.LastError, "502") || got.NextAttemptAt.IsZero() {
		t.Errorf("after reopening: %+v, want retrying after 1 attempt with a 502", got)
	}
	if got := mustGet(t, hs2, pending.ID).Delivery; got.State != DeliveryPending || got.Attempts != 0 {
		t.Errorf("after reopening, the second: %+v, want pending", got)
	}
	up := newReceiver(t, 0, 0)
	d2 := newTestDeliverer(t, hs2, cfg, lookupTo(up.srv.URL), nil)
	runDeliverer(t, d2)
	waitFor(t, "both deliveries", func() bool {
		return mustGet(t, hs2, retrying.ID).Delivery.State == DeliveryDelivered &&
			mustGet(t, hs2, pending.ID).Delivery.State == DeliveryDelivered
	})
	if got := mustGet(t, hs2, retrying.ID).Delivery; got.Attempts != 2 || got.LastError != "" {
		t.Errorf("resumed delivery: %+v, want delivered on attempt 2", got)
	}
	first := down.requests()[0]
	var resumed *received
	for _, r := range up.requests() {
		if r.Body.Handoff.ID == retrying.ID {
			resumed = &r
		}
	}
	if resumed == nil || resumed.Delivery != first.Delivery || resumed.Attempt != "2" || !resumed.SigOK {
		t.Errorf("resumed request %+v, want attempt 2 with delivery id %s", resumed, first.Delivery)
	}
}

func TestWebhookRunRetriesUntilDelivered(t *testing.T) {
	ctx := context.Background()
	hs, _ := newTestHandoffStore(t)
	hs.now = time.Now
	cfg := testWebhookConfig()
	cfg.BackoffBase, cfg.BackoffMax, cfg.Jitter = 2*time.Millisecond, 10*time.Millisecond, 0.5
	rcv := newReceiver(t, 3, http.StatusServiceUnavailable)
	d := newTestDeliverer(t, hs, cfg, lookupTo(rcv.srv.URL), nil)
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	runDeliverer(t, d)
	waitFor(t, "delivery", func() bool { return mustGet(t, hs, h.ID).Delivery.State == DeliveryDelivered })
	if got := mustGet(t, hs, h.ID).Delivery; got.Attempts != 4 {
		t.Errorf("delivered after %d attempts, want 4", got.Attempts)
	}
	if n := len(rcv.requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

func TestWebhookNotify(t *testing.T) {
	ctx := context.Background()
	hs, _ := newTestHandoffStore(t)
	hs.now = time.Now
	cfg := testWebhookConfig()
	cfg.ScanInterval = time.Hour // only Notify can wake it in time
	rcv := newReceiver(t, 0, 0)
	d := newTestDeliverer(t, hs, cfg, lookupTo(rcv.srv.URL), nil)
	runDeliverer(t, d)
	waitFor(t, "the first pass", func() bool { return d.passes.Load() >= 1 })
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	d.Notify(h.ID)
	d.Notify(h.ID) // a second wake-up while one is pending does not block
	waitFor(t, "delivery after Notify", func() bool { return mustGet(t, hs, h.ID).Delivery.State == DeliveryDelivered })
	if reqs := rcv.requests(); len(reqs) != 1 || !reqs[0].SigOK {
		t.Errorf("requests %+v, want one signed", reqs)
	}
}

// TestHandoffDeliveryDecidedAtCreate checks that an engine with webhooks
// on creates the handoffs of a KB without a webhook with nothing to
// deliver, and decides on the store, not on its cache: a webhook another
// replica set a moment ago counts.
func TestHandoffDeliveryDecidedAtCreate(t *testing.T) {
	ctx := context.Background()
	k, store := newTestKB(t)
	cfg := testWebhookConfig()
	newEngine := func(k *Library) *Engine {
		e, err := NewEngine(ctx, k, Options{Webhook: &cfg})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := e.Close(); err != nil {
				t.Error(err)
			}
		})
		return e
	}
	e := newEngine(k)
	create := func(what string, want DeliveryState) {
		t.Helper()
		h, err := e.Handoffs.Create(ctx, sampleHandoff("shop"))
		if err != nil {
			t.Fatal(err)
		}
		stored, err := e.Handoffs.Get(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if h.Delivery.State != want || stored.Delivery.State != want {
			t.Errorf("%s: delivery %q (stored %q), want %q", what, h.Delivery.State, stored.Delivery.State, want)
		}
	}
	if _, _, err := e.Settings.Get(ctx, "shop"); err != nil { // cached: no webhook
		t.Fatal(err)
	}
	create("no webhook", DeliveryNone)

	// Another replica over the same store sets one.
	k2, err := NewLibrary(ctx, store, testEmbedder(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := DefaultSettings("shop")
	st.Webhook = Webhook{URL: "https://desk.example.com/hook", Secret: "desk-secret-0123456789"}
	if _, err := newEngine(k2).Settings.Replace(ctx, st); err != nil {
		t.Fatal(err)
	}
	if cached, _, err := e.Settings.Get(ctx, "shop"); err != nil || cached.Webhook.URL != "" {
		t.Fatalf("this replica's cache: %+v, %v; want it not to have the webhook yet", cached.Webhook, err)
	}
	create("a webhook set on another replica", DeliveryPending)
}
