package httpapi

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
)

func (h *handlers) listHandoffs(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	q := answer.HandoffQuery{Status: answer.HandoffStatus(c.Query("status")), Reason: answer.HandoffReason(c.Query("reason")), Cursor: c.Query("cursor")}
	if q.Limit, err = intQuery(c, "limit", 50, 1, 500); err != nil {
		return err
	}
	if q.KBs, err = principalOf(c).ListKBs(c.Query("kb")); err != nil {
		return errForbidden("%v", err)
	}
	page, err := e.Handoffs.List(c.UserContext(), q)
	if err != nil {
		return err
	}
	if page.Handoffs == nil {
		page.Handoffs = []answer.Handoff{}
	}
	return c.JSON(page)
}

// handoffParam loads the :id handoff and checks the key may see its KB.
func handoffParam(c *fiber.Ctx, e *answer.Engine) (answer.Handoff, error) {
	ho, err := e.Handoffs.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return ho, err
	}
	if !principalOf(c).MayUseKB(ho.KB) {
		return ho, errNotFound("handoff %s not found", c.Params("id")) // not this key's KB: as if absent
	}
	auditKB(c, ho.KB)
	return ho, nil
}

func (h *handlers) getHandoff(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	ho, err := handoffParam(c, e)
	if err != nil {
		return err
	}
	return c.JSON(ho)
}

// resolveHandoff closes a handoff with the agent's reply, which curation
// takes in as a knowledge candidate.
func (h *handlers) resolveHandoff(c *fiber.Ctx) error {
	cur, e, err := h.curator()
	if err != nil {
		return err
	}
	if _, err := handoffParam(c, e); err != nil {
		return err
	}
	var in struct {
		Reply     string `json:"reply"`
		Agent     string `json:"agent"`
		CSAT      *int   `json:"csat"`
		Reusable  *bool  `json:"reusable"`
		ArticleID string `json:"article_id"`
		NoAnswer  bool   `json:"no_answer"`
		// Suggestion is the agent's verdict on jieda's suggested answer.
		Suggestion string `json:"suggestion"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := principalOf(c)
	agent := cmpOr(in.Agent, p.KeyID)
	res, err := cur.ResolveHandoff(c.UserContext(), c.Params("id"), answer.Resolution{Reply: in.Reply, Agent: agent, CSAT: in.CSAT,
		Reusable: in.Reusable, ArticleID: in.ArticleID, NoAnswer: in.NoAnswer, Suggestion: in.Suggestion, By: p.KeyID})
	if err != nil {
		return err
	}
	out := fiber.Map{"handoff": res.Handoff}
	if res.CurationErr != nil {
		out["curation_error"] = "the reply could not be taken in as a knowledge candidate; it can be imported later with jieda import resolved"
	} else {
		out["curation"] = res.Curation
	}
	return c.JSON(out)
}

// claimHandoff claims :id for the request's key, so that no other agent
// answers the same customer; the key's owner renews it the same way.
func (h *handlers) claimHandoff(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	if _, err := handoffParam(c, e); err != nil {
		return err
	}
	var in struct {
		TTLSeconds int `json:"ttl_seconds"`
	}
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	p := principalOf(c)
	ho, err := e.Handoffs.Claim(c.UserContext(), c.Params("id"), p.KeyID, p.Name, time.Duration(in.TTLSeconds)*time.Second)
	if err != nil {
		return err
	}
	return c.JSON(ho)
}

// releaseHandoff ends the request's key's claim on :id.
func (h *handlers) releaseHandoff(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	if _, err := handoffParam(c, e); err != nil {
		return err
	}
	ho, err := e.Handoffs.Release(c.UserContext(), c.Params("id"), principalOf(c).KeyID)
	if err != nil {
		return err
	}
	return c.JSON(ho)
}

// cmpOr is a unless it is blank, else b.
func cmpOr(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
