package httpapi

import (
	"regexp"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// fallback answers requests no route matched: 405 with Allow when the
// path exists under other methods, else 404 naming the method and path.
type fallback struct {
	routes []routePattern
}

type routePattern struct {
	method string
	re     *regexp.Regexp
}

var routeParam = regexp.MustCompile(`:[A-Za-z0-9_]+`)

// newFallback reads the routes registered on app so far.
func newFallback(app *fiber.App) *fallback {
	f := &fallback{}
	for _, r := range app.GetRoutes(true) {
		if r.Method == "USE" {
			continue
		}
		pat := "(?i)^" + routeParam.ReplaceAllString(regexp.QuoteMeta(r.Path), `[^/]+`) + "/?$"
		f.routes = append(f.routes, routePattern{method: r.Method, re: regexp.MustCompile(pat)})
	}
	return f
}

func (f *fallback) handle(c *fiber.Ctx) error {
	var allow []string
	for _, r := range f.routes {
		if r.method != c.Method() && r.re.MatchString(c.Path()) && !slices.Contains(allow, r.method) {
			allow = append(allow, r.method)
		}
	}
	if len(allow) == 0 {
		return errNotFound("no route %s %s", c.Method(), c.Path())
	}
	slices.Sort(allow)
	c.Set(fiber.HeaderAllow, strings.Join(allow, ", "))
	return newAPIError(fiber.StatusMethodNotAllowed, codeMethod, "%s is not allowed on %s; allowed: %s", c.Method(), c.Path(), strings.Join(allow, ", "))
}
