package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/index"
)

// Intake source kinds.
const (
	sourceChatwoot = "chatwoot"
	sourceGeneric  = "generic"
)

// sourcesCollection holds the help-desk sources allowed to post resolved
// conversations to /v1/intake/{source}.
const sourcesCollection = "intake_sources"

// intakeSource is one help desk (or other system) feeding resolved replies.
type intakeSource struct {
	Name string `json:"name"`
	// Kind is chatwoot (Chatwoot's webhook events) or generic (the
	// documented {question, reply, agent, csat, resolved_at, ticket, reusable}).
	Kind string `json:"kind"`
	KB   string `json:"kb"`
	// Secret signs the source's requests (HMAC-SHA256); never returned.
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// sourceStore keeps intake sources in the store.
type sourceStore struct{ store func() (index.Store, error) }

func sourcePointID(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("intake-source\x00"+name)).String()
}

func (s *sourceStore) open(ctx context.Context) (index.Store, error) {
	st, err := s.store()
	if err != nil {
		return nil, errUnavailable("store not available: %v", err)
	}
	if err := st.CreateCollection(ctx, index.CollectionConfig{Name: sourcesCollection, Sparse: true}); err != nil {
		return nil, err
	}
	return st, nil
}

func (s *sourceStore) get(ctx context.Context, name string) (intakeSource, error) {
	st, err := s.open(ctx)
	if err != nil {
		return intakeSource{}, err
	}
	recs, err := st.Get(ctx, sourcesCollection, []string{sourcePointID(name)}, index.With{Payload: true})
	if err != nil {
		return intakeSource{}, err
	}
	if len(recs) == 0 {
		return intakeSource{}, errNotFound("no intake source %q (an admin creates it with PUT /v1/admin/intake-sources/%s)", name, name)
	}
	var src intakeSource
	js, _ := recs[0].Payload["source"].(string)
	if err := json.Unmarshal([]byte(js), &src); err != nil {
		return intakeSource{}, fmt.Errorf("decoding intake source %s: %w", name, err)
	}
	return src, nil
}

// routes: PUT/GET/DELETE /v1/admin/intake-sources/:name, GET
// /v1/admin/intake-sources; for admin keys valid for every KB (a source
// name is global).
func (s *sourceStore) routes(admin fiber.Router) {
	all := requireAllKBs("managing intake sources")
	admin.Put("/intake-sources/:name", all, func(c *fiber.Ctx) error {
		var src intakeSource
		if err := decodeJSON(c, &src); err != nil {
			return err
		}
		src.Name = c.Params("name")
		if err := answer.ValidateID(src.Name); err != nil {
			return errBadRequest("name: %v", err)
		}
		if src.Kind != sourceChatwoot && src.Kind != sourceGeneric {
			return errBadRequest("kind %q must be chatwoot or generic", src.Kind)
		}
		if err := answer.ValidateID(src.KB); err != nil {
			return errBadRequest("kb: %v", err)
		}
		if err := authorizeKB(c, src.KB); err != nil {
			return err
		}
		if len(src.Secret) < 16 || len(src.Secret) > 256 || !utf8.ValidString(src.Secret) {
			return errBadRequest("secret must be 16 to 256 characters")
		}
		src.CreatedAt = time.Now().UTC().Truncate(time.Second)
		st, err := s.open(c.UserContext())
		if err != nil {
			return err
		}
		js, _ := json.Marshal(src)
		if err := st.Upsert(c.UserContext(), sourcesCollection, []index.Point{{ID: sourcePointID(src.Name), Payload: index.Payload{"name": src.Name, "source": string(js)}}}); err != nil {
			return err
		}
		src.Secret = ""
		return c.JSON(src)
	})
	admin.Get("/intake-sources", all, func(c *fiber.Ctx) error {
		st, err := s.open(c.UserContext())
		if err != nil {
			return err
		}
		out := []intakeSource{}
		cursor := ""
		for {
			page, err := st.Scroll(c.UserContext(), sourcesCollection, index.ScrollRequest{Limit: 256, Cursor: cursor, With: index.With{Payload: true}})
			if err != nil {
				return err
			}
			for _, r := range page.Points {
				var src intakeSource
				js, _ := r.Payload["source"].(string)
				if json.Unmarshal([]byte(js), &src) == nil {
					src.Secret = ""
					out = append(out, src)
				}
			}
			if cursor = page.Next; cursor == "" {
				return c.JSON(fiber.Map{"sources": out})
			}
		}
	})
	admin.Delete("/intake-sources/:name", all, func(c *fiber.Ctx) error {
		if _, err := s.get(c.UserContext(), c.Params("name")); err != nil {
			return err
		}
		st, err := s.open(c.UserContext())
		if err != nil {
			return err
		}
		if err := st.Delete(c.UserContext(), sourcesCollection, []string{sourcePointID(c.Params("name"))}); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	})
}
