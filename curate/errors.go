package curate

import (
	"errors"
	"fmt"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/index"
)

// Sentinel errors returned (wrapped) by the curate package; test with errors.Is.
var (
	// ErrCandidateNotFound reports an unknown candidate (or one of a KB the caller may not use).
	ErrCandidateNotFound = errors.New("candidate not found")
	// ErrCandidateDecided reports a review action on a candidate already approved, merged or rejected.
	ErrCandidateDecided = errors.New("candidate already decided")
	// ErrInvalidAction reports a malformed review action or curation setting.
	ErrInvalidAction = errors.New("invalid review action")
	// ErrInvalidConfig reports a curation config value out of range.
	ErrInvalidConfig = errors.New("invalid curation config")

	// ErrNoRevisions reports an article with no recorded revision; it
	// wraps answer.ErrArticleNotFound.
	ErrNoRevisions = fmt.Errorf("%w: no revisions", answer.ErrArticleNotFound)
	// ErrRevisionNotFound reports an unknown revision of an article; it
	// wraps answer.ErrArticleNotFound.
	ErrRevisionNotFound = fmt.Errorf("%w: no such revision", answer.ErrArticleNotFound)
	// ErrInvalidRevision reports a malformed revision request: an empty
	// article id, a version below 1, a rollback without an author or to a
	// revision that deleted the article.
	ErrInvalidRevision = errors.New("invalid revision request")

	// ErrInvalidAudit reports an audit entry or audit query that fails
	// validation (including a bad list cursor).
	ErrInvalidAudit = errors.New("invalid audit request")

	// ErrInvalidGapQuery reports a gap report query that fails validation.
	ErrInvalidGapQuery = errors.New("invalid gap query")

	// ErrSourceNotFound reports an unknown intake source.
	ErrSourceNotFound = errors.New("intake source not found")
	// ErrInvalidSource reports an intake source that fails validation.
	ErrInvalidSource = errors.New("invalid intake source")
	// ErrBadSignature reports a webhook whose signature does not verify
	// (or names an unknown source: the two look alike to the caller).
	ErrBadSignature = errors.New("invalid or missing webhook signature")
	// ErrStaleSignature reports a signed webhook whose timestamp is too far from now (a replay?).
	ErrStaleSignature = errors.New("stale webhook timestamp")
)

// candidateErrors are the failures that concern one candidate (the
// caller's request), not the store: DecideMany reports them per candidate.
var candidateErrors = []error{
	ErrCandidateNotFound, ErrCandidateDecided, ErrInvalidAction,
	answer.ErrInvalidArticle, answer.ErrArticleNotFound, answer.ErrArticleExists,
	answer.ErrInvalidKB, answer.ErrUnknownKB, index.ErrInvalidArgument, index.ErrInvalidID,
}
