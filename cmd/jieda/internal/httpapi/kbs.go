package httpapi

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
)

func (h *handlers) listKBs(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	names, err := e.Settings.List(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"kbs": principalOf(c).Visible(names)})
}

// settingsJSON hides the webhook secret.
func settingsJSON(st answer.Settings) fiber.Map {
	secretSet := st.Webhook.Secret != ""
	st.Webhook.Secret = ""
	return fiber.Map{"settings": st, "webhook_secret_set": secretSet, "effective_calibration": st.CalibrationOrDefault()}
}

func (h *handlers) getSettings(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbPath(c)
	if err != nil {
		return err
	}
	if err := e.KnownKB(c.UserContext(), kb); err != nil {
		return err
	}
	st, _, err := e.Settings.Get(c.UserContext(), kb)
	if err != nil {
		return err
	}
	out := settingsJSON(st)
	out["calibrating"] = e.SelfCalibrating(kb)
	return c.JSON(out)
}

// putSettings replaces a KB's settings (creating the KB); a webhook
// without a secret keeps the stored secret.
func (h *handlers) putSettings(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbPath(c)
	if err != nil {
		return err
	}
	var st answer.Settings
	if err := decodeJSON(c, &st); err != nil {
		return err
	}
	if st.KB != "" && st.KB != kb {
		return errBadRequest("settings.kb %q differs from the path's %q", st.KB, kb)
	}
	st.KB = kb
	saved, err := e.Settings.Replace(c.UserContext(), st)
	if err != nil {
		return err
	}
	return c.JSON(settingsJSON(saved))
}

// curationJSON shows a KB's stored curation thresholds and the effective ones.
func curationJSON(kb string, stored, defaults curate.Thresholds) fiber.Map {
	return fiber.Map{"kb": kb, "thresholds": stored, "defaults": defaults}
}

func (h *handlers) getCuration(c *fiber.Ctx) error {
	cur, kb, err := h.curatorForKBPath(c)
	if err != nil {
		return err
	}
	t, err := cur.Thresholds(c.UserContext(), kb)
	if err != nil {
		return err
	}
	return c.JSON(curationJSON(kb, t, cur.Defaults()))
}

func (h *handlers) putCuration(c *fiber.Ctx) error {
	cur, kb, err := h.curatorForKBPath(c)
	if err != nil {
		return err
	}
	var t curate.Thresholds
	if err := decodeJSON(c, &t); err != nil {
		return err
	}
	if err := cur.SetThresholds(c.UserContext(), kb, t); err != nil {
		return err
	}
	return c.JSON(curationJSON(kb, t, cur.Defaults()))
}

// calibrate starts the KB's self-calibration in the background (202);
// GET /v1/kbs/{kb}/settings shows its report once it is done, and
// "calibrating" while it runs.
func (h *handlers) calibrate(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbPath(c)
	if err != nil {
		return err
	}
	// The run outlives the request: it is the engine's (Close waits for it).
	if err := e.StartSelfCalibration(context.WithoutCancel(c.UserContext()), kb); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"kb": kb, "calibrating": true})
}

// autonomy is the KB's autonomy per category (auto, suggest, graduated)
// with its evidence.
func (h *handlers) autonomy(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbPath(c)
	if err != nil {
		return err
	}
	rep, err := e.Autonomy(c.UserContext(), kb)
	if err != nil {
		return err
	}
	return c.JSON(rep)
}
