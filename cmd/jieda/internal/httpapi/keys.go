package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
)

// keyJSON is an API key as the admin API shows it: never the secret or its hash.
func keyJSON(k apikey.Key) fiber.Map {
	m := fiber.Map{
		"key_id": k.ID, "role": k.Role.String(), "kbs": nonNil(k.KBs), "name": k.Name,
		"created_at": k.CreatedAt.UTC().Format(time.RFC3339),
	}
	if k.Revoked() {
		m["revoked_at"] = k.RevokedAt.UTC().Format(time.RFC3339)
	}
	if len(k.Origins) > 0 {
		m["origins"] = k.Origins
	}
	if k.Trusted {
		m["trusted"] = true
	}
	return m
}

// keyRoutes registers the admin key API on an admin-only group:
// POST /keys creates (the response holds the key, once), GET /keys lists,
// DELETE /keys/:id revokes, effective at once on this server.
func (a *authenticator) keyRoutes(r fiber.Router) {
	unscoped := requireAllKBs("managing API keys")
	r.Post("/keys", unscoped, a.createKey)
	r.Get("/keys", unscoped, a.listKeys)
	r.Delete("/keys/:id", unscoped, a.revokeKey)
}

func (a *authenticator) keyStore() (*apikey.Store, error) {
	if a.keys == nil {
		return nil, errUnavailable("the store is not open (see /readyz)")
	}
	return a.keys, nil
}

func (a *authenticator) createKey(c *fiber.Ctx) error {
	var req struct {
		Role string   `json:"role"`
		KBs  []string `json:"kbs"`
		Name string   `json:"name"`
		// Origins are a widget key's allowed origins.
		Origins []string `json:"origins"`
		// Trusted keys may vouch for customers' tiers.
		Trusted bool `json:"trusted"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ro, err := apikey.ParseRole(req.Role)
	if err != nil {
		return errBadRequest("role: %v", err)
	}
	keys, err := a.keyStore()
	if err != nil {
		return err
	}
	key, k, err := keys.CreateKey(c.UserContext(), apikey.Spec{Role: ro, KBs: req.KBs, Name: req.Name, Origins: req.Origins, Trusted: req.Trusted}, a.now())
	if err != nil {
		return err
	}
	a.widgets.forget()
	a.logger.Info("API key created", "key_id", k.ID, "role", k.Role.String(), "by", principalOf(c).KeyID)
	m := keyJSON(k)
	m["key"] = key
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (a *authenticator) listKeys(c *fiber.Ctx) error {
	keys, err := a.keyStore()
	if err != nil {
		return err
	}
	list, err := keys.List(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]fiber.Map, len(list))
	for i, k := range list {
		out[i] = keyJSON(k)
	}
	return c.JSON(fiber.Map{"keys": out})
}

func (a *authenticator) revokeKey(c *fiber.Ctx) error {
	id := c.Params("id")
	if !apikey.ValidID(id) {
		return errBadRequest("key id %q: key ids are the %d letters and digits after %q in a key", id, apikey.IDLen, apikey.Prefix)
	}
	keys, err := a.keyStore()
	if err != nil {
		return err
	}
	if id == principalOf(c).KeyID {
		if err := lastAdmin(c, keys, id); err != nil {
			return err
		}
	}
	k, _, err := keys.Revoke(c.UserContext(), id, a.now())
	if err != nil {
		return err
	}
	a.forget(id)
	a.widgets.forget()
	a.logger.Info("API key revoked", "key_id", id, "by", principalOf(c).KeyID)
	return c.JSON(keyJSON(k))
}

// lastAdmin refuses (409) an admin key revoking itself when no other
// active admin key valid for every KB would be left to manage keys.
func lastAdmin(c *fiber.Ctx, keys *apikey.Store, self string) error {
	list, err := keys.List(c.UserContext())
	if err != nil {
		return err
	}
	for _, k := range list {
		if k.ID != self && k.Role == apikey.RoleAdmin && len(k.KBs) == 0 && !k.Revoked() {
			return nil
		}
	}
	return newAPIError(fiber.StatusConflict, codeConflict, "key %s is the last active admin key: create another admin key before revoking this one", self)
}
