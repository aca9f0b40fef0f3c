package curate

import (
	"context"
	"errors"
	"fmt"
)

// Review actions.
const (
	ActionApprove = "approve"
	ActionReject  = "reject"
	ActionMerge   = "merge"
)

// MaxBulk is the most candidates one DecideMany call takes.
const MaxBulk = 500

// MaxReasonRunes bounds a rejection's or a rollback's reason.
const MaxReasonRunes = 1000

// Review is an editor's review action on a candidate.
type Review struct {
	// Action is approve, reject or merge.
	Action string
	// Approval details an approve (zero: as suggested).
	Approval Approval
	// Reason explains a reject.
	Reason string
	// ArticleID is a merge's target article.
	ArticleID string
	// By is who decided (an API key id, "cli").
	By string
}

// Decide applies one review action to candidate id.
func (c *Curator) Decide(ctx context.Context, id string, d Review) (*Candidate, error) {
	switch d.Action {
	case ActionApprove:
		ap := d.Approval
		ap.By = d.By
		return c.Approve(ctx, id, ap)
	case ActionReject:
		return c.Reject(ctx, id, d.Reason, d.By)
	case ActionMerge:
		return c.Merge(ctx, id, d.ArticleID, d.By)
	}
	return nil, fmt.Errorf("%w: action %q must be approve, reject or merge", ErrInvalidAction, d.Action)
}

// DecisionResult is the outcome of one candidate of a DecideMany call.
type DecisionResult struct {
	ID        string     `json:"id"`
	Candidate *Candidate `json:"candidate,omitempty"`
	// Err is why this candidate was not decided (unknown, decided before,
	// invalid); nil on success.
	Err error `json:"-"`
}

// DecideMany applies one action to each of ids in turn; each gets its own
// result. mayUseKB hides candidates of KBs the caller may not use (they
// are ErrCandidateNotFound). A failure of the store itself stops the loop
// and is returned; a candidate's own failure is only its result's Err.
func (c *Curator) DecideMany(ctx context.Context, ids []string, d Review, mayUseKB func(kb string) bool) ([]DecisionResult, error) {
	if len(ids) == 0 || len(ids) > MaxBulk {
		return nil, fmt.Errorf("%w: between 1 and %d candidate ids", ErrInvalidAction, MaxBulk)
	}
	if d.Action != ActionApprove && d.Action != ActionReject && d.Action != ActionMerge {
		return nil, fmt.Errorf("%w: action %q must be approve, reject or merge", ErrInvalidAction, d.Action)
	}
	out := make([]DecisionResult, 0, len(ids))
	for _, id := range ids {
		cl, err := c.Get(ctx, id)
		if err == nil && !mayUseKB(cl.KB) {
			err = fmt.Errorf("%w: %s", ErrCandidateNotFound, id)
		}
		if err == nil {
			cl, err = c.Decide(ctx, id, d)
		}
		if err != nil {
			if !isCandidateError(err) {
				return nil, err
			}
			out = append(out, DecisionResult{ID: id, Err: err})
			continue
		}
		out = append(out, DecisionResult{ID: id, Candidate: cl})
	}
	return out, nil
}

// isCandidateError reports whether err is about one candidate (not the store).
func isCandidateError(err error) bool {
	for _, e := range candidateErrors {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
