package console

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
)

// heartbeat keeps an idle stream's connection from looking dead.
const heartbeat = 15 * time.Second

// events streams the changes of the handoffs the signed-in key may see
// (server-sent events: "event: handoff", data {type, id, kb, priority,
// at}). A stream ends after Options.StreamFor, at the session's absolute
// expiry or at shutdown; the browser reconnects (re-checking the session)
// and reloads the queue, so nothing in between is lost.
func (con *Console) events(c *fiber.Ctx) error {
	r := con.newRequest(c)
	ok, err := r.signIn()
	if err != nil || !ok || con.deps.Engine == nil {
		return c.SendStatus(fiber.StatusNoContent) // EventSource stops retrying; the page's own reload goes on
	}
	hs := con.deps.Engine.Handoffs
	p := r.p
	life := min(con.opts.StreamFor, con.sessions.expires(r.sess).Sub(con.opts.Now()))
	done := c.Context().Done() // closed at server shutdown
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), life)
		defer cancel()
		feed := hs.Subscribe(ctx)
		tick := time.NewTicker(heartbeat)
		defer tick.Stop()
		if _, err := fmt.Fprint(w, "retry: 2000\n: jieda handoffs\n\n"); err != nil || w.Flush() != nil {
			return
		}
		for {
			var err error
			select {
			case ev, open := <-feed:
				if !open {
					return // the stream's time is up
				}
				if !p.MayUseKB(ev.KB) {
					continue
				}
				js, _ := json.Marshal(ev)
				_, err = fmt.Fprintf(w, "event: handoff\ndata: %s\n\n", js)
			case <-tick.C:
				_, err = fmt.Fprint(w, ": keep-alive\n\n")
			case <-done:
				return
			}
			if err != nil || w.Flush() != nil {
				return // the browser went away
			}
		}
	})
	return nil
}
