package curate

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// decideLease names the lease a decision (approve, merge, reject) takes on
// a pending candidate in the store: editors on different replicas sharing
// a store may decide the same candidate at once, and one of them does.
// Curation takes it too while a batch adds to the candidate (see
// assigner.claim), so a decision is never overwritten by a batch that
// read the candidate before it. Saving the candidate rewrites its point,
// which ends the lease.
const decideLease = "decide_lease"

// decideTTL bounds a decision lease; a replica that dies mid-decision
// keeps the candidate from others this long.
const decideTTL = 2 * time.Minute

// claimDecision leases pending candidate id for one decision. It is
// ErrCandidateDecided when the candidate is decided already or another
// editor is deciding it, ErrCandidateNotFound when there is none. release
// ends the lease when the decision did not (a failed one).
func (c *Curator) claimDecision(ctx context.Context, id string) (release func(), err error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("%w: candidate ids are UUIDs, not %q", ErrInvalidAction, id)
	}
	cond := []index.Condition{index.MatchKeyword("status", StatusPending)}
	l, ok, err := index.TakeLease(ctx, c.store, CandidatesCollection, id, decideLease, cond, c.now(), decideTTL)
	if err != nil {
		return nil, err
	}
	if !ok {
		cl, err := c.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if cl.Status != StatusPending {
			return nil, fmt.Errorf("%w: %s is %s", ErrCandidateDecided, id, cl.Status)
		}
		return nil, fmt.Errorf("%w: %s is being decided by another editor, or curation is adding to it; try again", ErrCandidateDecided, id)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := index.ReleaseLease(ctx, c.store, CandidatesCollection, id, l); err != nil {
			c.logger.Warn("releasing a candidate's decision lease; it expires on its own", "candidate", id, "err", err)
		}
	}, nil
}
