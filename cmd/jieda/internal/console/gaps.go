package console

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
)

// gapWindows are the report periods offered, in days.
var gapWindows = []int{1, 7, 30, 90}

// gapsView is the knowledge-gap report's data.
type gapsView struct {
	KB      string
	KBs     []string
	Days    int
	Windows []int
	Min     int
	Report  curate.GapReport
	// Pickers attach a gap's questions to an article (one per gap).
	Pickers []*picker
}

// gaps is the knowledge-gap report: what customers ask that the KB does
// not answer, with counts, trend, examples and the near-miss article.
func (con *Console) gaps(r *request) error {
	kb, kbs, err := r.editorKB()
	if err != nil {
		return err
	}
	cur, err := con.curator()
	if err != nil {
		return err
	}
	e, _ := con.engine()
	c := r.c
	gv := &gapsView{KB: kb, KBs: kbs, Days: c.QueryInt("days", 7), Windows: gapWindows, Min: c.QueryInt("min", 2)}
	if !slices.Contains(gapWindows, gv.Days) {
		return badInput("err.gaps.window")
	}
	until := e.Now()
	q := curate.GapQuery{KB: kb, Since: until.Add(-time.Duration(gv.Days) * 24 * time.Hour), Until: until, MinCount: max(1, gv.Min)}
	if gv.Report, err = cur.Gaps(c.UserContext(), q); err != nil {
		return err
	}
	for i, g := range gv.Report.Gaps {
		near := g.Representative
		if g.NearMiss != nil {
			near = g.NearMiss.Question
		}
		pk, err := r.picker(kb, "article_id", "gap-"+strconv.Itoa(i), near)
		if err != nil {
			return err
		}
		gv.Pickers = append(gv.Pickers, pk)
	}
	return r.render(fiber.StatusOK, "gaps", r.view("gaps.title", "gaps", gv))
}

// attachVariants adds questions (a gap's, the playground's) to an
// article as variants, in one step.
func (con *Console) attachVariants(r *request) error {
	kb, _, err := r.editorKB()
	if err != nil {
		return err
	}
	c := r.c
	id := strings.TrimSpace(c.FormValue("article_id"))
	if id == "" {
		return badInput("err.merge.article")
	}
	var qs []string
	for _, v := range c.Request().PostArgs().PeekMulti("questions") {
		qs = append(qs, lines(string(v))...)
	}
	if len(qs) == 0 {
		return badInput("err.variants.none")
	}
	if err := r.addVariants(kb, id, qs, cmpOr(strings.TrimSpace(c.FormValue("reason")), "knowledge gap")); err != nil {
		return err
	}
	return c.Redirect("/console/articles/edit?kb="+urlq(kb)+"&id="+urlq(id)+"&msg=variants", fiber.StatusSeeOther)
}

// addVariants appends questions an article lacks to its variants.
func (r *request) addVariants(kb, id string, qs []string, reason string) error {
	e, err := r.con.engine()
	if err != nil {
		return err
	}
	ctx := r.c.UserContext()
	a, err := e.Library.Article(ctx, kb, id)
	if err != nil {
		return err
	}
	for _, q := range qs {
		if q != a.Question && !slices.Contains(a.Variants, q) {
			a.Variants = append(a.Variants, q)
		}
	}
	_, _, err = e.PutArticle(answer.WithChangeInfo(ctx, r.changeInfo("edit", reason)), kb, a)
	return err
}
