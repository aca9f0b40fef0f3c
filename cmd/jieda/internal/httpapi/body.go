package httpapi

import (
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jieda/jieda/cmd/jieda/internal/console"
)

// bodyLimits are the request body limits: server.body_limit for every
// route, server.import_body_limit for the article import.
type bodyLimits struct{ body, imports int }

// importRoute is the one route whose body may exceed server.body_limit.
const importRoute = "/v1/articles/import"

func (l bodyLimits) of(c *fiber.Ctx) int {
	if p := strings.TrimSuffix(c.Path(), "/"); strings.EqualFold(p, importRoute) || strings.EqualFold(p, console.ImportPath) {
		return l.imports
	}
	return l.body
}

// errTooLarge is the one 413 the API sends.
func errTooLarge(limit int) *apiError {
	return newAPIError(fiber.StatusRequestEntityTooLarge, codeTooLarge, "request body too large: at most %d bytes are accepted here", limit)
}

// read reads the route's body within its limit, after authentication
// (require calls it; public routes with a body use it as a handler). A
// body over server.body_limit reaches the handlers unread (fiber streams
// it), so a client without a valid key gets 401, not 413. Every route
// that reads a body must pass through read first: c.Body() on a streamed
// body would read it without bound (TestEveryRouteBoundsItsBody).
func (l bodyLimits) read(c *fiber.Ctx) error {
	limit := l.of(c)
	req := c.Request()
	if n := req.Header.ContentLength(); n > limit {
		return errTooLarge(limit)
	}
	s := req.BodyStream()
	if s == nil { // small enough to have been read with the headers
		if len(req.Body()) > limit {
			return errTooLarge(limit)
		}
		return c.Next()
	}
	b, err := io.ReadAll(io.LimitReader(s, int64(limit)+1))
	if cerr := req.CloseBodyStream(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return errBadRequest("reading the request body: %v", err)
	case len(b) > limit:
		return errTooLarge(limit)
	}
	req.SetBody(b)
	return c.Next()
}

// drain runs first: after the handlers, a body nobody read (a request
// refused before reading it) is read and dropped, up to the largest
// limit, so the connection can serve its next request; a larger one
// closes the connection instead.
func (l bodyLimits) drain(c *fiber.Ctx) error {
	err := c.Next()
	req := c.Request()
	s := req.BodyStream()
	if s == nil {
		return err
	}
	most := int64(max(l.body, l.imports))
	if int64(req.Header.ContentLength()) > most {
		// Not worth reading: answer and close (the client may see its
		// upload cut short; the answer is sent first).
		c.Context().SetConnectionClose()
		return err
	}
	n, cerr := io.Copy(io.Discard, io.LimitReader(s, most+1))
	if cerr != nil || n > most {
		c.Context().SetConnectionClose()
	}
	if cerr := req.CloseBodyStream(); cerr != nil {
		c.Context().SetConnectionClose()
	}
	return err
}
