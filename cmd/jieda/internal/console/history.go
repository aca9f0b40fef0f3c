package console

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
)

// historyView is an article's revisions and a side-by-side diff of two.
type historyView struct {
	KB        string
	KBs       []string
	ID        string
	Revisions []curate.Revision
	From, To  int
	Diff      curate.ArticleDiff
	// Rows pair the answer's lines for the side-by-side view.
	Rows []diffRow
}

// diffRow is one row of a side-by-side diff: the old line, the new one,
// and the kind of change ("=", "-", "+", "~" for a changed pair).
type diffRow struct {
	Old, New string
	Op       string
}

// articleHistory lists an article's revisions and compares two (?from=,
// ?to=; default the latest two).
func (con *Console) articleHistory(r *request) error {
	kb, kbs, err := r.editorKB()
	if err != nil {
		return err
	}
	cur, err := con.curator()
	if err != nil {
		return err
	}
	c := r.c
	ctx := c.UserContext()
	hv := &historyView{KB: kb, KBs: kbs, ID: c.Query("id")}
	if hv.Revisions, err = cur.History.Revisions(ctx, kb, hv.ID); err != nil {
		return err
	}
	hv.To = atoiOr(c.Query("to"), hv.Revisions[0].Version)
	hv.From = hv.To
	for _, rv := range hv.Revisions { // newest first: the one before To
		if rv.Version < hv.To {
			hv.From = rv.Version
			break
		}
	}
	hv.From = atoiOr(c.Query("from"), hv.From)
	from, err := cur.History.Revision(ctx, kb, hv.ID, hv.From)
	if err != nil {
		return err
	}
	to, err := cur.History.Revision(ctx, kb, hv.ID, hv.To)
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
	hv.Diff = curate.Diff(a, b)
	hv.Rows = sideBySide(hv.Diff.AnswerLines)
	return r.render(fiber.StatusOK, "history", r.view("hist.title", "articles", hv))
}

// sideBySide pairs a line diff's removals with the additions that follow.
func sideBySide(ls []curate.DiffLine) []diffRow {
	var rows []diffRow
	for i := 0; i < len(ls); {
		if ls[i].Op == "=" {
			rows = append(rows, diffRow{Old: ls[i].Text, New: ls[i].Text, Op: "="})
			i++
			continue
		}
		var del, add []string
		for ; i < len(ls) && ls[i].Op == "-"; i++ {
			del = append(del, ls[i].Text)
		}
		for ; i < len(ls) && ls[i].Op == "+"; i++ {
			add = append(add, ls[i].Text)
		}
		for j := range max(len(del), len(add)) {
			row := diffRow{Op: "~"}
			switch {
			case j >= len(add):
				row.Old, row.Op = del[j], "-"
			case j >= len(del):
				row.New, row.Op = add[j], "+"
			default:
				row.Old, row.New = del[j], add[j]
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// rollbackArticle writes an earlier version back, with the editor's reason.
func (con *Console) rollbackArticle(r *request) error {
	kb, _, err := r.editorKB()
	if err != nil {
		return err
	}
	cur, err := con.curator()
	if err != nil {
		return err
	}
	e, _ := con.engine()
	c := r.c
	id, reason := c.FormValue("id"), strings.TrimSpace(c.FormValue("reason"))
	if reason == "" {
		return badInput("err.rollback.reason")
	}
	v, err := strconv.Atoi(c.FormValue("version"))
	if err != nil {
		return badInput("err.rollback.version")
	}
	if _, err := cur.History.Rollback(c.UserContext(), e, kb, id, v, r.p.KeyID, reason); err != nil {
		return err
	}
	return c.Redirect("/console/articles/history?kb="+urlq(kb)+"&id="+urlq(id)+"&msg=rolledback", fiber.StatusSeeOther)
}

// atoiOr is s as a positive integer, else def.
func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return n
	}
	return def
}
