package answer

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jieda/jieda/answer/egress"
	"github.com/jieda/jieda/index"
)

// Webhook request headers.
const (
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256 of the body
	// keyed with the KB's webhook secret (absent when the secret is empty).
	HeaderSignature = "X-Jieda-Signature"
	// HeaderDelivery carries the delivery id: the same for every attempt
	// of one event of one handoff, so receivers can drop duplicates.
	HeaderDelivery = "X-Jieda-Delivery"
	// HeaderEvent carries the event name.
	HeaderEvent = "X-Jieda-Event"
	// HeaderAttempt carries the attempt number, from 1.
	HeaderAttempt = "X-Jieda-Attempt"
)

// WebhookConfig tunes webhook delivery. Keys live under webhook.
type WebhookConfig struct {
	// Timeout bounds one delivery attempt, response included. Key
	// webhook.timeout, default 10s.
	Timeout time.Duration `mapstructure:"timeout"`
	// BackoffBase is the wait after the first failed attempt; each further
	// failure doubles it. Key webhook.backoff_base, default 5s.
	BackoffBase time.Duration `mapstructure:"backoff_base"`
	// BackoffMax caps the wait between attempts; a delivery that keeps
	// failing is retried at this interval forever. Key webhook.backoff_max,
	// default 10m.
	BackoffMax time.Duration `mapstructure:"backoff_max"`
	// Jitter shortens each wait by a random share of up to Jitter, so that
	// many handoffs failing together do not retry in lockstep. Key
	// webhook.jitter, default 0.2.
	Jitter float64 `mapstructure:"jitter"`
	// ScanInterval is how often the store is scanned for due deliveries
	// (besides the wake-ups for known retry times and Notify), which picks
	// up work left by other replicas. Key webhook.scan_interval, default 30s.
	ScanInterval time.Duration `mapstructure:"scan_interval"`
	// Concurrency is how many deliveries run at once. Key
	// webhook.concurrency, default 4.
	Concurrency int `mapstructure:"concurrency"`
	// AllowHosts lists the internal destinations (host names, addresses,
	// CIDRs) webhooks and callbacks may reach; every loopback, link-local,
	// private and multicast address is refused otherwise, also when a
	// public name resolves to one. Key webhook.allow_hosts, default none.
	AllowHosts []string `mapstructure:"allow_hosts"`
}

// DefaultWebhookConfig returns the defaults documented on WebhookConfig.
func DefaultWebhookConfig() WebhookConfig {
	return WebhookConfig{
		Timeout:      10 * time.Second,
		BackoffBase:  5 * time.Second,
		BackoffMax:   10 * time.Minute,
		Jitter:       0.2,
		ScanInterval: 30 * time.Second,
		Concurrency:  4,
	}
}

// Validate checks every field, naming the key of each bad value.
func (c WebhookConfig) Validate() error {
	var errs []error
	if c.Timeout <= 0 || c.Timeout > 5*time.Minute {
		errs = append(errs, fmt.Errorf("webhook.timeout must lie in (0, 5m], got %v", c.Timeout))
	}
	if c.BackoffBase <= 0 || c.BackoffBase > time.Hour {
		errs = append(errs, fmt.Errorf("webhook.backoff_base must lie in (0, 1h], got %v", c.BackoffBase))
	}
	if c.BackoffMax < c.BackoffBase || c.BackoffMax > 24*time.Hour {
		errs = append(errs, fmt.Errorf("webhook.backoff_max must lie in [webhook.backoff_base, 24h], got %v", c.BackoffMax))
	}
	if !(c.Jitter >= 0 && c.Jitter < 1) {
		errs = append(errs, fmt.Errorf("webhook.jitter must lie in [0, 1), got %v", c.Jitter))
	}
	if c.ScanInterval <= 0 || c.ScanInterval > 24*time.Hour {
		errs = append(errs, fmt.Errorf("webhook.scan_interval must lie in (0, 24h], got %v", c.ScanInterval))
	}
	if c.Concurrency < 1 || c.Concurrency > 256 {
		errs = append(errs, fmt.Errorf("webhook.concurrency must lie in [1, 256], got %d", c.Concurrency))
	}
	if _, err := egress.New(c.AllowHosts); err != nil {
		errs = append(errs, fmt.Errorf("webhook.%w", err))
	}
	return errors.Join(errs...)
}

// Egress is the outbound policy AllowHosts describes (Validate first).
func (c WebhookConfig) Egress() *egress.Policy {
	p, err := egress.New(c.AllowHosts)
	if err != nil {
		p, _ = egress.New(nil) // unreachable after Validate: refuse every internal destination
	}
	return p
}

// Backoff is the wait after the attempt-th consecutive failure (from 1):
// BackoffBase·2^(attempt-1), capped at BackoffMax, then shortened by a
// random share of up to Jitter.
func (c WebhookConfig) Backoff(attempt int) time.Duration {
	return c.backoff(attempt, rand.Float64())
}

// backoff is Backoff with the random draw r ∈ [0, 1) given.
func (c WebhookConfig) backoff(attempt int, r float64) time.Duration {
	d := c.BackoffBase
	for i := 1; i < attempt && d < c.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, c.BackoffMax)
	return d - time.Duration(float64(d)*c.Jitter*r)
}

// WebhookLookup returns where a KB's handoff events go: an empty url
// means the KB has no webhook; secret signs the body (empty: unsigned).
type WebhookLookup func(ctx context.Context, kb string) (url, secret string, err error)

// WebhookSchemaVersion is the version of the webhook events' JSON schema,
// sent in every event's "version". It changes only when a field changes
// meaning or goes away; new fields and new event types keep it, so
// receivers must ignore what they do not know. Events sent before the
// field existed (version 0) had id, event and handoff with the meaning
// they still have.
const WebhookSchemaVersion = 1

// WebhookEvent is the JSON body of a webhook request (schema version 1):
//
//	{
//	  "version": 1,
//	  "id": "6f1c…",                          // delivery id = X-Jieda-Delivery, the same on every attempt
//	  "event": "handoff.created",             // handoff.created | handoff.resolved | answer.feedback
//	  "kb": "shop",
//	  "occurred_at": "2025-06-01T12:00:00Z",  // when it happened, not when it was sent
//	  "handoff": {…},                         // handoff.* only: the Handoff
//	  "feedback": {…}                         // answer.feedback only: the FeedbackEvent
//	}
//
// The headers carry the event (X-Jieda-Event), the delivery id, the
// attempt (X-Jieda-Attempt) and the signature (X-Jieda-Signature, when
// the KB's webhook has a secret).
type WebhookEvent struct {
	// Version is WebhookSchemaVersion.
	Version int `json:"version"`
	// ID is the delivery id, also in the X-Jieda-Delivery header.
	ID    string `json:"id"`
	Event string `json:"event"`
	// KB is the knowledge base the event is about.
	KB string `json:"kb"`
	// OccurredAt is when the handoff was created or resolved, or the
	// feedback given.
	OccurredAt time.Time `json:"occurred_at"`
	// Handoff is the handoff as stored when the attempt is made (without
	// its delivery state): a "handoff.created" event sent after the
	// handoff was resolved already carries the resolution.
	Handoff *Handoff `json:"handoff,omitempty"`
	// Feedback is a customer's verdict on an answer (answer.feedback).
	Feedback *FeedbackEvent `json:"feedback,omitempty"`
}

// SignWebhook returns the X-Jieda-Signature value of body: "sha256=" and
// the hex HMAC-SHA256 of body keyed with secret.
func SignWebhook(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook reports whether signature is body's X-Jieda-Signature
// under secret, comparing in constant time. Receivers written in Go can
// use it.
func VerifyWebhook(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(SignWebhook(secret, body)), []byte(signature))
}

// deliveryNamespace roots the delivery ids.
var deliveryNamespace = uuid.MustParse("0e6f1c52-3b7d-4f4e-8a0b-9d2c7e5a1f34")

// deliveryID is the stable id of one event of one handoff.
func deliveryID(handoffID, event string) string {
	return uuid.NewSHA1(deliveryNamespace, []byte(handoffID+"\x00"+event)).String()
}

// maxLastError bounds the error text kept on a handoff.
const maxLastError = 512

// WebhookDeliverer posts handoff events to each KB's webhook with
// retries, keeping all of its state on the handoffs in the store.
//
// # Basics
//
// Every handoff starts with a pending "handoff.created" delivery. The
// deliverer POSTs {"id","event","handoff"} (see WebhookEvent) with the
// X-Jieda-Signature, X-Jieda-Delivery, X-Jieda-Event and X-Jieda-Attempt
// headers. A 2xx response is success; anything else (redirects are not
// followed), a timeout or a network error is a failed attempt: the
// handoff's delivery turns "retrying" with the attempt count, the error
// and the next attempt time after WebhookConfig.Backoff. Deliveries are
// never given up: they keep retrying at BackoffMax. A KB without a webhook
// (empty url) gets state "none" and nothing is sent.
//
// Once "handoff.created" is delivered and the handoff is resolved
// (before or after), a "handoff.resolved" event follows with the same
// retry rules; Delivery.Event says which event the state is about.
//
// Feedback on an answer ("answer.feedback") waits in the webhook_events
// collection with its own delivery state, under the same rules.
//
// Run scans the store for due deliveries on start, at each known retry
// time, every ScanInterval and on Notify, so deliveries survive restarts
// and a replica picks up what another left.
//
// # Caveats
//
// Replicas sharing a store scan the same due deliveries; before an
// attempt a deliverer leases the handoff (or queued event) in the store,
// so one of them makes it (see deliveryLease). Delivery is still at
// least once: a crash between the receiver's 2xx and the state write, or
// an attempt outliving its lease, sends an event twice with the same
// delivery id, which receivers should deduplicate on. Leases compare
// times, so the replicas' clocks must agree to within seconds. Each handoff retries on its own, so a KB whose endpoint
// is down costs one attempt per waiting handoff per backoff interval.
type WebhookDeliverer struct {
	store  *HandoffStore
	cfg    WebhookConfig
	lookup WebhookLookup
	logger *slog.Logger
	client *http.Client
	now    func() time.Time
	wake   chan struct{}
	passes atomic.Int64 // passes Run has completed, for tests

	mu       sync.Mutex
	inflight map[string]bool
}

// NewWebhookDeliverer returns a deliverer of store's handoffs to the
// webhooks lookup names.
func NewWebhookDeliverer(store *HandoffStore, cfg WebhookConfig, lookup WebhookLookup, logger *slog.Logger) (*WebhookDeliverer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if store == nil || lookup == nil {
		return nil, errors.New("webhook deliverer needs a handoff store and a lookup")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &WebhookDeliverer{
		store:    store,
		cfg:      cfg,
		lookup:   lookup,
		logger:   logger,
		client:   cfg.Egress().Client(cfg.Timeout),
		now:      time.Now,
		wake:     make(chan struct{}, 1),
		inflight: map[string]bool{},
	}, nil
}

// Notify wakes Run now, for a handoff just created or resolved (id is the
// handoff's; Run scans for everything due, so it only serves the logs).
// It never blocks.
func (d *WebhookDeliverer) Notify(id string) {
	select {
	case d.wake <- struct{}{}:
		d.logger.Debug("webhook wake-up", "handoff", id)
	default:
	}
}

// Run delivers due events until ctx is done, then returns nil once the
// attempts in flight have stopped (a cancelled attempt is not counted and
// is made again after a restart).
func (d *WebhookDeliverer) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-d.wake:
		}
		next, err := d.DeliverDue(ctx)
		wait := d.cfg.ScanInterval
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			d.logger.Warn("scanning webhook deliveries", "err", err)
			wait = min(wait, d.cfg.BackoffBase)
		}
		if !next.IsZero() {
			// Not below a floor, so an attempt that keeps being due (one
			// another DeliverDue call holds) cannot spin the loop.
			wait = min(wait, max(next.Sub(d.now()), 5*time.Millisecond))
		}
		d.passes.Add(1)
		timer.Reset(wait)
	}
}

// DeliverDue makes every attempt that is due now, at most Concurrency at
// once, and returns when they are done, with the earliest next attempt
// time still waiting (zero if none). Errors reading or writing the store
// are joined; failed deliveries are not errors (they are on the handoffs).
func (d *WebhookDeliverer) DeliverDue(ctx context.Context) (time.Time, error) {
	now := d.now()
	due := dueHandoffs(now)
	var ids []string
	req := index.ScrollRequest{Filter: due, Limit: 500}
	for {
		page, err := d.store.store.Scroll(ctx, HandoffsCollection, req)
		if err != nil {
			return time.Time{}, fmt.Errorf("scanning due deliveries: %w", err)
		}
		for _, r := range page.Points {
			ids = append(ids, r.ID)
		}
		if page.Next == "" {
			break
		}
		req.Cursor = page.Next
	}

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, d.cfg.Concurrency)
	)
	for _, id := range ids {
		if !d.claim(id) {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			d.release(id)
			wg.Wait()
			return time.Time{}, ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem; d.release(id) }()
			if err := d.deliver(ctx, id); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	errs = append(errs, d.deliverEvents(ctx, now))
	if err := errors.Join(errs...); err != nil {
		return time.Time{}, err
	}
	return d.nextAttempt(ctx)
}

// dueHandoffs selects the handoffs with an attempt due at now: pending or
// retrying with the time come, or a delivered "handoff.created" of a
// handoff resolved since.
func dueHandoffs(now time.Time) *index.Filter {
	return &index.Filter{Should: []index.Condition{
		index.Nested(*dueEvents(now)),
		index.Nested(index.Filter{Must: []index.Condition{
			index.MatchKeyword("status", string(HandoffResolved)),
			index.MatchKeyword("delivery_state", string(DeliveryDelivered)),
			index.MatchKeyword("delivery_event", EventHandoffCreated),
		}}),
	}}
}

// dueEvents selects the deliveries pending or retrying with the time come.
func dueEvents(now time.Time) *index.Filter {
	return &index.Filter{Must: []index.Condition{
		index.MatchAnyKeyword("delivery_state", string(DeliveryPending), string(DeliveryRetrying)),
		index.TimeRange("next_attempt_at", index.DatetimeRange{Lte: now}),
	}}
}

// nextAttempt is the earliest next attempt time of a waiting delivery.
func (d *WebhookDeliverer) nextAttempt(ctx context.Context) (time.Time, error) {
	page, err := d.store.store.Scroll(ctx, HandoffsCollection, index.ScrollRequest{
		Filter:  waiting(d.now()),
		OrderBy: &index.OrderBy{Key: "next_attempt_at"},
		Limit:   1,
		With:    index.With{Payload: true},
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("finding the next delivery: %w", err)
	}
	ev, err := d.nextEventAttempt(ctx)
	if err != nil || len(page.Points) == 0 {
		return ev, err
	}
	s, _ := page.Points[0].Payload["next_attempt_at"].(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("handoff %s: bad next_attempt_at %q", page.Points[0].ID, s)
	}
	if !ev.IsZero() && ev.Before(t) {
		return ev, nil
	}
	return t, nil
}

func (d *WebhookDeliverer) claim(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inflight[id] {
		return false
	}
	d.inflight[id] = true
	return true
}

func (d *WebhookDeliverer) release(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.inflight, id)
}

// deliver makes the due attempt of one handoff, and the next event's
// right after when the first succeeds and another is owed. It first
// leases the handoff in the store, so that of several replicas scanning
// the same due handoff one attempts it.
func (d *WebhookDeliverer) deliver(ctx context.Context, id string) error {
	lease, ok, err := d.takeDelivery(ctx, HandoffsCollection, id, dueHandoffs(d.now()))
	if err != nil || !ok {
		return err
	}
	h, err := d.store.Get(ctx, id)
	if err != nil {
		d.dropDelivery(ctx, HandoffsCollection, id, lease)
		if errors.Is(err, ErrHandoffNotFound) {
			return nil
		}
		return err
	}
	del := h.Delivery
	switch {
	case del.State == DeliveryDelivered && del.Event == EventHandoffCreated && h.Status == HandoffResolved:
		del = Delivery{State: DeliveryPending, Event: EventHandoffResolved, DeliveredAt: del.DeliveredAt, NextAttemptAt: d.now().UTC()}
	case (del.State == DeliveryPending || del.State == DeliveryRetrying) && !del.NextAttemptAt.After(d.now()):
	default:
		d.dropDelivery(ctx, HandoffsCollection, id, lease)
		return nil // done meanwhile, or not due after all
	}
	log := d.logger.With("handoff", h.ID, "kb", h.KB)
	url, secret, err := d.lookup(ctx, h.KB)
	if err == nil && url == "" {
		log.Debug("no webhook configured", "event", del.Event)
		return d.store.setDelivery(ctx, h.ID, Delivery{State: DeliveryNone, Event: del.Event, Attempts: del.Attempts, DeliveredAt: del.DeliveredAt})
	}
	if err != nil {
		err = fmt.Errorf("looking up webhook: %w", err)
	} else {
		err = d.post(ctx, url, secret, h, del.Event, del.Attempts+1)
	}
	if ctx.Err() != nil {
		d.dropDelivery(ctx, HandoffsCollection, id, lease)
		return nil // shutting down: the attempt does not count
	}
	del.Attempts++
	now := d.now().UTC()
	if err != nil {
		del.State = DeliveryRetrying
		del.LastError = truncateUTF8(err.Error(), maxLastError)
		del.NextAttemptAt = now.Add(d.cfg.Backoff(del.Attempts))
		log.Warn("webhook delivery failed", "event", del.Event, "attempt", del.Attempts, "err", del.LastError, "next_attempt_at", del.NextAttemptAt)
		return d.store.setDelivery(ctx, h.ID, del)
	}
	log.Info("webhook delivered", "event", del.Event, "attempt", del.Attempts)
	del = Delivery{State: DeliveryDelivered, Event: del.Event, Attempts: del.Attempts, DeliveredAt: now}
	if err := d.store.setDelivery(ctx, h.ID, del); err != nil {
		return err
	}
	if del.Event == EventHandoffCreated {
		// Resolved while we were sending? Then the resolution event
		// follows at once (the next scan would catch it otherwise).
		if fresh, err := d.store.Get(ctx, h.ID); err == nil && fresh.Status == HandoffResolved {
			return d.deliver(ctx, h.ID)
		}
	}
	return nil
}

// post makes one attempt of a handoff's event: nil for a 2xx response.
func (d *WebhookDeliverer) post(ctx context.Context, target, secret string, h Handoff, event string, attempt int) error {
	h.Delivery = Delivery{}
	at := h.CreatedAt
	if event == EventHandoffResolved && h.Resolution != nil {
		at = h.Resolution.ResolvedAt
	}
	return d.send(ctx, target, secret, WebhookEvent{ID: deliveryID(h.ID, event), Event: event, KB: h.KB, OccurredAt: at, Handoff: &h}, attempt)
}

// send makes one attempt of an event: nil for a 2xx response.
func (d *WebhookDeliverer) send(ctx context.Context, target, secret string, ev WebhookEvent, attempt int) error {
	ev.Version = WebhookSchemaVersion
	event := ev.Event
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encoding event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("bad webhook url: %w", stripURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "jieda-webhook/1")
	req.Header.Set(HeaderDelivery, ev.ID)
	req.Header.Set(HeaderEvent, event)
	req.Header.Set(HeaderAttempt, strconv.Itoa(attempt))
	if secret != "" {
		req.Header.Set(HeaderSignature, SignWebhook(secret, body))
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return stripURL(err)
	}
	defer func() { _ = resp.Body.Close() }() // the answer is read: nothing to lose
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	msg := "status " + resp.Status
	if s := strings.TrimSpace(strings.ToValidUTF8(string(snippet), "\uFFFD")); s != "" {
		msg += ": " + s
	}
	return errors.New(msg)
}

// stripURL drops the URL from an HTTP client error: it may carry a token
// in its query, and the error is stored on handoffs and logged.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.ToValidUTF8(s[:n], "\uFFFD")
}
