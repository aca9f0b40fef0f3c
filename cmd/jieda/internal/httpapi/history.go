package httpapi

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
)

func (h *handlers) listRevisions(c *fiber.Ctx) error {
	cur, _, kb, err := h.curatorForKB(c)
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
func (h *handlers) diffRevisions(c *fiber.Ctx) error {
	cur, _, kb, err := h.curatorForKB(c)
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

func (h *handlers) rollback(c *fiber.Ctx) error {
	cur, e, kb, err := h.curatorForKB(c)
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
	auditDetail(c, "version", in.Version)
	auditDetail(c, "reason", in.Reason)
	art, err := cur.History.Rollback(c.UserContext(), e, kb, c.Params("id"), in.Version, principalOf(c).KeyID, in.Reason)
	if err != nil {
		return err
	}
	return c.JSON(art)
}
