package answer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jieda/jieda/index"
)

// ErrHandoffClaimed reports a handoff that another agent has claimed and
// whose claim has not expired: two agents must not answer one customer.
var ErrHandoffClaimed = errors.New("handoff claimed by another agent")

// DefaultClaimTTL is how long a claim holds unless its owner renews it.
const DefaultClaimTTL = 15 * time.Minute

// MaxClaimTTL is the longest claim.
const MaxClaimTTL = 8 * time.Hour

// Claim says who is answering a handoff's customer, until when.
type Claim struct {
	// Owner is who claimed it: an API key id.
	Owner string `json:"owner"`
	// Name is how to show the owner to other agents (the key's name).
	Name  string    `json:"name,omitempty"`
	At    time.Time `json:"at"`
	Until time.Time `json:"until"`
}

// ActiveAt reports whether the claim still holds at now (false for nil).
func (c *Claim) ActiveAt(now time.Time) bool { return c != nil && now.Before(c.Until) }

// refuses is ErrHandoffClaimed when the claim holds at now for another owner than by.
func (c *Claim) refuses(by string, now time.Time) error {
	if !c.ActiveAt(now) || c.Owner == by {
		return nil
	}
	who := c.Owner
	if c.Name != "" {
		who = c.Name + " (" + c.Owner + ")"
	}
	return fmt.Errorf("%w: %s until %s", ErrHandoffClaimed, who, c.Until.Format(time.RFC3339))
}

// Claim gives open handoff id to owner for ttl (0: DefaultClaimTTL, at
// most MaxClaimTTL): a new claim, a renewal by the same owner, or taking
// over an expired claim. A live claim of another owner is
// ErrHandoffClaimed, a resolved handoff ErrHandoffResolved. While the
// claim holds, Resolve refuses other owners. See the type's caveats.
func (s *HandoffStore) Claim(ctx context.Context, id, owner, name string, ttl time.Duration) (Handoff, error) {
	switch {
	case strings.TrimSpace(owner) == "":
		return Handoff{}, fmt.Errorf("%w: a claim needs an owner", ErrInvalidHandoff)
	case checkText(owner, maxHandoffField) != nil || checkText(name, maxHandoffField) != nil:
		return Handoff{}, fmt.Errorf("%w: claim owner and name must be valid UTF-8 of at most %d bytes", ErrInvalidHandoff, maxHandoffField)
	case ttl < 0 || ttl > MaxClaimTTL:
		return Handoff{}, fmt.Errorf("%w: claim duration %s must lie in (0, %s]", ErrInvalidHandoff, ttl, MaxClaimTTL)
	case ttl == 0:
		ttl = DefaultClaimTTL
	}
	return s.setClaim(ctx, id, owner, HandoffEventClaimed, func(now time.Time) *Claim {
		return &Claim{Owner: owner, Name: name, At: now, Until: now.Add(ttl)}
	})
}

// Release ends owner's claim on handoff id. Releasing a handoff nobody
// holds (or whose claim expired) is a no-op; a live claim of another
// owner is ErrHandoffClaimed.
func (s *HandoffStore) Release(ctx context.Context, id, owner string) (Handoff, error) {
	return s.setClaim(ctx, id, owner, HandoffEventReleased, func(time.Time) *Claim { return nil })
}

// setClaim replaces handoff id's claim with next(now), under the id's lock,
// when owner may: the handoff is open and no other owner holds it.
func (s *HandoffStore) setClaim(ctx context.Context, id, owner string, typ HandoffEventType, next func(time.Time) *Claim) (Handoff, error) {
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
	if err := h.Claim.refuses(owner, now); err != nil {
		return Handoff{}, err
	}
	c := next(now)
	if c == nil && !h.Claim.ActiveAt(now) {
		h.Claim = nil
		return h, nil // nothing to release
	}
	var v any // nil clears the payload key
	if c != nil {
		js, err := json.Marshal(c)
		if err != nil {
			return Handoff{}, fmt.Errorf("encoding claim: %w", err)
		}
		v = string(js)
	}
	if err := s.store.SetPayload(ctx, HandoffsCollection, []string{cid}, index.Payload{"claim": v}); err != nil {
		return Handoff{}, fmt.Errorf("writing claim: %w", err)
	}
	h.Claim = c
	s.feed.publish(typ, h, now)
	return h, nil
}

// decodeClaim reads a stored handoff's claim into h.
func decodeClaim(r index.Record, h *Handoff) error {
	cs, ok := r.Payload["claim"].(string)
	if !ok || cs == "" {
		return nil
	}
	h.Claim = new(Claim)
	if err := json.Unmarshal([]byte(cs), h.Claim); err != nil {
		return fmt.Errorf("decoding claim of handoff %s: %w", r.ID, err)
	}
	return nil
}
