package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/curate"
)

// intakeWebhook takes a resolved conversation from a help desk: the
// source (configured under /v1/admin/intake-sources) names its kind, KB
// and secret; the body must carry a valid signature.
func (h *handlers) intakeWebhook(c *fiber.Ctx) error {
	cur, _, err := h.curator()
	if err != nil {
		return err
	}
	sig := curate.Signature{
		Jieda:    c.Get("X-Jieda-Signature"),
		Chatwoot: c.Get("X-Chatwoot-Signature"), ChatwootTimestamp: c.Get("X-Chatwoot-Timestamp"),
	}
	res, err := cur.IntakeWebhook(c.UserContext(), c.Params("source"), sig, c.Body())
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// sourceRoutes: PUT/GET/DELETE /v1/admin/intake-sources/:name, GET
// /v1/admin/intake-sources; for admin keys valid for every KB (a source
// name is global).
func (h *handlers) sourceRoutes(admin fiber.Router) {
	all := requireAllKBs("managing intake sources")
	admin.Put("/intake-sources/:name", all, h.putSource)
	admin.Get("/intake-sources", all, h.listSources)
	admin.Delete("/intake-sources/:name", all, h.deleteSource)
}

func (h *handlers) putSource(c *fiber.Ctx) error {
	cur, _, err := h.curator()
	if err != nil {
		return err
	}
	var src curate.IntakeSource
	if err := decodeJSON(c, &src); err != nil {
		return err
	}
	src.Name = c.Params("name")
	if err := authorizeKB(c, src.KB); err != nil {
		return err
	}
	auditKB(c, src.KB)
	saved, err := cur.PutSource(c.UserContext(), src)
	if err != nil {
		return err
	}
	saved.Secret = ""
	return c.JSON(saved)
}

func (h *handlers) listSources(c *fiber.Ctx) error {
	cur, _, err := h.curator()
	if err != nil {
		return err
	}
	srcs, err := cur.Sources(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"sources": srcs})
}

func (h *handlers) deleteSource(c *fiber.Ctx) error {
	cur, _, err := h.curator()
	if err != nil {
		return err
	}
	if err := cur.DeleteSource(c.UserContext(), c.Params("name")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
