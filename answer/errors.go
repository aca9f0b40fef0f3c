package answer

import (
	"errors"
	"fmt"
	"time"

	"github.com/jieda/jieda/answer/importfile"
)

// Sentinel errors returned (wrapped) by the answer package; test with errors.Is.
var (
	// ErrInvalidArticle reports an article that fails validation.
	ErrInvalidArticle = errors.New("invalid article")
	// ErrInvalidKB reports an empty or malformed knowledge base name.
	ErrInvalidKB = errors.New("invalid knowledge base name")
	// ErrEmptyQuery reports a question that is empty after normalization.
	ErrEmptyQuery = errors.New("empty question")
	// ErrArticleNotFound reports an unknown article id.
	ErrArticleNotFound = errors.New("article not found")
	// ErrArticleExists reports a create of an article id that exists.
	ErrArticleExists = errors.New("article already exists")
	// ErrUnknownFormat reports an import file that is neither JSONL nor CSV.
	ErrUnknownFormat = importfile.ErrUnknownFormat

	// ErrInvalidQuestion reports a question that is not valid UTF-8, or a
	// malformed conversation or customer that comes with it.
	ErrInvalidQuestion = errors.New("invalid question")
	// ErrQuestionTooLong reports a question over the KB's length limit.
	ErrQuestionTooLong = errors.New("question too long")
	// ErrUnknownKB reports a knowledge base that has neither articles nor settings.
	ErrUnknownKB = errors.New("unknown knowledge base")
	// ErrInvalidSettings reports settings that fail validation.
	ErrInvalidSettings = errors.New("invalid settings")
	// ErrAnswerNotFound reports feedback on an unknown answer id.
	ErrAnswerNotFound = errors.New("answer not found")
	// ErrInvalidFeedback reports feedback that fails validation.
	ErrInvalidFeedback = errors.New("invalid feedback")
	// ErrFeedbackGiven reports a second rating of one answer.
	ErrFeedbackGiven = errors.New("feedback already given")
	// ErrHandoffNotFound reports an unknown or malformed handoff id.
	ErrHandoffNotFound = errors.New("handoff not found")
	// ErrHandoffResolved reports a second resolution of a handoff.
	ErrHandoffResolved = errors.New("handoff already resolved")
	// ErrInvalidHandoff reports a handoff, resolution or handoff query
	// that fails validation (including a bad list cursor).
	ErrInvalidHandoff = errors.New("invalid handoff")
	// ErrInvalidOutcome reports an outcome label that fails validation.
	ErrInvalidOutcome = errors.New("invalid outcome")
	// ErrTooManyHandoffs reports a question that would hand off once more
	// than one asker's handoffs per minute allow (a *HandoffLimitError).
	ErrTooManyHandoffs = errors.New("too many handoffs")
)

// HandoffLimitError is ErrTooManyHandoffs with the limit and when a
// handoff will be taken again.
type HandoffLimitError struct {
	PerMinute  float64
	RetryAfter time.Duration
}

func (e *HandoffLimitError) Error() string {
	return fmt.Sprintf("%v: at most %g handoffs a minute from one asker; retry in %s", ErrTooManyHandoffs, e.PerMinute, e.RetryAfter.Round(time.Second))
}

func (e *HandoffLimitError) Unwrap() error { return ErrTooManyHandoffs }
