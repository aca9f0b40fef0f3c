package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/authz"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// funcs are the templates' helpers that need no request.
var funcs = template.FuncMap{
	// html marks text that the domain has already escaped (search
	// highlights: HTML-escaped apart from <mark> tags).
	"html": func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // escaped by answer.Highlight
	"pct":  func(x float64) string { return fmt.Sprintf("%.0f%%", 100*x) },
	"num":  func(x float64) string { return fmt.Sprintf("%.2f", x) },
	"add":  func(a, b int) int { return a + b },
	"join": strings.Join,
	"short": func(s string, n int) string {
		rs := []rune(s)
		if len(rs) <= n {
			return s
		}
		return string(rs[:n]) + "…"
	},
	"mul100": func(x float64) int { return int(math.Round(100 * x)) },
	"list":   func(s ...string) []string { return s },
	"half":   func(n int) int { return n / 2 },
	"pair":   func(a, b any) []any { return []any{a, b} },
	"abs": func(n int) int {
		if n < 0 {
			return -n
		}
		return n
	},
	"csat": func(sum, n int) string {
		if n == 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f", float64(sum)/float64(n))
	},
}

// parsePages parses each page template (templates/NAME.html other than
// layout.html) together with the layout: pages[NAME].
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// view is what every template gets: the catalog (.T), the signed-in
// principal, the CSRF token for forms, and the page's own Data.
type view struct {
	*catalog
	Title      string
	TitleCount int
	Nav        string
	P          *authz.Principal
	CSRF       string
	IsEditor   bool
	IsAdmin    bool
	Flash      string
	Err        *humanError
	Data       any
	uri        string
	con        *Console
	now        time.Time
}

// view starts a page's view; title is a catalog key.
func (r *request) view(title, nav string, data any) *view {
	v := &view{catalog: r.cat, Title: r.cat.T(title), Nav: nav, Data: data, P: r.p,
		uri: string(r.c.Request().RequestURI()), con: r.con, now: r.now()}
	if r.sess != nil {
		v.CSRF = r.sess.CSRF
	}
	if r.p != nil {
		v.IsEditor = r.p.Require(apikey.RoleEditor) == nil
		v.IsAdmin = r.p.Require(apikey.RoleAdmin) == nil
	}
	if m := r.c.Query("msg"); m != "" && r.cat.Has("flash."+m) {
		v.Flash = r.cat.T("flash." + m)
	}
	return v
}

// render writes page with the layout.
func (r *request) render(status int, page string, v *view) error {
	return r.fragment(status, page, "layout", v)
}

// fragment writes one named template of page (htmx partials).
func (r *request) fragment(status int, page, name string, data any) error {
	t, ok := r.con.pages[page]
	if !ok {
		t = r.con.pages["error"]
	}
	if he, ok := data.(*humanError); ok {
		data = &view{catalog: r.cat, Err: he, con: r.con}
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("rendering %s/%s: %w", page, name, err)
	}
	r.c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return r.c.Status(status).Send(b.Bytes())
}

// Asset is the versioned URL of a static file.
func (v *view) Asset(name string) string {
	return "/console/static/" + name + "?v=" + v.con.version
}

// LangURL is this page in another language.
func (v *view) LangURL(lang string) string { return withLang(v.uri, lang) }

// Langs are the languages the switch offers: code and own name.
func (v *view) Langs() [][2]string { return [][2]string{{"zh-CN", "中文"}, {"en", "English"}} }

// Ago is how long ago t was, in the page's language.
func (v *view) Ago(t time.Time) string {
	d := v.now.Sub(t)
	switch {
	case d < time.Minute:
		return v.T("time.now")
	case d < time.Hour:
		return v.T("time.minutes", int(d.Minutes()))
	case d < 48*time.Hour:
		return v.T("time.hours", int(d.Hours()))
	default:
		return v.T("time.days", int(d.Hours()/24))
	}
}

// Since is how long ago t was, as "5 min ago", in the page's language.
func (v *view) Since(t time.Time) string {
	d := v.now.Sub(t)
	switch {
	case d < time.Minute:
		return v.T("time.ago.now")
	case d < time.Hour:
		return v.T("time.ago.minutes", int(d.Minutes()))
	case d < 48*time.Hour:
		return v.T("time.ago.hours", int(d.Hours()))
	default:
		return v.T("time.ago.days", int(d.Hours()/24))
	}
}

// Time is t in the server's time zone, to the minute.
func (v *view) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04")
}

// Recent reports whether t is within the last minute (new queue rows).
func (v *view) Recent(t time.Time) bool { return v.now.Sub(t) < time.Minute }

// Reason is a handoff reason's name in the page's language.
func (v *view) Reason(r answer.HandoffReason) string { return v.opt("reason."+string(r), string(r)) }

// ReasonHelp says what a handoff reason means.
func (v *view) ReasonHelp(r answer.HandoffReason) string { return v.opt("reason.help."+string(r), "") }

// Role is a key role's name in the page's language.
func (v *view) Role(r apikey.Role) string { return v.opt("role."+r.String(), r.String()) }

// Sentiment names a sentiment score (-1 angry … 1 happy).
func (v *view) Sentiment(s float64) string {
	switch {
	case s <= -0.6:
		return v.T("sentiment.angry")
	case s <= -0.3:
		return v.T("sentiment.negative")
	case s >= 0.3:
		return v.T("sentiment.positive")
	default:
		return v.T("sentiment.neutral")
	}
}

// Priority names a priority (0-100) as high, medium or low.
func (v *view) Priority(p int) string {
	switch {
	case p >= 50:
		return v.T("priority.high")
	case p >= 25:
		return v.T("priority.medium")
	default:
		return v.T("priority.low")
	}
}

// opt is the catalog's string for key, or def when it has none (a value
// a newer server may add).
func (v *view) opt(key, def string) string {
	if v.Has(key) {
		return v.T(key)
	}
	return def
}

// asset is one embedded static file.
type asset struct {
	body []byte
	typ  string
}

// loadAssets reads the static files and their joint version.
func loadAssets() (map[string]asset, string, error) {
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	out := map[string]asset{}
	h := sha256.New()
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		typ, ok := types[path.Ext(p)]
		if !ok {
			return nil // licences and notes travel with the files, not served
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		h.Write(b)
		out[path.Base(p)] = asset{body: b, typ: typ}
		return nil
	})
	return out, hex.EncodeToString(h.Sum(nil))[:12], err
}

// static serves an embedded file; a versioned URL may be cached for good.
func (con *Console) static(c *fiber.Ctx) error {
	a, ok := con.assets[c.Params("name")]
	if !ok {
		return con.public(func(*request) error { return ErrNotFound })(c)
	}
	c.Set(fiber.HeaderContentType, a.typ)
	if c.Query("v") == con.version {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	return c.Send(a.body)
}

// ClaimLive reports whether a claim still holds.
func (v *view) ClaimLive(c *answer.Claim) bool { return c.ActiveAt(v.now) }

// ErrText is what an error means to a person, in one line.
func (v *view) ErrText(err error) string {
	he, _ := humanOf(err)
	return v.T(he.What)
}

// Now is the page's clock (the engine's).
func (v *view) Now() time.Time { return v.now }

// Feature names a confidence feature in the page's language.
func (v *view) Feature(name string) string { return v.opt("feature."+name, name) }
