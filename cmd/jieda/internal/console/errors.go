package console

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/authz"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/index"
)

// Sentinel errors of the console itself; test with errors.Is.
var (
	// ErrNotReady reports a console page asked for while the model or the
	// store is not loaded.
	ErrNotReady = errors.New("console: the model or the store is not loaded")
	// ErrBadCSRF reports a POST without the session's CSRF token.
	ErrBadCSRF = errors.New("console: missing or wrong CSRF token")
	// ErrNotFound reports a console page that does not exist.
	ErrNotFound = errors.New("console: no such page")
	// ErrBadInput reports a form value the console refuses before asking
	// the domain; its text is a catalog key.
	ErrBadInput = errors.New("console: bad input")
)

// inputError is an ErrBadInput whose message is the catalog key msg.
type inputError struct{ key string }

func (e *inputError) Error() string        { return "console: bad input: " + e.key }
func (e *inputError) Is(target error) bool { return target == ErrBadInput }

func badInput(key string) error { return &inputError{key: key} }

// humanError is an error as a person reads it: what happened and what to
// do, both catalog keys, and the HTTP status of the page. Detail is the
// domain's own (English) words for a client error, shown under
// "details" when they help fix the input.
type humanError struct {
	Status int
	What   string
	Do     string
	Detail string
}

// humanErrors maps errors (tested with errors.Is, wrapped ones too) to
// what the console says. The first match wins.
var humanErrors = []struct {
	err error
	he  humanError
}{
	{ErrNotReady, humanError{Status: fiber.StatusServiceUnavailable, What: "err.notready", Do: "err.notready.do"}},
	{ErrBadCSRF, humanError{Status: fiber.StatusForbidden, What: "err.csrf", Do: "err.csrf.do"}},
	{ErrNotFound, humanError{Status: fiber.StatusNotFound, What: "err.notfound", Do: "err.notfound.do"}},
	{authz.ErrForbidden, humanError{Status: fiber.StatusForbidden, What: "err.forbidden", Do: "err.forbidden.do"}},
	{answer.ErrHandoffNotFound, humanError{Status: fiber.StatusNotFound, What: "err.handoff.notfound", Do: "err.back.queue"}},
	{answer.ErrHandoffResolved, humanError{Status: fiber.StatusConflict, What: "err.handoff.resolved", Do: "err.back.queue"}},
	{answer.ErrHandoffClaimed, humanError{Status: fiber.StatusConflict, What: "err.handoff.claimed", Do: "err.handoff.claimed.do"}},
	{answer.ErrInvalidHandoff, humanError{Status: fiber.StatusBadRequest, What: "err.handoff.invalid", Do: "err.handoff.invalid.do"}},
	{answer.ErrUnknownKB, humanError{Status: fiber.StatusNotFound, What: "err.kb.unknown", Do: "err.kb.unknown.do"}},
	{answer.ErrInvalidKB, humanError{Status: fiber.StatusBadRequest, What: "err.kb.unknown", Do: "err.kb.unknown.do"}},
	{answer.ErrEmptyQuery, humanError{Status: fiber.StatusBadRequest, What: "err.query.empty", Do: "err.query.empty.do"}},
	{answer.ErrQuestionTooLong, humanError{Status: fiber.StatusBadRequest, What: "err.query.long", Do: "err.query.long.do"}},
	{answer.ErrInvalidQuestion, humanError{Status: fiber.StatusBadRequest, What: "err.query.invalid", Do: "err.query.invalid.do"}},
	{curate.ErrRevisionNotFound, humanError{Status: fiber.StatusNotFound, What: "err.revision.notfound", Do: "err.revision.notfound.do"}},
	{curate.ErrNoRevisions, humanError{Status: fiber.StatusNotFound, What: "err.revision.notfound", Do: "err.revision.notfound.do"}},
	{answer.ErrArticleNotFound, humanError{Status: fiber.StatusNotFound, What: "err.article.notfound", Do: "err.article.notfound.do"}},
	{answer.ErrArticleExists, humanError{Status: fiber.StatusConflict, What: "err.article.exists", Do: "err.article.exists.do"}},
	{answer.ErrInvalidArticle, humanError{Status: fiber.StatusBadRequest, What: "err.article.invalid", Do: "err.article.invalid.do"}},
	{answer.ErrInvalidSettings, humanError{Status: fiber.StatusBadRequest, What: "err.settings.invalid", Do: "err.settings.invalid.do"}},
	{curate.ErrCandidateNotFound, humanError{Status: fiber.StatusNotFound, What: "err.candidate.notfound", Do: "err.back.candidates"}},
	{curate.ErrCandidateDecided, humanError{Status: fiber.StatusConflict, What: "err.candidate.decided", Do: "err.back.candidates"}},
	{curate.ErrInvalidAction, humanError{Status: fiber.StatusBadRequest, What: "err.candidate.invalid", Do: "err.candidate.invalid.do"}},
	{curate.ErrInvalidRevision, humanError{Status: fiber.StatusBadRequest, What: "err.revision.invalid", Do: "err.revision.invalid.do"}},
	{curate.ErrInvalidGapQuery, humanError{Status: fiber.StatusBadRequest, What: "err.gaps.invalid", Do: "err.gaps.invalid.do"}},
	{curate.ErrInvalidSource, humanError{Status: fiber.StatusBadRequest, What: "err.source.invalid", Do: "err.source.invalid.do"}},
	{curate.ErrSourceNotFound, humanError{Status: fiber.StatusNotFound, What: "err.source.notfound", Do: "err.source.notfound.do"}},
	{answer.ErrNoWebhook, humanError{Status: fiber.StatusBadRequest, What: "err.webhook.none", Do: "err.webhook.none.do"}},
	{answer.ErrWebhookFailed, humanError{Status: fiber.StatusBadGateway, What: "err.webhook.failed", Do: "err.webhook.failed.do"}},
	{apikey.ErrInvalid, humanError{Status: fiber.StatusBadRequest, What: "err.key.invalid", Do: "err.key.invalid.do"}},
	{apikey.ErrNotFound, humanError{Status: fiber.StatusNotFound, What: "err.key.notfound", Do: "err.key.notfound.do"}},
	{index.ErrUnavailable, humanError{Status: fiber.StatusServiceUnavailable, What: "err.notready", Do: "err.notready.do"}},
	{index.ErrClosed, humanError{Status: fiber.StatusServiceUnavailable, What: "err.notready", Do: "err.notready.do"}},
	{context.DeadlineExceeded, humanError{Status: fiber.StatusServiceUnavailable, What: "err.timeout", Do: "err.timeout.do"}},
}

// humanOf is what the console tells a person about err, and whether it is
// a server fault to log.
func humanOf(err error) (humanError, bool) {
	var ie *inputError
	if errors.As(err, &ie) {
		return humanError{Status: fiber.StatusBadRequest, What: ie.key, Do: "err.input.do"}, false
	}
	for _, m := range humanErrors {
		if errors.Is(err, m.err) {
			he := m.he
			if he.Status < 500 || he.Status == fiber.StatusBadGateway {
				he.Detail = err.Error()
			}
			return he, he.Status >= 500 && he.Status != fiber.StatusBadGateway
		}
	}
	return humanError{Status: fiber.StatusInternalServerError, What: "err.internal", Do: "err.internal.do"}, true
}
