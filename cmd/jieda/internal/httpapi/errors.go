package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/channels"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/curate/intake"
	"github.com/jieda/jieda/index"
)

// apiError is an error the API returns to its client as
//
//	{"error": {"code": "forbidden", "message": "..."}}
//
// with HTTP status Status. Code is a stable machine-readable word; Message
// is for people. Handlers return one (or a sentinel that apiErrorOf maps,
// or a *fiber.Error) and the ErrorHandler writes it: no handler writes an
// error body itself.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// Error codes, one per kind of failure a client may want to branch on.
const (
	codeBadRequest      = "bad_request"
	codeUnauthorized    = "unauthorized"
	codeForbidden       = "forbidden"
	codeNotFound        = "not_found"
	codeMethod          = "method_not_allowed"
	codeTimeout         = "timeout"
	codeConflict        = "conflict"
	codeTooLarge        = "payload_too_large"
	codeUnsupportedType = "unsupported_media_type"
	codeRateLimited     = "rate_limited"
	codeUnavailable     = "unavailable"
	codeInternal        = "internal"
)

func newAPIError(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func errBadRequest(format string, args ...any) *apiError {
	return newAPIError(fiber.StatusBadRequest, codeBadRequest, format, args...)
}

func errUnauthorized(format string, args ...any) *apiError {
	return newAPIError(fiber.StatusUnauthorized, codeUnauthorized, format, args...)
}

func errForbidden(format string, args ...any) *apiError {
	return newAPIError(fiber.StatusForbidden, codeForbidden, format, args...)
}

func errNotFound(format string, args ...any) *apiError {
	return newAPIError(fiber.StatusNotFound, codeNotFound, format, args...)
}

func errUnavailable(format string, args ...any) *apiError {
	return newAPIError(fiber.StatusServiceUnavailable, codeUnavailable, format, args...)
}

// statusCodes names the code of each status a fiber.Error may carry.
var statusCodes = map[int]string{
	fiber.StatusBadRequest:                  codeBadRequest,
	fiber.StatusUnauthorized:                codeUnauthorized,
	fiber.StatusForbidden:                   codeForbidden,
	fiber.StatusNotFound:                    codeNotFound,
	fiber.StatusMethodNotAllowed:            codeMethod,
	fiber.StatusRequestTimeout:              codeTimeout,
	fiber.StatusConflict:                    codeConflict,
	fiber.StatusRequestEntityTooLarge:       codeTooLarge,
	fiber.StatusUnsupportedMediaType:        codeUnsupportedType,
	fiber.StatusUnprocessableEntity:         codeBadRequest,
	fiber.StatusRequestHeaderFieldsTooLarge: codeTooLarge,
	fiber.StatusTooManyRequests:             codeRateLimited,
	fiber.StatusServiceUnavailable:          codeUnavailable,
	fiber.StatusGatewayTimeout:              codeTimeout,
}

// codeFor is the code of an HTTP status.
func codeFor(status int) string {
	if code, ok := statusCodes[status]; ok {
		return code
	}
	if status < 500 {
		return codeBadRequest
	}
	return codeInternal
}

// sentinelErrors maps errors from the domain packages (tested with
// errors.Is, so wrapped ones match) to an API status. Add a package's
// sentinels here rather than translating them in each handler.
var sentinelErrors = []struct {
	err    error
	status int
}{
	{index.ErrCollectionNotFound, fiber.StatusNotFound},
	{index.ErrInvalidID, fiber.StatusBadRequest},
	{index.ErrInvalidArgument, fiber.StatusBadRequest},
	{index.ErrUnavailable, fiber.StatusServiceUnavailable},
	{index.ErrClosed, fiber.StatusServiceUnavailable},
	{context.DeadlineExceeded, fiber.StatusServiceUnavailable},
	{apikey.ErrNotFound, fiber.StatusNotFound},
	{apikey.ErrInvalid, fiber.StatusBadRequest},
	{answer.ErrEmptyQuery, fiber.StatusBadRequest},
	{answer.ErrInvalidQuestion, fiber.StatusBadRequest},
	{answer.ErrQuestionTooLong, fiber.StatusBadRequest},
	{answer.ErrInvalidKB, fiber.StatusBadRequest},
	{answer.ErrUnknownKB, fiber.StatusNotFound},
	{answer.ErrInvalidSettings, fiber.StatusBadRequest},
	{answer.ErrInvalidArticle, fiber.StatusBadRequest},
	{answer.ErrArticleNotFound, fiber.StatusNotFound},
	{answer.ErrArticleExists, fiber.StatusConflict},
	{answer.ErrAnswerNotFound, fiber.StatusNotFound},
	{answer.ErrInvalidFeedback, fiber.StatusBadRequest},
	{answer.ErrFeedbackGiven, fiber.StatusConflict},
	{answer.ErrInvalidOutcome, fiber.StatusBadRequest},
	{answer.ErrHandoffNotFound, fiber.StatusNotFound},
	{answer.ErrHandoffResolved, fiber.StatusConflict},
	{answer.ErrHandoffClaimed, fiber.StatusConflict},
	{answer.ErrInvalidHandoff, fiber.StatusBadRequest},
	{curate.ErrCandidateNotFound, fiber.StatusNotFound},
	{curate.ErrCandidateDecided, fiber.StatusConflict},
	{curate.ErrInvalidAction, fiber.StatusBadRequest},
	{curate.ErrRevisionNotFound, fiber.StatusNotFound},
	{curate.ErrNoRevisions, fiber.StatusNotFound},
	{curate.ErrInvalidRevision, fiber.StatusBadRequest},
	{curate.ErrInvalidAudit, fiber.StatusBadRequest},
	{curate.ErrInvalidGapQuery, fiber.StatusBadRequest},
	{curate.ErrSourceNotFound, fiber.StatusNotFound},
	{curate.ErrInvalidSource, fiber.StatusBadRequest},
	{curate.ErrBadSignature, fiber.StatusUnauthorized},
	{curate.ErrStaleSignature, fiber.StatusUnauthorized},
	{intake.ErrInvalidPayload, fiber.StatusBadRequest},
	{intake.ErrInvalidResolved, fiber.StatusBadRequest},
	{channels.ErrChannelNotFound, fiber.StatusNotFound},
	{channels.ErrInvalidChannel, fiber.StatusBadRequest},
	{channels.ErrBadSignature, fiber.StatusUnauthorized},
	{channels.ErrStaleSignature, fiber.StatusUnauthorized},
	{channels.ErrInvalidPayload, fiber.StatusBadRequest},
}

// apiErrorOf maps any error a handler returns to the apiError the client
// sees, and reports whether it is a server fault to be logged. The message
// of an unrecognized error is not shown to the client (it may name files
// or internals); it is logged instead.
func apiErrorOf(err error) (*apiError, bool) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae, ae.Status >= 500
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if fe.Code == fiber.StatusRequestEntityTooLarge {
			msg = "request body too large"
		}
		return &apiError{Status: fe.Code, Code: codeFor(fe.Code), Message: msg}, fe.Code >= 500
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) {
		return errBadRequest("malformed JSON: %v", err), false
	}
	for _, s := range sentinelErrors {
		if errors.Is(err, s.err) {
			return &apiError{Status: s.status, Code: codeFor(s.status), Message: err.Error()}, s.status >= 500
		}
	}
	return &apiError{Status: fiber.StatusInternalServerError, Code: codeInternal, Message: "internal server error"}, true
}

// newErrorHandler is the app's single fiber ErrorHandler: every 4xx and 5xx
// the API sends goes through it and has the same JSON shape.
func newErrorHandler(logger *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		ae, serverFault := apiErrorOf(err)
		if serverFault {
			logger.Error("request failed", "method", c.Method(), "path", c.Path(), "status", ae.Status, "err", err)
		}
		// A streamed body (backup) may already be set; the error replaces it.
		c.Response().ResetBody()
		return c.Status(ae.Status).JSON(fiber.Map{"error": fiber.Map{"code": ae.Code, "message": ae.Message}})
	}
}
