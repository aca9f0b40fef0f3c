package answer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// EventAnswerFeedback is the webhook event of a customer's verdict on an answer.
const EventAnswerFeedback = "answer.feedback"

// WebhookEventsCollection holds the webhook events that are not about a
// handoff (answer.feedback), each with its delivery state.
const WebhookEventsCollection = "webhook_events"

// FeedbackEvent is the "feedback" of an answer.feedback event.
type FeedbackEvent struct {
	AnswerID string   `json:"answer_id"`
	Decision Decision `json:"decision"`
	// ArticleID is the article answered with (decision answer).
	ArticleID string `json:"article_id,omitempty"`
	Helpful   bool   `json:"helpful"`
	Comment   string `json:"comment,omitempty"`
}

// queuedEvent is an event waiting in WebhookEventsCollection.
type queuedEvent struct {
	Event      string         `json:"event"`
	KB         string         `json:"kb"`
	OccurredAt time.Time      `json:"occurred_at"`
	Feedback   *FeedbackEvent `json:"feedback,omitempty"`
}

// useClient makes the deliverer's requests with c's transport, keeping
// its own timeout and refusing redirects.
func (d *WebhookDeliverer) useClient(c *http.Client) {
	cc := *c
	cc.Timeout = d.cfg.Timeout
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d.client = &cc
}

// ensureWebhookEvents creates WebhookEventsCollection when it is missing.
func ensureWebhookEvents(ctx context.Context, store index.Store) error {
	return index.Ensure(ctx, store, index.CollectionConfig{Name: WebhookEventsCollection, Sparse: true}, map[string]index.FieldType{
		"kb": index.FieldKeyword, "delivery_state": index.FieldKeyword, "next_attempt_at": index.FieldDatetime,
		deliveryLease + "_until": index.FieldDatetime, deliveryLease + "_by": index.FieldKeyword,
	})
}

// queueFeedback stores an answer.feedback event for delivery and wakes Run.
func (d *WebhookDeliverer) queueFeedback(ctx context.Context, kb string, f FeedbackEvent) error {
	now := d.now().UTC()
	id := uuid.NewString() // the delivery id: a second verdict is a second event
	doc, err := json.Marshal(queuedEvent{Event: EventAnswerFeedback, KB: kb, OccurredAt: now, Feedback: &f})
	if err != nil {
		return fmt.Errorf("encoding the feedback event: %w", err)
	}
	p, err := deliveryPayload(Delivery{State: DeliveryPending, Event: EventAnswerFeedback, NextAttemptAt: now})
	if err != nil {
		return err
	}
	p["kb"], p["doc"] = kb, string(doc)
	if err := d.store.store.Upsert(ctx, WebhookEventsCollection, []index.Point{{ID: id, Payload: p}}); err != nil {
		return fmt.Errorf("queueing the feedback event: %w", err)
	}
	d.Notify(id)
	return nil
}

// deliverEvents makes the due attempts of the queued events, one at a time.
func (d *WebhookDeliverer) deliverEvents(ctx context.Context, now time.Time) error {
	var recs []index.Record
	err := index.ScrollAll(ctx, d.store.store, WebhookEventsCollection, index.ScrollRequest{
		Filter: dueEvents(now),
		Limit:  500, With: index.With{Payload: true},
	}, func(r index.Record) error {
		recs = append(recs, r)
		return nil
	})
	if errors.Is(err, index.ErrCollectionNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("scanning due webhook events: %w", err)
	}
	for _, r := range recs {
		if !d.claim(r.ID) {
			continue
		}
		err := d.deliverEvent(ctx, r)
		d.release(r.ID)
		if err != nil || ctx.Err() != nil {
			return err
		}
	}
	return nil
}

// deliverEvent leases a queued event, makes one attempt and records its
// state.
func (d *WebhookDeliverer) deliverEvent(ctx context.Context, r index.Record) error {
	lease, ok, err := d.takeDelivery(ctx, WebhookEventsCollection, r.ID, dueEvents(d.now()))
	if err != nil || !ok {
		return err
	}
	recs, err := d.store.store.Get(ctx, WebhookEventsCollection, []string{r.ID}, index.With{Payload: true})
	if err != nil || len(recs) == 0 {
		d.dropDelivery(ctx, WebhookEventsCollection, r.ID, lease)
		return err
	}
	return d.attemptEvent(ctx, recs[0], lease)
}

// attemptEvent makes one attempt of a leased queued event.
func (d *WebhookDeliverer) attemptEvent(ctx context.Context, r index.Record, lease index.Lease) error {
	var q queuedEvent
	js, _ := r.Payload["doc"].(string)
	if err := json.Unmarshal([]byte(js), &q); err != nil {
		return fmt.Errorf("decoding webhook event %s: %w", r.ID, err)
	}
	var del Delivery
	ds, _ := r.Payload["delivery"].(string)
	if err := json.Unmarshal([]byte(ds), &del); err != nil {
		return fmt.Errorf("decoding webhook event %s's delivery: %w", r.ID, err)
	}
	log := d.logger.With("webhook_event", r.ID, "kb", q.KB)
	url, secret, err := d.lookup(ctx, q.KB)
	if err == nil && url == "" {
		return d.setEventDelivery(ctx, r.ID, Delivery{State: DeliveryNone, Event: q.Event, Attempts: del.Attempts})
	}
	if err != nil {
		err = fmt.Errorf("looking up webhook: %w", err)
	} else {
		ev := WebhookEvent{ID: r.ID, Event: q.Event, KB: q.KB, OccurredAt: q.OccurredAt, Feedback: q.Feedback}
		err = d.send(ctx, url, secret, ev, del.Attempts+1)
	}
	if ctx.Err() != nil {
		d.dropDelivery(ctx, WebhookEventsCollection, r.ID, lease)
		return nil
	}
	del.Attempts++
	now := d.now().UTC()
	if err != nil {
		del.State, del.LastError = DeliveryRetrying, truncateUTF8(err.Error(), maxLastError)
		del.NextAttemptAt = now.Add(d.cfg.Backoff(del.Attempts))
		log.Warn("webhook delivery failed", "event", q.Event, "attempt", del.Attempts, "err", del.LastError, "next_attempt_at", del.NextAttemptAt)
		return d.setEventDelivery(ctx, r.ID, del)
	}
	log.Info("webhook delivered", "event", q.Event, "attempt", del.Attempts)
	return d.setEventDelivery(ctx, r.ID, Delivery{State: DeliveryDelivered, Event: q.Event, Attempts: del.Attempts, DeliveredAt: now})
}

func (d *WebhookDeliverer) setEventDelivery(ctx context.Context, id string, del Delivery) error {
	p, err := deliveryPayload(del)
	if err != nil {
		return err
	}
	maps.Copy(p, index.LeaseCleared(deliveryLease))
	if err := d.store.store.SetPayload(ctx, WebhookEventsCollection, []string{id}, p); err != nil {
		return fmt.Errorf("writing webhook event delivery state: %w", err)
	}
	return nil
}

// nextEventAttempt is the earliest next attempt of a waiting queued event.
func (d *WebhookDeliverer) nextEventAttempt(ctx context.Context) (time.Time, error) {
	page, err := d.store.store.Scroll(ctx, WebhookEventsCollection, index.ScrollRequest{
		Filter:  waiting(d.now()),
		OrderBy: &index.OrderBy{Key: "next_attempt_at"},
		Limit:   1,
		With:    index.With{Payload: true},
	})
	if errors.Is(err, index.ErrCollectionNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("finding the next webhook event: %w", err)
	}
	if len(page.Points) == 0 {
		return time.Time{}, nil
	}
	s, _ := page.Points[0].Payload["next_attempt_at"].(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("webhook event %s: bad next_attempt_at %q", page.Points[0].ID, s)
	}
	return t, nil
}
