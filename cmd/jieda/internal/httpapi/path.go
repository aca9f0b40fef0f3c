package httpapi

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// decodePath percent-decodes the request path once, segment by segment,
// before routing, so that route parameters are the ids clients meant:
// /v1/articles/%E8%BF%90%E8%B4%B9 is the article 运费. A segment that is
// not valid percent-encoding, or that decodes to a '/' (no id may hold
// one), is refused with 400. "+" stays a plus: paths are not forms.
func decodePath(c *fiber.Ctx) error {
	raw := c.Path()
	if !strings.Contains(raw, "%") {
		return c.Next()
	}
	segs := strings.Split(raw, "/")
	for i, s := range segs {
		d, err := url.PathUnescape(s)
		if err != nil {
			return errBadRequest("path segment %q is not valid percent-encoding", s)
		}
		if strings.ContainsAny(d, "/\x00") {
			return errBadRequest("path segment %q decodes to a '/' or NUL, which no id may contain", s)
		}
		segs[i] = d
	}
	c.Path(strings.Join(segs, "/"))
	return c.Next()
}
