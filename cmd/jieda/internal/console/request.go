package console

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/authz"
	"github.com/jieda/jieda/curate"
)

// Cookie names.
const (
	sessionCookie = "jieda_session"
	langCookie    = "jieda_lang"
	loginCookie   = "jieda_login" // the sign-in form's CSRF token
)

// request is one console request: its language, and once signed in its
// session and the principal of the session's key.
type request struct {
	c    *fiber.Ctx
	con  *Console
	cat  *catalog
	sess *session
	p    *authz.Principal
}

// handler serves a console page; an error it returns is shown as a
// person reads it.
type handler func(*request) error

func (con *Console) newRequest(c *fiber.Ctx) *request {
	q := c.Query("lang")
	lang := pickLang(q, c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
	if q != "" && q == lang {
		c.Cookie(&fiber.Cookie{Name: langCookie, Value: lang, Path: "/console", MaxAge: 365 * 24 * 3600,
			HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: c.Secure()})
	}
	return &request{c: c, con: con, cat: con.cats[lang]}
}

// public serves a page that needs no session.
func (con *Console) public(h handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r := con.newRequest(c)
		if err := h(r); err != nil {
			return r.fail(err)
		}
		return nil
	}
}

// page serves a page for a signed-in agent, editor or admin: no session
// sends the browser to sign in; a POST without the session's CSRF token
// is refused. Editors' and admins' changes are audited as the API's are.
func (con *Console) page(h handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r := con.newRequest(c)
		ok, err := r.signIn()
		if err != nil {
			return r.fail(err)
		}
		if !ok {
			return r.toLogin("")
		}
		if c.Method() == fiber.MethodPost {
			tok := c.Get("X-CSRF-Token")
			if tok == "" {
				tok = c.FormValue("csrf")
			}
			if err := r.sess.checkCSRF(tok); err != nil {
				return r.fail(err)
			}
		}
		if err := h(r); err != nil {
			return r.fail(err)
		}
		if c.Method() == fiber.MethodPost {
			r.audit()
		}
		return nil
	}
}

// signIn reads the session cookie and the principal of its key. It
// reports false when there is no live session; a session whose key was
// revoked or deleted is ended.
func (r *request) signIn() (bool, error) {
	st := r.con.sessions
	if st == nil {
		return false, ErrNotReady
	}
	ctx := r.c.UserContext()
	s, err := st.get(ctx, r.c.Cookies(sessionCookie))
	if err != nil || s == nil {
		return false, err
	}
	p, err := r.con.deps.Keys.PrincipalByID(ctx, s.KeyID)
	if err == nil {
		err = p.Require(apikey.RoleAgent) // what sign-in asked; roles do not change
	}
	if errors.Is(err, authz.ErrInvalidKey) || errors.Is(err, authz.ErrRevokedKey) || errors.Is(err, authz.ErrForbidden) {
		return false, st.end(ctx, r.c.Cookies(sessionCookie))
	}
	if err != nil {
		return false, err
	}
	r.sess, r.p = s, p
	return true, nil
}

// toLogin sends a browser without a session to the sign-in page, back to
// this page afterwards; msg is a login.msg.* key.
func (r *request) toLogin(msg string) error {
	c := r.c
	if strings.HasSuffix(c.Path(), "/events") {
		return c.SendStatus(fiber.StatusNoContent) // EventSource stops retrying
	}
	q := url.Values{}
	if c.Method() == fiber.MethodGet && c.Get("HX-Request") == "" {
		q.Set("next", string(c.Request().RequestURI()))
	} else if msg == "" {
		msg = "expired"
	}
	if msg != "" {
		q.Set("msg", msg)
	}
	to := "/console/login"
	if len(q) > 0 {
		to += "?" + q.Encode()
	}
	if c.Get("HX-Request") != "" {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// fail shows err as a person reads it: a page, or a fragment for htmx.
func (r *request) fail(err error) error {
	he, fault := humanOf(err)
	if fault {
		r.con.logger.Error("console request failed", "method", r.c.Method(), "path", r.c.Path(), "err", err)
	}
	if r.c.Get("HX-Request") != "" {
		// htmx swaps error responses only where told to: the fragment
		// goes to the page's error box.
		r.c.Set("HX-Retarget", "#errors")
		r.c.Set("HX-Reswap", "innerHTML")
		return r.fragment(he.Status, "error", "errorbox", &he)
	}
	v := r.view("err.title", "", nil)
	v.Err = &he
	return r.render(he.Status, "error", v)
}

// audit records a successful change under its action name (as the API's
// audit middleware does for /v1), in a context of its own so a change
// that outlived its request is still recorded.
func (r *request) audit() {
	c := r.c
	action, ok := AuditedActions[c.Method()+" "+c.Route().Path]
	if !ok || c.Response().StatusCode() >= 400 || action == "candidate.bulk" && c.FormValue("confirm") == "" {
		return // a bulk action's preview changes nothing
	}
	cur := r.con.deps.Curator
	if cur == nil {
		return
	}
	kb := c.FormValue("kb")
	if kb == "" {
		kb = c.Query("kb")
	}
	entry := curate.AuditEntry{Actor: r.p.KeyID, Role: r.p.Role.String(), Action: action, KB: kb,
		Target: cmpOrString(c.Params("id"), c.Params("name")), Details: map[string]any{"surface": "console"}}
	if reason := c.FormValue("reason"); reason != "" {
		entry.Details["reason"] = reason
	}
	if answer.ValidateID(kb) != nil {
		entry.KB = ""
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), 10*time.Second)
	defer cancel()
	if _, err := cur.Audit.Record(ctx, entry); err != nil {
		r.con.logger.Error("recording an audit entry", "action", action, "err", err)
	}
}

func cmpOrString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// now is the engine's clock (handoff times are the engine's), else the wall clock.
func (r *request) now() time.Time {
	if e := r.con.deps.Engine; e != nil {
		return e.Now()
	}
	return time.Now()
}

// safeNext is next when it is a console path of this site, else "".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return ""
	}
	return next
}
