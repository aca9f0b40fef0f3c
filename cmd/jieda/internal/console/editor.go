package console

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
)

// editorRoutes are the editors' workspace (role editor or above, scoped
// to the key's KBs) and the administration (admin keys).
func (con *Console) editorRoutes(g fiber.Router) {
	g.Get("/candidates", con.page(con.candidates))
	g.Post("/candidates/bulk", con.page(con.bulkCandidates))
	g.Get("/candidates/:id", con.page(con.candidate))
	g.Post("/candidates/:id/approve", con.page(con.approveCandidate))
	g.Post("/candidates/:id/reject", con.page(con.rejectCandidate))
	g.Post("/candidates/:id/merge", con.page(con.mergeCandidate))
	g.Get("/articles", con.page(con.articles))
	g.Get("/articles/pick", con.page(con.pickArticle))
	g.Get("/articles/export", con.page(con.exportArticles))
	g.Get("/articles/import", con.page(con.importForm))
	g.Post("/articles/import", con.page(con.importArticles))
	g.Get("/articles/edit", con.page(con.editArticle))
	g.Post("/articles/edit", con.page(con.saveArticle))
	g.Get("/articles/history", con.page(con.articleHistory))
	g.Post("/articles/rollback", con.page(con.rollbackArticle))
	g.Get("/gaps", con.page(con.gaps))
	g.Post("/gaps/attach", con.page(con.attachVariants))
	g.Get("/playground", con.page(con.playground))
	g.Post("/playground/variant", con.page(con.addVariant))
	g.Get("/calibration", con.page(con.calibration))
	g.Post("/calibration", con.page(con.setThreshold))
	g.Get("/insights", con.page(con.insights))
	con.adminRoutes(g)
}

// requireEditor refuses agents on an editor's page, with the API's check.
func (r *request) requireEditor() error { return r.p.Require(apikey.RoleEditor) }

// editorKB checks the key is an editor's and picks the page's KB: ?kb= (or
// the form's kb), else the first the key may use; it must exist.
func (r *request) editorKB() (string, []string, error) {
	if err := r.requireEditor(); err != nil {
		return "", nil, err
	}
	kbs, err := r.kbs()
	if err != nil {
		return "", nil, err
	}
	kb := strings.TrimSpace(r.c.FormValue("kb"))
	if kb == "" {
		if len(kbs) == 0 {
			return "", kbs, badInput("err.nokbs")
		}
		kb = kbs[0]
	}
	if err := r.p.UseKB(kb); err != nil {
		return "", nil, err
	}
	e, err := r.con.engine()
	if err != nil {
		return "", nil, err
	}
	return kb, kbs, e.KnownKB(r.c.UserContext(), kb)
}

// changeCtx carries who changes articles in this request, and why, to
// the revision history and the audit.
func (r *request) changeInfo(action, reason string) answer.ChangeInfo {
	return answer.ChangeInfo{Author: r.p.KeyID, Action: action, Reason: reason}
}

// picker is a searchable article picker: radio buttons named Name for
// the articles matching Q (htmx reloads them as the editor types).
type picker struct {
	*catalog
	KB, Name, ID, Q string
	Hits            []answer.SearchHit
}

// picker searches kb for q to fill a picker.
func (r *request) picker(kb, name, id, q string) (*picker, error) {
	pk := &picker{catalog: r.cat, KB: kb, Name: name, ID: id, Q: strings.TrimSpace(q)}
	if pk.Q == "" {
		return pk, nil
	}
	e, err := r.con.engine()
	if err != nil {
		return nil, err
	}
	pk.Hits, err = e.AgentSearch(r.c.UserContext(), kb, pk.Q, 8)
	return pk, err
}

// pickArticle is the picker's options for ?q= (an htmx partial).
func (con *Console) pickArticle(r *request) error {
	kb, _, err := r.editorKB()
	if err != nil {
		return err
	}
	pk, err := r.picker(kb, cmpOr(r.c.Query("name"), "article_id"), "", r.c.Query("q"))
	if err != nil {
		return err
	}
	return r.fragment(fiber.StatusOK, "error", "picklist", pk)
}
