package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/curate"
)

func (h *handlers) listAudit(c *fiber.Ctx) error {
	cur, _, err := h.curator()
	if err != nil {
		return err
	}
	q := curate.AuditQuery{Actor: c.Query("actor"), Action: c.Query("action"), Cursor: c.Query("cursor")}
	if q.Limit, err = intQuery(c, "limit", 50, 1, 500); err != nil {
		return err
	}
	if kb := c.Query("kb"); kb != "" {
		if err := authorizeKB(c, kb); err != nil {
			return err
		}
		q.KBs = []string{kb}
	} else if p := principalOf(c); len(p.KBs) > 0 {
		q.KBs = p.KBs // a scoped admin reads its own KBs' entries only
	}
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if s := c.Query(name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return errBadRequest("%s must be an RFC 3339 time", name)
			}
			*dst = t
		}
	}
	page, err := cur.Audit.List(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

// auditActions records every successful editor or admin change (any
// method but GET) in the audit log, after the handler ran.
func (h *handlers) auditActions() fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := c.Next()
		if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead || err != nil || c.Response().StatusCode() >= 400 {
			return err
		}
		p := principalOf(c)
		if p == nil || !p.Role.Allows(apikey.RoleEditor) {
			return nil
		}
		cur, _, cerr := h.curator()
		if cerr != nil {
			return nil
		}
		entry := curate.AuditEntry{
			Actor: p.KeyID, Role: p.Role.String(), Action: c.Method() + " " + c.Route().Path,
			KB: cmpOr(c.Query("kb"), c.Params("kb")), Target: cmpOr(c.Params("id"), c.Params("name")),
		}
		if answer.ValidateID(entry.KB) != nil {
			entry.KB = ""
		}
		if _, err := cur.Audit.Record(c.UserContext(), entry); err != nil {
			h.logger.Error("recording an audit entry", "err", err)
		}
		return nil
	}
}
