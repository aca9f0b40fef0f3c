package answer

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

// Every event carries the documented schema: version, id, event, kb,
// occurred_at and the event's own object.
func TestWebhookEventSchema(t *testing.T) {
	ctx := context.Background()
	hs, clock := newTestHandoffStore(t)
	rcv := newReceiver(t, 0, 0)
	d := newTestDeliverer(t, hs, testWebhookConfig(), lookupTo(rcv.srv.URL), clock)
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(reqs[0].Raw), &top); err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff([]string{"event", "handoff", "id", "kb", "occurred_at", "version"}, slices.Sorted(maps.Keys(top))); diff != "" {
		t.Errorf("handoff.created fields (-want +got):\n%s", diff)
	}
	b := reqs[0].Body
	if b.Version != WebhookSchemaVersion || b.KB != "shop" || !b.OccurredAt.Equal(h.CreatedAt) || b.Handoff == nil || b.Handoff.ID != h.ID || b.Feedback != nil {
		t.Errorf("handoff.created body: %s", reqs[0].Raw)
	}
}

// answer.feedback waits in webhook_events and is retried like handoff
// events until the receiver takes it.
func TestWebhookFeedbackEvent(t *testing.T) {
	ctx := context.Background()
	hs, clock := newTestHandoffStore(t)
	if err := ensureWebhookEvents(ctx, hs.store); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, 1, http.StatusServiceUnavailable)
	d := newTestDeliverer(t, hs, testWebhookConfig(), lookupTo(rcv.srv.URL), clock)
	f := FeedbackEvent{AnswerID: "0f8c7a52-5b7e-4d0f-9f3c-1a2b3c4d5e6f", Decision: DecisionAnswer, ArticleID: "ship-fee", Helpful: false, Comment: "没说清楚"}
	if err := d.queueFeedback(ctx, "shop", f); err != nil {
		t.Fatal(err)
	}
	at := clock.Now()
	next, err := d.DeliverDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := at.Add(time.Second); !next.Equal(want) {
		t.Errorf("after a failure the next attempt is at %v, want %v", next, want)
	}
	clock.Advance(time.Second)
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if next, err := d.DeliverDue(ctx); err != nil || !next.IsZero() {
		t.Fatalf("after delivery: next %v, err %v", next, err)
	}
	reqs := rcv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (one failure, one success)", len(reqs))
	}
	for i, r := range reqs {
		want := WebhookEvent{Version: 1, ID: reqs[0].Delivery, Event: EventAnswerFeedback, KB: "shop", OccurredAt: at, Feedback: &f}
		if diff := gocmp.Diff(want, r.Body); diff != "" {
			t.Errorf("request %d (-want +got):\n%s", i, diff)
		}
		if !r.SigOK || r.Event != EventAnswerFeedback || r.Delivery != r.Body.ID {
			t.Errorf("request %d: signature %v, event header %q, delivery %q", i, r.SigOK, r.Event, r.Delivery)
		}
	}
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// An engine given an HTTP client delivers through its transport (the
// wiring's one outbound client), with the webhook timeout.
func TestWebhookUsesTheGivenClient(t *testing.T) {
	ctx := context.Background()
	hs, clock := newTestHandoffStore(t)
	rcv := newReceiver(t, 0, 0)
	d := newTestDeliverer(t, hs, testWebhookConfig(), lookupTo(rcv.srv.URL), clock)
	tr := &countingTransport{}
	d.useClient(&http.Client{Transport: tr, Timeout: time.Hour})
	if _, err := hs.Create(ctx, sampleHandoff("shop")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if tr.n != 1 || len(rcv.requests()) != 1 || d.client.Timeout != testWebhookConfig().Timeout {
		t.Errorf("transport carried %d requests, receiver saw %d, timeout %v", tr.n, len(rcv.requests()), d.client.Timeout)
	}
}
