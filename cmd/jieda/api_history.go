package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
)

// historyRoutes registers article revisions (editors) and the audit log (admins).
func historyRoutes(v1 fiber.Router, auth *authenticator, h *apiHandlers) {
	editor := auth.require(roleEditor)
	v1.Get("/articles/:id/revisions", editor, h.listRevisions)
	v1.Get("/articles/:id/diff", editor, h.diffRevisions)
	v1.Post("/articles/:id/rollback", editor, h.rollback)
	v1.Get("/audit", auth.require(roleAdmin), h.listAudit)
}

func (h *apiHandlers) listRevisions(c *fiber.Ctx) error {
	cur, e, err := h.curator()
	if err != nil {
		return err
	}
	kb, err := kbParam(c, e)
	if err != nil {
		return err
	}
	revs, err := cur.History.Revisions(c.UserContext(), kb, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"kb": kb, "article_id": c.Params("id"), "revisions": revs})
}

// diffRevisions compares two versions (from, to; default: the latest two).
func (h *apiHandlers) diffRevisions(c *fiber.Ctx) error {
	cur, e, err := h.curator()
	if err != nil {
		return err
	}
	kb, err := kbParam(c, e)
	if err != nil {
		return err
	}
	ctx, id := c.UserContext(), c.Params("id")
	revs, err := cur.History.Revisions(ctx, kb, id)
	if err != nil {
		return err
	}
	pick := func(name string, def int) (curate.Revision, error) {
		v := def
		if s := c.Query(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return curate.Revision{}, errBadRequest("%s must be a version number", name)
			}
			v = n
		}
		return cur.History.Revision(ctx, kb, id, v)
	}
	to, err := pick("to", revs[0].Version)
	if err != nil {
		return err
	}
	prev := to.Version // default from: the revision before to (revs is newest first)
	for _, r := range revs {
		if r.Version < to.Version {
			prev = r.Version
			break
		}
	}
	from, err := pick("from", prev)
	if err != nil {
		return err
	}
	var a, b answer.Article
	if from.Article != nil {
		a = *from.Article
	}
	if to.Article != nil {
		b = *to.Article
	}
	return c.JSON(fiber.Map{"kb": kb, "article_id": id, "from": from.Version, "to": to.Version, "diff": curate.Diff(a, b)})
}

func (h *apiHandlers) rollback(c *fiber.Ctx) error {
	cur, e, err := h.curator()
	if err != nil {
		return err
	}
	kb, err := kbParam(c, e)
	if err != nil {
		return err
	}
	var in struct {
		Version int    `json:"version"`
		Reason  string `json:"reason"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	art, err := cur.History.Rollback(c.UserContext(), e, kb, c.Params("id"), in.Version, principalOf(c).KeyID, in.Reason)
	if err != nil {
		return err
	}
	return c.JSON(art)
}

func (h *apiHandlers) listAudit(c *fiber.Ctx) error {
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
func (h *apiHandlers) auditActions() fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := c.Next()
		if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead || err != nil || c.Response().StatusCode() >= 400 {
			return err
		}
		p := principalOf(c)
		if p == nil || p.Role < roleEditor {
			return nil
		}
		cur, _, cerr := h.curator()
		if cerr != nil {
			return nil
		}
		route := strings.Clone(c.Route().Path)
		entry := curate.AuditEntry{
			Actor: p.KeyID, Role: p.Role.String(), Action: strings.Clone(c.Method()) + " " + route,
			KB: strings.Clone(cmpOr(c.Query("kb"), c.Params("kb"))), Target: strings.Clone(cmpOr(c.Params("id"), c.Params("name"))),
		}
		if answer.ValidateID(entry.KB) != nil {
			entry.KB = ""
		}
		if _, err := cur.Audit.Record(c.UserContext(), entry); err != nil {
			h.comps.logError("recording an audit entry", err)
		}
		return nil
	}
}
