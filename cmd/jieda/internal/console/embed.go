package console

import (
	"github.com/gofiber/fiber/v2"
)

// embedView is the embeddable suggestions page's data.
type embedView struct {
	KB, Q string
}

// embedPage is the page a help desk shows beside a conversation (such as
// a Chatwoot Dashboard App): given a question (?q=, or a postMessage
// from the host), it lists jieda's suggested answers to copy.
//
// A session cookie cannot work in another site's iframe (SameSite=Strict
// keeps it out), so the page carries an agent key in its URL's fragment
// (#key=…, which browsers never send to a server) and calls GET
// /v1/search with it: the API authorizes it like any client.
func (con *Console) embedPage(r *request) error {
	c := r.c
	// Any site may frame this one page; it holds no session and acts only
	// with the key its host put in the fragment.
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
		"connect-src 'self'; frame-ancestors *; form-action 'self'; base-uri 'none'; object-src 'none'")
	c.Response().Header.Del("X-Frame-Options")
	ev := &embedView{KB: c.Query("kb"), Q: c.Query("q")}
	return r.render(fiber.StatusOK, "embed", r.view("embed.title", "", ev))
}
