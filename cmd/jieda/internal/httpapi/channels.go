package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/cmd/jieda/internal/channels"
)

// channelRoutes: the admin API of channels (PUT/GET/DELETE
// /v1/admin/channels/:name, GET /v1/admin/channels; admin keys valid for
// every KB) and the channels' webhook, authenticated by the channel's
// own signature.
func (h *handlers) channelRoutes(admin, v1 fiber.Router, limits bodyLimits) {
	all := requireAllKBs("managing channels")
	admin.Put("/channels/:name", all, h.putChannel)
	admin.Get("/channels", all, h.listChannels)
	admin.Get("/channels/:name", all, h.getChannel)
	admin.Delete("/channels/:name", all, h.deleteChannel)
	v1.Post("/channels/:name/webhook", limits.read, h.channelWebhook)
}

// channels returns the channels service, or 503 while it is not running.
func (h *handlers) channels() (*channels.Service, error) {
	if h.deps.Channels == nil {
		return nil, errUnavailable("not ready: channels run once the model and the store are loaded (see /readyz)")
	}
	return h.deps.Channels, nil
}

func (h *handlers) putChannel(c *fiber.Ctx) error {
	svc, err := h.channels()
	if err != nil {
		return err
	}
	var body map[string]json.RawMessage // an object; the kind checks its fields
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	v, err := svc.Put(c.UserContext(), c.Params("name"), bytes.Clone(c.Body()))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *handlers) getChannel(c *fiber.Ctx) error {
	svc, err := h.channels()
	if err != nil {
		return err
	}
	v, err := svc.Get(c.UserContext(), c.Params("name"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *handlers) listChannels(c *fiber.Ctx) error {
	svc, err := h.channels()
	if err != nil {
		return err
	}
	list, err := svc.List(c.UserContext())
	if err != nil {
		return err
	}
	if list == nil {
		list = []channels.View{}
	}
	return c.JSON(fiber.Map{"channels": list})
}

func (h *handlers) deleteChannel(c *fiber.Ctx) error {
	svc, err := h.channels()
	if err != nil {
		return err
	}
	if err := svc.Delete(c.UserContext(), c.Params("name")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// channelWebhook takes a channel's callback: verified, deduplicated and
// queued by the service, answered at once.
func (h *handlers) channelWebhook(c *fiber.Ctx) error {
	svc, err := h.channels()
	if err != nil {
		return err
	}
	req := channels.Request{Method: c.Method(), Header: http.Header{}, Query: url.Values{}, Body: bytes.Clone(c.Body())}
	c.Request().Header.VisitAll(func(k, v []byte) { req.Header.Add(string(k), string(v)) })
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) { req.Query.Add(string(k), string(v)) })
	ack, err := svc.Receive(c.UserContext(), c.Params("name"), req)
	if err != nil {
		return err
	}
	return c.JSON(ack)
}
