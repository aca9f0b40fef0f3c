package httpapi

import (
	"context"
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
	p := principalOf(c)
	switch kb := c.Query("kb"); {
	case kb != "":
		if err := authorizeKB(c, kb); err != nil {
			return err
		}
		q.KBs = []string{kb}
	case len(p.KBs) > 0:
		q.KBs = p.KBs // a scoped key reads its own KBs' entries only
	case p.Role < apikey.RoleAdmin:
		q.OnlyKBs = true // editors read what was done to KBs, not to keys or sources
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

// auditedActions names the changes the audit log records, by route: every
// route that changes something, and nothing else (asking, feedback and
// reads are not audited). A route missing here is a test failure
// (TestAuditCoversEveryChange).
var auditedActions = map[string]string{
	"POST /v1/articles":                     "article.create",
	"PUT /v1/articles/:id":                  "article.put",
	"DELETE /v1/articles/:id":               "article.delete",
	"POST /v1/articles/import":              "article.import",
	"POST /v1/articles/:id/rollback":        "article.rollback",
	"PUT /v1/kbs/:kb/settings":              "kb.settings",
	"PUT /v1/kbs/:kb/curation":              "kb.curation",
	"POST /v1/kbs/:kb/calibrate":            "kb.calibrate",
	"POST /v1/candidates/:id/approve":       "candidate.approve",
	"POST /v1/candidates/:id/reject":        "candidate.reject",
	"POST /v1/candidates/:id/merge":         "candidate.merge",
	"POST /v1/candidates/bulk":              "candidate.bulk",
	"POST /v1/handoffs/:id/resolve":         "handoff.resolve",
	"POST /v1/handoffs/:id/claim":           "handoff.claim",
	"DELETE /v1/handoffs/:id/claim":         "handoff.release",
	"POST /v1/admin/keys":                   "key.create",
	"DELETE /v1/admin/keys/:id":             "key.revoke",
	"PUT /v1/admin/intake-sources/:name":    "source.put",
	"DELETE /v1/admin/intake-sources/:name": "source.delete",
	"GET /v1/admin/backup":                  "store.backup",
	"PUT /v1/admin/channels/:name":          "channel.put",
	"DELETE /v1/admin/channels/:name":       "channel.delete",
}

// notAudited are the routes that change nothing an operator audits:
// customers' questions and feedback (the answer log keeps them) and
// help-desk intake (curation's items keep each one).
var notAudited = map[string]bool{
	"POST /v1/ask": true, "POST /v1/feedback": true, "POST /v1/intake/:source": true,
	"POST /v1/channels/:name/webhook": true,                               // the channel's jobs keep each event
	"OPTIONS /v1/ask":                 true, "OPTIONS /v1/feedback": true, // CORS preflights
}

// Locals a handler sets for the audit entry of its request.
const (
	localsAuditKB      = "jieda.audit.kb"
	localsAuditTarget  = "jieda.audit.target"
	localsAuditDetails = "jieda.audit.details"
)

// auditKB sets the KB the request acted on (a candidate's or handoff's, which the URL does not name).
func auditKB(c *fiber.Ctx, kb string) { c.Locals(localsAuditKB, kb) }

// auditDetail adds a fact to the request's audit entry.
func auditDetail(c *fiber.Ctx, key string, v any) {
	d, _ := c.Locals(localsAuditDetails).(map[string]any)
	if d == nil {
		d = map[string]any{}
		c.Locals(localsAuditDetails, d)
	}
	d[key] = v
}

// auditTimeout bounds an audit write: it has its own context, so a
// request that outlived its deadline (a long import) is still audited.
const auditTimeout = 10 * time.Second

// auditActions records every successful change in the audit log, after
// the handler ran, with the actor, the action, the KB, the target and the
// reason (X-Jieda-Reason or the body's).
func (h *handlers) auditActions() fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := c.Next()
		if err != nil || c.Response().StatusCode() >= 400 {
			return err
		}
		action, ok := auditedActions[c.Method()+" "+c.Route().Path]
		p := principalOf(c)
		if !ok || p == nil {
			return nil
		}
		cur, _, cerr := h.curator()
		if cerr != nil {
			return nil
		}
		entry := curate.AuditEntry{
			Actor: p.KeyID, Role: p.Role.String(), Action: action,
			KB: cmpOr(c.Query("kb"), c.Params("kb")), Target: cmpOr(c.Params("id"), c.Params("name")),
		}
		if kb, ok := c.Locals(localsAuditKB).(string); ok {
			entry.KB = kb
		}
		if t, ok := c.Locals(localsAuditTarget).(string); ok {
			entry.Target = t
		}
		if d, ok := c.Locals(localsAuditDetails).(map[string]any); ok {
			entry.Details = d
		}
		if r := c.Get("X-Jieda-Reason"); r != "" {
			if entry.Details == nil {
				entry.Details = map[string]any{}
			}
			entry.Details["reason"] = r
		}
		if answer.ValidateID(entry.KB) != nil {
			entry.KB = ""
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), auditTimeout)
		defer cancel()
		if _, err := cur.Audit.Record(ctx, entry); err != nil {
			h.logger.Error("recording an audit entry", "action", action, "err", err)
		}
		return nil
	}
}
