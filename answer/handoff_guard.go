package answer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/jieda/jieda/index"
)

// A conversation has at most one open handoff: the customer asking again
// (the same question or another) while the agents have not answered adds
// to it. And one asker's new handoffs are bounded per minute
// (Options.HandoffsPerMinute), so one key cannot fill the agents' queue.

// handOff stores the handoff of a question: the conversation's open
// handoff continued, or a new one within the asker's limit. It reports
// whether an open handoff was continued.
func (e *Engine) handOff(ctx context.Context, q *question, h Handoff) (Handoff, bool, error) {
	var key string
	if q.conv.ID != "" {
		key = q.conv.pointID()
		mu := e.conversationLock(key)
		mu.Lock()
		defer mu.Unlock()
		open, found, err := e.Handoffs.OpenInConversation(ctx, key)
		if err != nil {
			return Handoff{}, false, err
		}
		if found {
			turns := append(slices.Clone(q.turns), Turn{Role: RoleCustomer, Text: q.req.Question, At: q.now})
			h, err := e.Handoffs.Continue(ctx, open.ID, turns)
			if !errors.Is(err, ErrHandoffResolved) { // resolved meanwhile: a new one
				return h, err == nil, err
			}
		}
	}
	if err := e.takeHandoffToken(q.req); err != nil {
		return Handoff{}, false, err
	}
	h, err := e.Handoffs.create(ctx, h, key)
	if err != nil {
		return Handoff{}, false, fmt.Errorf("creating handoff: %w", err)
	}
	if h.Delivery.State == DeliveryPending {
		e.notify(h.ID)
	}
	return h, false, nil
}

// takeHandoffToken counts a new handoff against its asker's limit:
// HandoffBucket, else the Principal; callers without either (the CLI,
// channels signed by their help desk) are not limited.
func (e *Engine) takeHandoffToken(req AskRequest) error {
	bucket := req.HandoffBucket
	if bucket == "" {
		bucket = req.Principal
	}
	if e.handoffLimit == nil || bucket == "" {
		return nil
	}
	if ok, wait := e.handoffLimit.Allow(bucket); !ok {
		return &HandoffLimitError{PerMinute: e.handoffLimit.Rate() * 60, RetryAfter: wait}
	}
	return nil
}

// conversationLock serializes the handoffs of one conversation in this
// process (two questions at once still make one handoff).
func (e *Engine) conversationLock(key string) *sync.Mutex {
	f := fnv.New32a()
	f.Write([]byte(key))
	return &e.convLocks[f.Sum32()%uint32(len(e.convLocks))]
}

// OpenInConversation returns the open handoff of a conversation (by its
// owner-bound key), if it has one.
func (s *HandoffStore) OpenInConversation(ctx context.Context, convKey string) (Handoff, bool, error) {
	page, err := index.ScrollDecoded(ctx, s.store, HandoffsCollection, index.ScrollRequest{
		Filter: &index.Filter{Must: []index.Condition{
			index.MatchKeyword("conversation_key", convKey), index.MatchKeyword("status", string(HandoffOpen))}},
		Limit: 1,
	}, decodeHandoff)
	if err != nil {
		return Handoff{}, false, fmt.Errorf("finding the conversation's open handoff: %w", err)
	}
	if len(page.Docs) == 0 {
		return Handoff{}, false, nil
	}
	return page.Docs[0], true, nil
}

// Continue replaces an open handoff's turns with the conversation so far
// (its latest question last), keeping the last maxHandoffTurns. A
// resolved handoff is ErrHandoffResolved.
func (s *HandoffStore) Continue(ctx context.Context, id string, turns []Turn) (Handoff, error) {
	mu := s.lock(id)
	mu.Lock()
	defer mu.Unlock()
	h, err := s.Get(ctx, id)
	if err != nil {
		return Handoff{}, err
	}
	if h.Status == HandoffResolved {
		return Handoff{}, fmt.Errorf("%w: %s", ErrHandoffResolved, id)
	}
	if len(turns) > maxHandoffTurns {
		turns = turns[len(turns)-maxHandoffTurns:]
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	h.Turns, h.UpdatedAt = turns, now
	doc := h
	doc.Resolution, doc.Delivery, doc.Claim = nil, Delivery{}, nil
	js, err := json.Marshal(doc)
	if err != nil {
		return Handoff{}, fmt.Errorf("%w: %w", ErrInvalidHandoff, err)
	}
	if err := s.store.SetPayload(ctx, HandoffsCollection, []string{h.ID}, index.Payload{
		"doc": string(js), "updated_at": now.Format(time.RFC3339Nano)}); err != nil {
		return Handoff{}, fmt.Errorf("writing handoff: %w", err)
	}
	s.feed.publish(HandoffEventContinued, h, now)
	return h, nil
}
