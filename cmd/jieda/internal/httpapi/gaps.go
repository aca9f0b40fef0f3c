package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/curate"
)

// gaps is the knowledge-gap report: clusters of handed-off and
// low-confidence questions no candidate covers yet.
func (h *handlers) gaps(c *fiber.Ctx) error {
	cur, _, kb, err := h.curatorForKB(c)
	if err != nil {
		return err
	}
	q := curate.GapQuery{KB: kb}
	if q.Limit, err = intQuery(c, "limit", 20, 1, 200); err != nil {
		return err
	}
	if q.MinCount, err = intQuery(c, "min_count", 2, 1, 1000000); err != nil {
		return err
	}
	now := time.Now()
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if s := c.Query(name); s != "" {
			t, err := curate.ParseGapTime(s, now)
			if err != nil {
				return errBadRequest("%s: %v", name, err)
			}
			*dst = t
		}
	}
	rep, err := cur.Gaps(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(rep)
}
