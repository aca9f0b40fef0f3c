package httpapi

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/ratelimit"
)

// Widget keys (apikey.RoleWidget) are published in shops' pages by the
// web widget. They reach only the routes registered with
// requireOrWidget (ask and feedback), only with an Origin header the key
// lists; the answer then carries Access-Control-Allow-Origin for that
// origin. CORS preflights (OPTIONS) carry no key: they are answered for
// an origin that some active widget key lists, and refused (403) for
// any other. Widget requests are rate-limited per key (server.rate_limit)
// and per client address (server.widget_addr_rate_limit), and their
// conversations are issued by jieda ("wg-" ids, kept by the widget).

// widgetConversationPrefix starts the conversation ids jieda issues to widgets.
const widgetConversationPrefix = "wg-"

// widgetGate holds the widget keys' origins (for preflights) and the
// per-address rate limiter.
type widgetGate struct {
	auth    *authenticator
	limiter *ratelimit.Limiter // nil: no per-address limit

	mu      sync.Mutex
	origins map[string]bool
	expires time.Time
}

func newWidgetGate(cfg Config, a *authenticator) *widgetGate {
	g := &widgetGate{auth: a}
	if cfg.WidgetAddrRateLimit > 0 {
		g.limiter = ratelimit.New(cfg.WidgetAddrRateLimit, cfg.WidgetAddrRateBurst, a.now)
	}
	return g
}

// forget drops the cached origins (a widget key was created or revoked here).
func (g *widgetGate) forget() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.origins = nil
}

// listed reports whether an active widget key lists origin (normalized).
func (g *widgetGate) listed(c *fiber.Ctx, origin string) (bool, error) {
	now := g.auth.now()
	g.mu.Lock()
	if g.origins != nil && now.Before(g.expires) {
		ok := g.origins[origin]
		g.mu.Unlock()
		return ok, nil
	}
	g.mu.Unlock()
	keys, err := g.auth.keyStore()
	if err != nil {
		return false, err
	}
	list, err := keys.List(c.UserContext())
	if err != nil {
		return false, err
	}
	origins := map[string]bool{}
	for _, k := range list {
		if k.Role == apikey.RoleWidget && !k.Revoked() {
			for _, o := range k.Origins {
				origins[o] = true
			}
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.origins, g.expires = origins, now.Add(max(g.auth.ttl, time.Second))
	return origins[origin], nil
}

// preflight answers a CORS preflight of a widget route.
func (a *authenticator) preflight(c *fiber.Ctx) error {
	c.Vary(fiber.HeaderOrigin)
	c.Set(fiber.HeaderAllow, "POST, OPTIONS")
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return c.SendStatus(fiber.StatusNoContent) // not a CORS request
	}
	norm, err := apikey.NormalizeOrigin(origin)
	if err != nil {
		return errForbidden("origin %q is not allowed", origin)
	}
	ok, err := a.widgets.listed(c, norm)
	if err != nil {
		return err
	}
	if !ok {
		return errForbidden("origin %q is not listed by any widget key", origin)
	}
	c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
	c.Set(fiber.HeaderAccessControlAllowMethods, "POST")
	c.Set(fiber.HeaderAccessControlAllowHeaders, "Authorization, Content-Type")
	c.Set(fiber.HeaderAccessControlMaxAge, "600")
	return c.SendStatus(fiber.StatusNoContent)
}

// requireOrWidget is require(need) that also admits widget keys from an
// origin they list (answering with CORS headers), limited per client address.
func (a *authenticator) requireOrWidget(need apikey.Role) fiber.Handler {
	req := a.require(need)
	return func(c *fiber.Ctx) error {
		p := principalOf(c)
		if p == nil {
			var err error
			if p, err = a.authenticate(c); err != nil {
				return err
			}
			c.Locals(localsPrincipal, p)
		}
		if p.Role != apikey.RoleWidget {
			return req(c)
		}
		c.Vary(fiber.HeaderOrigin)
		origin := c.Get(fiber.HeaderOrigin)
		norm, err := apikey.NormalizeOrigin(origin)
		if origin == "" || err != nil || !slices.Contains(p.Origins, norm) {
			return errForbidden("widget key %s is only accepted from the origins it lists, not from %q", p.KeyID, origin)
		}
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		if l := a.widgets.limiter; l != nil {
			if ok, wait := l.Allow("addr:" + c.IP()); !ok {
				secs := max(1, int(math.Ceil(wait.Seconds())))
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
				c.Set(fiber.HeaderAccessControlExposeHeaders, fiber.HeaderRetryAfter)
				return newAPIError(fiber.StatusTooManyRequests, codeRateLimited,
					"this address exceeded %g widget requests/s (burst %d); retry in %ds", l.Rate(), l.Burst(), secs)
			}
		}
		return c.Next()
	}
}

// widgetAsk prepares a widget's question: the conversation is one jieda
// issued (a new one when none is given), and what a page cannot vouch
// for is refused (earlier turns) or dropped (the customer's tier).
func widgetAsk(req *answer.AskRequest) error {
	if req.Conversation == nil {
		req.Conversation = &answer.Conversation{}
	}
	if len(req.Conversation.Turns) > 0 {
		return errBadRequest("widget keys may not send conversation turns: jieda keeps the conversation")
	}
	switch id := req.Conversation.ID; {
	case id == "":
		req.Conversation.ID = widgetConversationPrefix + uuid.NewString()
	case !strings.HasPrefix(id, widgetConversationPrefix) || uuid.Validate(strings.TrimPrefix(id, widgetConversationPrefix)) != nil:
		return errBadRequest("conversation id %q was not issued by jieda: leave it out to start a conversation", id)
	}
	if req.Customer != nil {
		req.Customer.Tier = ""
	}
	return nil
}
