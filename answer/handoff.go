package answer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// HandoffsCollection holds one payload-only point per handoff.
const HandoffsCollection = "handoffs"

// HandoffReason says why a question went to a human.
type HandoffReason string

// Handoff reasons.
const (
	ReasonLowConfidence   HandoffReason = "low_confidence"
	ReasonOutOfScope      HandoffReason = "out_of_scope"
	ReasonAmbiguous       HandoffReason = "ambiguous"
	ReasonCustomerRequest HandoffReason = "customer_request"
	ReasonComplaint       HandoffReason = "complaint"
	ReasonExpiredAnswer   HandoffReason = "expired_answer"
	// ReasonSuggest: jieda would have answered (or clarified), but the
	// category only suggests (Autonomy): the packet carries the suggestion.
	ReasonSuggest HandoffReason = "suggest"
)

// HandoffReasons lists every reason.
var HandoffReasons = []HandoffReason{ReasonLowConfidence, ReasonOutOfScope, ReasonAmbiguous,
	ReasonCustomerRequest, ReasonComplaint, ReasonExpiredAnswer, ReasonSuggest}

// HandoffStatus is where a handoff stands with the agents.
type HandoffStatus string

// Handoff statuses.
const (
	HandoffOpen     HandoffStatus = "open"
	HandoffResolved HandoffStatus = "resolved"
)

// DeliveryState is where a handoff's webhook delivery stands.
type DeliveryState string

// Delivery states.
const (
	// DeliveryNone: the KB has no webhook; nothing is sent.
	DeliveryNone DeliveryState = "none"
	// DeliveryPending: the event waits for its first attempt.
	DeliveryPending DeliveryState = "pending"
	// DeliveryDelivered: the receiver acknowledged the event with a 2xx.
	DeliveryDelivered DeliveryState = "delivered"
	// DeliveryRetrying: an attempt failed; the next one is at NextAttemptAt.
	DeliveryRetrying DeliveryState = "retrying"
)

// Webhook events.
const (
	EventHandoffCreated  = "handoff.created"
	EventHandoffResolved = "handoff.resolved"
)

// Turn roles.
const (
	RoleCustomer = "customer"
	RoleBot      = "bot"
	RoleAgent    = "agent"
)

// Turn is one message of the conversation before the handoff.
type Turn struct {
	// Role is "customer", "bot" or "agent".
	Role string    `json:"role"`
	Text string    `json:"text"`
	At   time.Time `json:"at,omitzero"`
	// Decision is what the bot did on a bot turn (answer, clarify, handoff).
	Decision Decision `json:"decision,omitempty"`
}

// Customer is who asked, as the shop's systems know them.
type Customer struct {
	ID string `json:"id,omitempty"`
	// Tier is the shop's free-text customer tier ("vip", "gold", "regular"…);
	// see HandoffPriority for the tiers that raise priority.
	Tier string `json:"tier,omitempty"`
}

// Resolution is how an agent closed a handoff.
type Resolution struct {
	// Reply is what the agent answered; required.
	Reply string `json:"reply"`
	// Agent names the agent (optional).
	Agent string `json:"agent,omitempty"`
	// CSAT is the customer's satisfaction score, 1 to 5, when known.
	CSAT *int `json:"csat,omitempty"`
	// Reusable, when false, says the reply is specific to this customer
	// and must not become knowledge (curation drops it).
	Reusable *bool `json:"reusable,omitempty"`
	// Suggestion is the agent's verdict on a suggested answer: accepted,
	// edited or rejected (empty: read from ArticleID when given).
	Suggestion string `json:"suggestion,omitempty"`
	// ArticleID names the article that answers the question, when one
	// does; NoAnswer says the KB had none. At most one is set; either
	// makes the resolution a labeled example of the KB's calibration
	// (Engine.ResolveHandoff).
	ArticleID string `json:"article_id,omitempty"`
	NoAnswer  bool   `json:"no_answer,omitempty"`
	// By is who resolves (an API key id, set by the server, not the
	// client): a handoff another owner has claimed is refused.
	By string `json:"by,omitempty"`
	// ResolvedAt is set by Resolve.
	ResolvedAt time.Time `json:"resolved_at"`
}

// Delivery is the webhook delivery of a handoff's events: first
// "handoff.created", then, once the handoff is resolved, "handoff.resolved".
type Delivery struct {
	State DeliveryState `json:"state"`
	// Event is the event State is about: the one being delivered, or the
	// last one delivered.
	Event string `json:"event,omitempty"`
	// Attempts counts the tries of Event so far.
	Attempts int `json:"attempts"`
	// LastError is why the last attempt failed ("" after a success).
	LastError string `json:"last_error,omitempty"`
	// NextAttemptAt is when Event is next tried (pending and retrying only).
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	// DeliveredAt is when the last event was acknowledged.
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
}

// Handoff is the packet a human agent receives for a question the engine
// does not answer.
type Handoff struct {
	// ID is a UUID assigned by Create.
	ID             string `json:"id"`
	KB             string `json:"kb"`
	ConversationID string `json:"conversation_id,omitempty"`
	// Question is the customer's question as asked; Normalized as matched.
	Question   string `json:"question"`
	Normalized string `json:"normalized,omitempty"`
	Locale     string `json:"locale,omitempty"`
	Category   string `json:"category,omitempty"`
	// Turns is the conversation so far, oldest first.
	Turns []Turn `json:"turns,omitempty"`
	// Candidates are the articles retrieval found, best first, with scores.
	Candidates []Candidate `json:"candidates,omitempty"`
	// Suggested is the answer jieda suggests (reason suggest): the agent
	// accepts, edits or rejects it (Resolution.Suggestion).
	Suggested  *AnswerBody   `json:"suggested,omitempty"`
	Confidence float64       `json:"confidence"`
	Reason     HandoffReason `json:"reason"`
	Customer   Customer      `json:"customer,omitzero"`
	// Sentiment is the customer's detected sentiment, -1 (angry) to 1.
	Sentiment float64 `json:"sentiment"`
	// Priority orders the agents' queue, 0 to MaxHandoffPriority; Create
	// sets it with HandoffPriority when it is 0.
	Priority   int           `json:"priority"`
	Status     HandoffStatus `json:"status"`
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
	Resolution *Resolution   `json:"resolution,omitempty"`
	Delivery   Delivery      `json:"delivery,omitzero"`
	// Claim is the agent answering the customer, if any (see HandoffStore.Claim).
	Claim *Claim `json:"claim,omitempty"`
}

// MaxHandoffPriority is the highest handoff priority.
const MaxHandoffPriority = 100

// Validation limits of handoffs: sanity bounds, well above what the
// answering path lets through (questions and turns are bounded there), so
// that no question it accepts fails to become a handoff.
const (
	maxHandoffText       = 1 << 20 // bytes of a question, turn text or reply
	maxHandoffField      = 256     // bytes of ids, locale, category, tier, agent
	maxHandoffTurns      = 500
	maxHandoffCandidates = 100
)

// HandoffPriority is the documented, deterministic priority of a handoff,
// 0 to MaxHandoffPriority, the sum of:
//
//   - the reason: complaint 40, customer_request 30, expired_answer 20,
//     low_confidence 10, ambiguous 10, suggest 10, out_of_scope 5 (unknown 0);
//   - the customer tier (trimmed, case-insensitive): "vip", "svip" and
//     "platinum" 30, "gold" 15, "silver" 5, anything else 0;
//   - the sentiment: at or below -0.6 adds 25, at or below -0.3 adds 10
//     (NaN adds nothing).
func HandoffPriority(reason HandoffReason, tier string, sentiment float64) int {
	p := 0
	switch reason {
	case ReasonComplaint:
		p += 40
	case ReasonCustomerRequest:
		p += 30
	case ReasonExpiredAnswer:
		p += 20
	case ReasonLowConfidence, ReasonAmbiguous, ReasonSuggest:
		p += 10
	case ReasonOutOfScope:
		p += 5
	}
	switch strings.ToLower(strings.TrimSpace(tier)) {
	case "vip", "svip", "platinum":
		p += 30
	case "gold":
		p += 15
	case "silver":
		p += 5
	}
	switch {
	case sentiment <= -0.6:
		p += 25
	case sentiment <= -0.3:
		p += 10
	}
	return min(p, MaxHandoffPriority)
}

// rankSpan is the room for creation times (Unix milliseconds) in a rank.
const rankSpan = 10_000_000_000_000 // 1e13 ms: until the year 2286

// handoffRank is the single integer List orders by, descending: priority
// first, then the older handoff first. The largest rank, 1.01e15, is well
// under 2^53, so it is exact wherever an engine keeps numbers as float64.
func handoffRank(priority int, created time.Time) int64 {
	ms := min(max(created.UnixMilli(), 0), rankSpan-1)
	return int64(priority)*rankSpan + (rankSpan - 1 - ms)
}

// HandoffStore keeps handoffs in an index.Store, the system of record
// shared by every server replica: it holds no state of record in memory.
//
// Each handoff is one payload-only point. Its creation snapshot, its
// resolution and its delivery state live under separate payload keys, so
// that Resolve (which writes only the status and resolution) and the
// webhook deliverer (which writes only the delivery) never overwrite each
// other, even on different replicas.
//
// # Caveats
//
// Resolve is serialized per handoff within one process, so two concurrent
// Resolve calls on one replica never both succeed. The store has no
// compare-and-set, so two replicas resolving the same handoff at the same
// instant may both succeed; the last write wins. Claims (claim.go) are
// serialized the same way, with the same caveat. Subscribe's events come
// from this process only.
type HandoffStore struct {
	store index.Store
	now   func() time.Time
	locks [64]sync.Mutex // Resolve's and Claim's per-id locks, striped by id hash
	feed  handoffFeed
	// delivers reports whether kb's handoffs are to be delivered (see
	// create); nil: all are, the deliverer deciding.
	delivers func(ctx context.Context, kb string) bool
}

// NewHandoffStore returns a HandoffStore over store, creating the
// collection and its payload indexes when they are missing.
func NewHandoffStore(ctx context.Context, store index.Store) (*HandoffStore, error) {
	if err := index.Ensure(ctx, store, index.CollectionConfig{Name: HandoffsCollection, Sparse: true}, map[string]index.FieldType{
		"kb": index.FieldKeyword, "status": index.FieldKeyword, "reason": index.FieldKeyword,
		"conversation_id": index.FieldKeyword, "conversation_key": index.FieldKeyword, "rank": index.FieldInteger, "priority": index.FieldInteger,
		"created_at": index.FieldDatetime, "delivery_state": index.FieldKeyword, "delivery_event": index.FieldKeyword,
		"next_attempt_at":        index.FieldDatetime,
		deliveryLease + "_until": index.FieldDatetime, deliveryLease + "_by": index.FieldKeyword,
	}); err != nil {
		return nil, err
	}
	return &HandoffStore{store: store, now: time.Now}, nil
}

// Create validates h and stores it as a new open handoff. It assigns the
// ID, CreatedAt and UpdatedAt, the Priority when it is 0, status open, no
// resolution, and a pending "handoff.created" delivery, or "none" when
// the KB has no webhook (read from the store, not a cache), so that the
// deliverer has nothing to do for it.
func (s *HandoffStore) Create(ctx context.Context, h Handoff) (Handoff, error) {
	return s.create(ctx, h, "")
}

// create is Create that also records the owner-bound conversation the
// handoff belongs to (ConversationRef.pointID; "" for none), the key
// OpenInConversation finds it by.
func (s *HandoffStore) create(ctx context.Context, h Handoff, convKey string) (Handoff, error) {
	if h.Priority == 0 {
		h.Priority = HandoffPriority(h.Reason, h.Customer.Tier, h.Sentiment)
	}
	if err := h.validate(); err != nil {
		return Handoff{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	h.ID = uuid.NewString()
	h.Status = HandoffOpen
	h.CreatedAt, h.UpdatedAt = now, now
	h.Resolution = nil
	h.Delivery = Delivery{State: DeliveryPending, Event: EventHandoffCreated, NextAttemptAt: now}
	if s.delivers != nil && !s.delivers(ctx, h.KB) {
		h.Delivery = Delivery{State: DeliveryNone, Event: EventHandoffCreated}
	}
	doc := h
	doc.Delivery = Delivery{}
	js, err := json.Marshal(doc)
	if err != nil {
		return Handoff{}, fmt.Errorf("%w: %w", ErrInvalidHandoff, err)
	}
	p := index.Payload{
		"kb": h.KB, "status": string(h.Status), "reason": string(h.Reason),
		"rank": handoffRank(h.Priority, now), "priority": int64(h.Priority),
		"created_at": now.Format(time.RFC3339Nano), "updated_at": now.Format(time.RFC3339Nano),
		"doc": string(js),
	}
	if h.ConversationID != "" {
		p["conversation_id"] = h.ConversationID
	}
	if convKey != "" {
		p["conversation_key"] = convKey
	}
	dp, err := deliveryPayload(h.Delivery)
	if err != nil {
		return Handoff{}, err
	}
	for k, v := range dp {
		p[k] = v
	}
	if err := s.store.Upsert(ctx, HandoffsCollection, []index.Point{{ID: h.ID, Payload: p}}); err != nil {
		return Handoff{}, fmt.Errorf("writing handoff: %w", err)
	}
	s.feed.publish(HandoffEventCreated, h, now)
	return h, nil
}

// Get returns one handoff; an unknown or malformed id is ErrHandoffNotFound.
func (s *HandoffStore) Get(ctx context.Context, id string) (Handoff, error) {
	cid, err := index.CanonicalID(id)
	if err != nil {
		return Handoff{}, fmt.Errorf("%w: handoff ids are UUIDs, not %q", ErrInvalidHandoff, id)
	}
	recs, err := s.store.Get(ctx, HandoffsCollection, []string{cid}, index.With{Payload: true})
	if err != nil {
		return Handoff{}, fmt.Errorf("reading handoff: %w", err)
	}
	if len(recs) == 0 {
		return Handoff{}, fmt.Errorf("%w: %s", ErrHandoffNotFound, cid)
	}
	return decodeHandoff(recs[0])
}

// HandoffQuery selects handoffs to list.
type HandoffQuery struct {
	// KBs keeps handoffs of these knowledge bases; empty: all.
	KBs []string
	// Status keeps handoffs with this status; empty: all.
	Status HandoffStatus
	// Reason keeps handoffs with this reason; empty: all.
	Reason HandoffReason
	// Limit is the page size (default 50, at most 500).
	Limit int
	// Cursor continues from a previous page's Next; "" starts at the top.
	Cursor string
}

// HandoffPage is one page of List; Next is "" on the last page.
type HandoffPage struct {
	Handoffs []Handoff `json:"handoffs"`
	Next     string    `json:"next,omitempty"`
}

// List pages through handoffs, highest priority first, then oldest first
// (handoffs created in the same millisecond with the same priority in id
// order). It is the store's ordered scroll on the "rank" payload field
// (see handoffRank), and the cursor is the store's: the position of the
// last handoff returned. Paging therefore never skips or repeats a
// handoff that exists throughout; one created between pages shows up if
// it sorts after the cursor, and one that stops matching (say resolved
// while listing open ones) simply drops out. A cursor is only meaningful
// with the query that produced it.
func (s *HandoffStore) List(ctx context.Context, q HandoffQuery) (HandoffPage, error) {
	var errs []error
	limit := q.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 500:
		errs = append(errs, fmt.Errorf("limit %d must lie in [1, 500]", q.Limit))
	}
	f := &index.Filter{}
	if len(q.KBs) > 0 {
		for _, kb := range q.KBs {
			if err := ValidateID(kb); err != nil {
				errs = append(errs, fmt.Errorf("kb: %w", err))
			}
		}
		f.Must = append(f.Must, index.MatchAnyKeyword("kb", q.KBs...))
	}
	switch q.Status {
	case "":
	case HandoffOpen, HandoffResolved:
		f.Must = append(f.Must, index.MatchKeyword("status", string(q.Status)))
	default:
		errs = append(errs, fmt.Errorf("status %q must be open or resolved", q.Status))
	}
	if q.Reason != "" {
		if !slices.Contains(HandoffReasons, q.Reason) {
			errs = append(errs, fmt.Errorf("unknown reason %q", q.Reason))
		}
		f.Must = append(f.Must, index.MatchKeyword("reason", string(q.Reason)))
	}
	if len(errs) > 0 {
		return HandoffPage{}, fmt.Errorf("%w: %w", ErrInvalidHandoff, errors.Join(errs...))
	}
	page, err := index.ScrollDecoded(ctx, s.store, HandoffsCollection, index.ScrollRequest{
		Filter: f, Limit: limit, Cursor: q.Cursor,
		OrderBy: &index.OrderBy{Key: "rank", Direction: index.Desc},
	}, decodeHandoff)
	if errors.Is(err, index.ErrBadCursor) {
		return HandoffPage{}, fmt.Errorf("%w: %w", ErrInvalidHandoff, err)
	}
	if err != nil {
		return HandoffPage{}, fmt.Errorf("listing handoffs: %w", err)
	}
	return HandoffPage{Handoffs: page.Docs, Next: page.Next}, nil
}

// Resolve closes an open handoff with an agent's resolution, setting
// ResolvedAt and UpdatedAt to now. A resolved handoff is
// ErrHandoffResolved; an invalid resolution ErrInvalidHandoff. See the
// type's caveats for concurrent calls.
func (s *HandoffStore) Resolve(ctx context.Context, id string, r Resolution) (Handoff, error) {
	if err := r.validate(); err != nil {
		return Handoff{}, err
	}
	cid, err := index.CanonicalID(id)
	if err != nil {
		return Handoff{}, fmt.Errorf("%w: handoff ids are UUIDs, not %q", ErrInvalidHandoff, id)
	}
	mu := s.lock(cid)
	mu.Lock()
	defer mu.Unlock()
	h, err := s.Get(ctx, cid)
	if err != nil {
		return Handoff{}, err
	}
	if h.Status == HandoffResolved {
		return Handoff{}, fmt.Errorf("%w: %s", ErrHandoffResolved, cid)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	if err := h.Claim.refuses(r.By, now); err != nil {
		return Handoff{}, err
	}
	r.ResolvedAt = now
	js, err := json.Marshal(r)
	if err != nil {
		return Handoff{}, fmt.Errorf("encoding resolution: %w", err)
	}
	if err := s.store.SetPayload(ctx, HandoffsCollection, []string{cid}, index.Payload{
		"status": string(HandoffResolved), "resolution": string(js), "updated_at": now.Format(time.RFC3339Nano),
	}); err != nil {
		return Handoff{}, fmt.Errorf("writing resolution: %w", err)
	}
	h.Status, h.Resolution, h.UpdatedAt = HandoffResolved, &r, now
	s.feed.publish(HandoffEventResolved, h, now)
	return h, nil
}

func (s *HandoffStore) lock(id string) *sync.Mutex {
	f := fnv.New32a()
	f.Write([]byte(id))
	return &s.locks[f.Sum32()%uint32(len(s.locks))]
}

// setDelivery writes a handoff's delivery state (and nothing else).
func (s *HandoffStore) setDelivery(ctx context.Context, id string, d Delivery) error {
	p, err := deliveryPayload(d)
	if err != nil {
		return err
	}
	maps.Copy(p, index.LeaseCleared(deliveryLease))
	if err := s.store.SetPayload(ctx, HandoffsCollection, []string{id}, p); err != nil {
		return fmt.Errorf("writing delivery state: %w", err)
	}
	return nil
}

// deliveryPayload is the payload keys of a delivery state: the state as
// JSON, and the fields the deliverer filters and orders on.
func deliveryPayload(d Delivery) (index.Payload, error) {
	js, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encoding delivery state: %w", err)
	}
	p := index.Payload{"delivery": string(js), "delivery_state": string(d.State), "delivery_event": d.Event, "next_attempt_at": nil}
	if !d.NextAttemptAt.IsZero() {
		p["next_attempt_at"] = d.NextAttemptAt.UTC().Format(time.RFC3339Nano)
	}
	return p, nil
}

// decodeHandoff rebuilds a handoff from its point.
func decodeHandoff(r index.Record) (Handoff, error) {
	var h Handoff
	js, _ := r.Payload["doc"].(string)
	if err := json.Unmarshal([]byte(js), &h); err != nil {
		return h, fmt.Errorf("decoding stored handoff %s: %w", r.ID, err)
	}
	h.ID = r.ID
	if st, ok := r.Payload["status"].(string); ok {
		h.Status = HandoffStatus(st)
	}
	if ts, ok := r.Payload["updated_at"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			h.UpdatedAt = t
		}
	}
	if rs, ok := r.Payload["resolution"].(string); ok {
		h.Resolution = new(Resolution)
		if err := json.Unmarshal([]byte(rs), h.Resolution); err != nil {
			return h, fmt.Errorf("decoding resolution of handoff %s: %w", r.ID, err)
		}
	}
	if ds, ok := r.Payload["delivery"].(string); ok {
		if err := json.Unmarshal([]byte(ds), &h.Delivery); err != nil {
			return h, fmt.Errorf("decoding delivery state of handoff %s: %w", r.ID, err)
		}
	}
	if err := decodeClaim(r, &h); err != nil {
		return h, err
	}
	return h, nil
}
