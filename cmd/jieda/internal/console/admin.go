package console

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/curate"
)

// adminRoutes are the administration: keys, KB settings, intake sources.
func (con *Console) adminRoutes(g fiber.Router) {
	g.Get("/admin", con.page(con.admin))
	g.Post("/admin/keys", con.page(con.createKey))
	g.Post("/admin/keys/:id/revoke", con.page(con.revokeKey))
	g.Post("/admin/settings", con.page(con.saveWebhook))
	g.Post("/admin/webhook-test", con.page(con.testWebhook))
	g.Post("/admin/sources", con.page(con.putSource))
	g.Post("/admin/sources/:name/delete", con.page(con.deleteSource))
}

// adminView is the administration page's data.
type adminView struct {
	KB  string
	KBs []string
	// Keys and Sources are shown to keys valid for every KB only (as the
	// API's key and source management).
	AllKBs   bool
	Keys     []apikey.Key
	Sources  []curate.IntakeSource
	Roles    []apikey.Role
	Webhook  string
	Secret   bool
	NewKey   string // a key just created: shown once
	NewKeyID string
}

// requireAdmin refuses non-admins, with the API's check.
func (r *request) requireAdmin() error { return r.p.Require(apikey.RoleAdmin) }

func (con *Console) adminData(r *request) (*adminView, error) {
	if err := r.requireAdmin(); err != nil {
		return nil, err
	}
	kb, kbs, err := r.editorKB()
	if err != nil {
		return nil, err
	}
	ctx := r.c.UserContext()
	av := &adminView{KB: kb, KBs: kbs, AllKBs: r.p.RequireAllKBs("") == nil,
		Roles: []apikey.Role{apikey.RoleAgent, apikey.RoleEditor, apikey.RoleAdmin, apikey.RoleCustomer}}
	e, _ := con.engine()
	st, _, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return nil, err
	}
	av.Webhook, av.Secret = st.Webhook.URL, st.Webhook.Secret != ""
	if av.AllKBs {
		if con.keyStore == nil {
			return nil, ErrNotReady
		}
		if av.Keys, err = con.keyStore.List(ctx); err != nil {
			return nil, err
		}
		cur, err := con.curator()
		if err != nil {
			return nil, err
		}
		if av.Sources, err = cur.Sources(ctx); err != nil {
			return nil, err
		}
	}
	return av, nil
}

// admin shows the administration page.
func (con *Console) admin(r *request) error {
	av, err := con.adminData(r)
	if err != nil {
		return err
	}
	return r.render(fiber.StatusOK, "admin", r.view("admin.title", "admin", av))
}

// allKBsAdmin checks an admin key valid for every KB (managing keys and
// sources reaches every KB).
func (r *request) allKBsAdmin(what string) error {
	if err := r.requireAdmin(); err != nil {
		return err
	}
	return r.p.RequireAllKBs(what)
}

// createKey makes a key and shows its secret, once.
func (con *Console) createKey(r *request) error {
	if err := r.allKBsAdmin("managing API keys"); err != nil {
		return err
	}
	if con.keyStore == nil {
		return ErrNotReady
	}
	c := r.c
	role, err := apikey.ParseRole(c.FormValue("role"))
	if err != nil {
		return err
	}
	var kbs []string
	for kb := range strings.FieldsFuncSeq(c.FormValue("kbs"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		kbs = append(kbs, kb)
	}
	key, k, err := con.keyStore.Create(c.UserContext(), role, kbs, strings.TrimSpace(c.FormValue("name")), con.opts.Now())
	if err != nil {
		return err
	}
	con.logger.Info("API key created", "key_id", k.ID, "role", k.Role.String(), "by", r.p.KeyID)
	av, err := con.adminData(r)
	if err != nil {
		return err
	}
	av.NewKey, av.NewKeyID = key, k.ID
	return r.render(fiber.StatusOK, "admin", r.view("admin.title", "admin", av))
}

// revokeKey revokes a key, effective at once on this server.
func (con *Console) revokeKey(r *request) error {
	if err := r.allKBsAdmin("managing API keys"); err != nil {
		return err
	}
	if con.keyStore == nil {
		return ErrNotReady
	}
	id := r.c.Params("id")
	if !apikey.ValidID(id) {
		return apikey.ErrNotFound
	}
	if _, _, err := con.keyStore.Revoke(r.c.UserContext(), id, con.opts.Now()); err != nil {
		return err
	}
	con.deps.Keys.Forget(id)
	con.logger.Info("API key revoked", "key_id", id, "by", r.p.KeyID)
	return r.c.Redirect("/console/admin?msg=keyrevoked", fiber.StatusSeeOther)
}

// saveWebhook sets the KB's webhook (a blank secret keeps the stored one).
func (con *Console) saveWebhook(r *request) error {
	if err := r.requireAdmin(); err != nil {
		return err
	}
	kb, _, err := r.editorKB()
	if err != nil {
		return err
	}
	e, _ := con.engine()
	ctx := r.c.UserContext()
	st, _, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return err
	}
	st.Webhook = answer.Webhook{URL: strings.TrimSpace(r.c.FormValue("url")), Secret: r.c.FormValue("secret")}
	if st.Webhook.URL == "" {
		st.Webhook.Secret = ""
	}
	if _, err := e.Settings.Replace(ctx, st); err != nil {
		return err
	}
	return r.c.Redirect("/console/admin?kb="+urlq(kb)+"&msg=webhook", fiber.StatusSeeOther)
}

// testWebhook sends the KB's webhook one test event.
func (con *Console) testWebhook(r *request) error {
	if err := r.requireAdmin(); err != nil {
		return err
	}
	kb, _, err := r.editorKB()
	if err != nil {
		return err
	}
	e, _ := con.engine()
	if err := e.TestWebhook(r.c.UserContext(), kb); err != nil {
		return err
	}
	return r.c.Redirect("/console/admin?kb="+urlq(kb)+"&msg=webhooktested", fiber.StatusSeeOther)
}

// putSource registers or replaces a help desk's intake source.
func (con *Console) putSource(r *request) error {
	if err := r.allKBsAdmin("managing intake sources"); err != nil {
		return err
	}
	cur, err := con.curator()
	if err != nil {
		return err
	}
	c := r.c
	src := curate.IntakeSource{Name: strings.TrimSpace(c.FormValue("name")), Kind: c.FormValue("kind"),
		KB: strings.TrimSpace(c.FormValue("source_kb")), Secret: c.FormValue("secret")}
	if err := r.p.UseKB(src.KB); err != nil {
		return err
	}
	if _, err := cur.PutSource(c.UserContext(), src); err != nil {
		return err
	}
	return c.Redirect("/console/admin?msg=source", fiber.StatusSeeOther)
}

// deleteSource removes an intake source.
func (con *Console) deleteSource(r *request) error {
	if err := r.allKBsAdmin("managing intake sources"); err != nil {
		return err
	}
	cur, err := con.curator()
	if err != nil {
		return err
	}
	if err := cur.DeleteSource(r.c.UserContext(), r.c.Params("name")); err != nil {
		return err
	}
	return r.c.Redirect("/console/admin?msg=sourcedeleted", fiber.StatusSeeOther)
}
