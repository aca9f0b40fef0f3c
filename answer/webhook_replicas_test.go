package answer

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

// Replicas share one store and scan the same due deliveries: with the
// delivery lease each event reaches the receiver once.
func TestWebhookReplicasDeliverOnce(t *testing.T) {
	ctx := context.Background()
	hs, clock := newTestHandoffStore(t)
	if err := ensureWebhookEvents(ctx, hs.store); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, 0, 0)
	var replicas []*WebhookDeliverer
	for range 3 {
		replicas = append(replicas, newTestDeliverer(t, hs, testWebhookConfig(), lookupTo(rcv.srv.URL), clock))
	}
	want := map[string]int{}
	for i := range 12 {
		h, err := hs.Create(ctx, sampleHandoff("shop"))
		if err != nil {
			t.Fatal(err)
		}
		want[deliveryID(h.ID, EventHandoffCreated)] = 1
		if i%2 == 0 {
			if _, err := hs.Resolve(ctx, h.ID, Resolution{Reply: "已处理"}); err != nil {
				t.Fatal(err)
			}
			want[deliveryID(h.ID, EventHandoffResolved)] = 1
		}
	}
	for i := range 6 {
		if err := replicas[i%3].queueFeedback(ctx, "shop", FeedbackEvent{AnswerID: fmt.Sprint("a", i), Helpful: true}); err != nil {
			t.Fatal(err)
		}
	}

	for range 3 { // a few rounds, every replica scanning at once
		var wg sync.WaitGroup
		for _, d := range replicas {
			wg.Go(func() {
				if _, err := d.DeliverDue(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	got := map[string]int{}
	feedback := 0
	for _, r := range rcv.requests() {
		if r.Event == EventAnswerFeedback {
			feedback++
			got[r.Delivery]++
			continue
		}
		got[r.Delivery]++
	}
	for id, n := range got {
		if n > 1 {
			t.Errorf("delivery %s sent %d times", id, n)
		}
	}
	if feedback != 6 {
		t.Errorf("%d feedback events delivered, want 6", feedback)
	}
	for id := range want {
		if got[id] != 1 {
			t.Errorf("delivery %s sent %d times, want once", id, got[id])
		}
	}
}

// A replica that dies holding a delivery lease delays that delivery until
// the lease expires; another replica then makes it.
func TestWebhookLeaseOfADeadReplicaExpires(t *testing.T) {
	ctx := context.Background()
	hs, clock := newTestHandoffStore(t)
	rcv := newReceiver(t, 0, 0)
	dead := newTestDeliverer(t, hs, testWebhookConfig(), lookupTo(rcv.srv.URL), clock)
	alive := newTestDeliverer(t, hs, testWebhookConfig(), lookupTo(rcv.srv.URL), clock)
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := dead.takeDelivery(ctx, HandoffsCollection, h.ID, dueHandoffs(clock.Now())); err != nil || !ok {
		t.Fatalf("taking the lease: ok %v, err %v", ok, err)
	}
	next, err := alive.DeliverDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("%d requests while another replica holds the lease", n)
	}
	// Not its to wait for: Run scans again after ScanInterval, instead of
	// polling a delivery that stays due while the lease lasts.
	if !next.IsZero() {
		t.Errorf("DeliverDue says next attempt at %v while another replica holds the only delivery", next)
	}
	clock.Advance(dead.leaseTTL() + time.Millisecond)
	if _, err := alive.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.requests()); n != 1 {
		t.Fatalf("%d requests after the lease expired, want 1", n)
	}
	want := Delivery{State: DeliveryDelivered, Event: EventHandoffCreated, Attempts: 1, DeliveredAt: clock.Now()}
	if diff := gocmp.Diff(want, mustGet(t, hs, h.ID).Delivery); diff != "" {
		t.Errorf("delivery (-want +got):\n%s", diff)
	}
}
