package httpapi

import (
	"errors"
	"math"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/curate"
)

func (h *handlers) ask(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	var req answer.AskRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.KB == "" {
		return errBadRequest("kb is required")
	}
	p := principalOf(c)
	if p.Role == apikey.RoleWidget {
		if err := widgetAsk(&req); err != nil {
			return err
		}
	}
	req.Principal = p.KeyID // its feedback and its labels are this key's
	if p.Role == apikey.RoleWidget {
		// A site's visitors share its widget key: each address has its own handoff budget.
		req.HandoffBucket = p.KeyID + " " + c.IP()
	}
	if req.Customer != nil && !p.Trusted {
		// A tier raises a handoff's priority: only a trusted integration
		// (or a signed channel) may vouch for one, not any customer's key.
		req.Customer.Tier = ""
	}
	if err := authorizeKB(c, req.KB); err != nil {
		return err
	}
	resp, err := e.Ask(c.UserContext(), req)
	if limit := (*answer.HandoffLimitError)(nil); errors.As(err, &limit) {
		h.metrics.handoff(p.KeyID, "refused")
		secs := max(1, int(math.Ceil(limit.RetryAfter.Seconds())))
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		c.Set(fiber.HeaderAccessControlExposeHeaders, fiber.HeaderRetryAfter)
		return newAPIError(fiber.StatusTooManyRequests, codeRateLimited,
			"this key handed off more than %g questions a minute; retry in %ds", limit.PerMinute, secs)
	}
	if err != nil {
		return err
	}
	h.metrics.decision(resp)
	if ref := resp.Handoff; ref != nil {
		h.metrics.handoff(p.KeyID, map[bool]string{false: "created", true: "continued"}[ref.Continued])
	}
	return c.JSON(resp)
}

func (h *handlers) feedback(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	var in answer.FeedbackInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := principalOf(c)
	ev, err := e.Feedback(c.UserContext(), in, p.KeyID, p.MayUseKB)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"answer_id": ev.ID, "recorded": true})
}

// search is the agents' answer search: articles with the matching
// question highlighted.
func (h *handlers) search(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbQuery(c)
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 10, 1, answer.MaxSearchLimit)
	if err != nil {
		return err
	}
	q := c.Query("q")
	hits, err := e.AgentSearch(c.UserContext(), kb, q, limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"kb": kb, "query": q, "results": hits})
}

// kbQuery reads the required kb query parameter and checks the key may
// use it (whether the KB exists is the domain's to say).
func kbQuery(c *fiber.Ctx) (string, error) {
	kb := c.Query("kb")
	if kb == "" {
		return "", errBadRequest("query parameter kb is required")
	}
	return kb, authorizeKB(c, kb)
}

// engineForKB is the engine and the kb query parameter of a route that
// needs kb to exist (404 otherwise) that the key may use.
func (h *handlers) engineForKB(c *fiber.Ctx) (*answer.Engine, string, error) {
	e, err := h.engine()
	if err != nil {
		return nil, "", err
	}
	kb, err := kbQuery(c)
	if err != nil {
		return nil, "", err
	}
	return e, kb, e.KnownKB(c.UserContext(), kb)
}

// curatorForKB is engineForKB with the curator.
func (h *handlers) curatorForKB(c *fiber.Ctx) (*curate.Curator, *answer.Engine, string, error) {
	cur, _, err := h.curator()
	if err != nil {
		return nil, nil, "", err
	}
	e, kb, err := h.engineForKB(c)
	return cur, e, kb, err
}

// curatorForKBPath is the curator and the :kb path parameter of a route
// that needs the KB to exist that the key may use.
func (h *handlers) curatorForKBPath(c *fiber.Ctx) (*curate.Curator, string, error) {
	cur, e, err := h.curator()
	if err != nil {
		return nil, "", err
	}
	kb, err := kbPath(c)
	if err != nil {
		return nil, "", err
	}
	return cur, kb, e.KnownKB(c.UserContext(), kb)
}

// kbPath reads :kb and checks the key may use it.
func kbPath(c *fiber.Ctx) (string, error) {
	kb := c.Params("kb")
	if err := answer.ValidateID(kb); err != nil {
		return "", errBadRequest("kb: %v", err)
	}
	return kb, authorizeKB(c, kb)
}
