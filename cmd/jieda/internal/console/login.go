package console

import (
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/authz"
)

// loginView is the sign-in page's data.
type loginView struct {
	Next  string
	Token string // the form's CSRF token (double-submit: cookie and field)
	// Problem is what went wrong with the last try, a catalog key and its argument.
	Problem, ProblemArg string
}

// loginPage shows the sign-in form (or sends a signed-in browser on).
func (con *Console) loginPage(r *request) error {
	if ok, err := r.signIn(); err == nil && ok {
		return r.c.Redirect(cmpOr(safeNext(r.c.Query("next")), "/console/handoffs"), fiber.StatusSeeOther)
	}
	return r.showLogin(fiber.StatusOK, loginView{Next: safeNext(r.c.Query("next"))})
}

// showLogin renders the form with a fresh CSRF token.
func (r *request) showLogin(status int, lv loginView) error {
	tok, err := randomToken()
	if err != nil {
		return err
	}
	lv.Token = tok
	r.c.Cookie(&fiber.Cookie{Name: loginCookie, Value: tok, Path: "/console/login", MaxAge: 3600,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: r.c.Secure()})
	v := r.view("login.title", "", lv)
	return r.render(status, "login", v)
}

// login checks the form's key with the API's authenticator and starts a
// session. Customer (and widget) keys are refused: the console admits
// exactly the keys the agents' API routes admit.
func (con *Console) login(r *request) error {
	c := r.c
	lv := loginView{Next: safeNext(c.FormValue("next"))}
	tok, cookie := c.FormValue("csrf"), c.Cookies(loginCookie)
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(cookie)) != 1 {
		lv.Problem = "login.err.csrf"
		return r.showLogin(fiber.StatusForbidden, lv)
	}
	if con.sessions == nil {
		return ErrNotReady
	}
	key := strings.TrimSpace(c.FormValue("key"))
	if key == "" {
		lv.Problem = "login.err.empty"
		return r.showLogin(fiber.StatusBadRequest, lv)
	}
	ctx := c.UserContext()
	p, err := con.deps.Keys.SignIn(ctx, key)
	switch {
	case errors.Is(err, authz.ErrInvalidKey):
		lv.Problem = "login.err.invalid"
		return r.showLogin(fiber.StatusUnauthorized, lv)
	case errors.Is(err, authz.ErrRevokedKey):
		lv.Problem = "login.err.revoked"
		return r.showLogin(fiber.StatusUnauthorized, lv)
	case err != nil:
		return err
	}
	if err := p.Require(apikey.RoleAgent); err != nil {
		lv.Problem, lv.ProblemArg = "login.err.role", (&view{catalog: r.cat}).Role(p.Role)
		return r.showLogin(fiber.StatusForbidden, lv)
	}
	token, _, err := con.sessions.create(ctx, p.KeyID)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: token, Path: "/console", SessionOnly: true,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: c.Secure()})
	clearCookie(c, loginCookie, "/console/login")
	return c.Redirect(cmpOr(lv.Next, "/console/handoffs"), fiber.StatusSeeOther)
}

// logout ends the session server-side and clears the cookie.
func (con *Console) logout(r *request) error {
	c := r.c
	if err := con.sessions.end(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	clearCookie(c, sessionCookie, "/console")
	return c.Redirect("/console/login?msg=signedout", fiber.StatusSeeOther)
}

// cmpOr is a unless it is empty, else b.
func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// clearCookie tells the browser to drop a cookie.
func clearCookie(c *fiber.Ctx, name, path string) {
	c.Cookie(&fiber.Cookie{Name: name, Path: path, Expires: time.Unix(1, 0), HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, Secure: c.Secure()})
}
