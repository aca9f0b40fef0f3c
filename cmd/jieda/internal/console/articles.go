package console

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
)

// Article list bounds: the list reads at most articleScan articles of a
// KB (filters apply to those) and shows articlePage at a time.
const (
	articleScan = 5000
	articlePage = 100
)

// articlesView is the article list's data.
type articlesView struct {
	KB  string
	KBs []string
	// Filters: text, status, category, locale, review ("due", "expired").
	Q, Status, Category, Locale, Review string
	Items                               []answer.Article
	Categories, Locales                 []string
	Total, Offset, NextOffset           int
	Truncated                           bool
}

// articles lists a KB's articles with filters.
func (con *Console) articles(r *request) error {
	kb, kbs, err := r.editorKB()
	if err != nil {
		return err
	}
	e, _ := con.engine()
	c := r.c
	av := &articlesView{KB: kb, KBs: kbs, Q: strings.TrimSpace(c.Query("q")), Status: c.Query("status"),
		Category: c.Query("category"), Locale: c.Query("locale"), Review: c.Query("review"), Offset: max(0, c.QueryInt("offset"))}
	if av.Status != "" && !answer.Status(av.Status).Valid() {
		return badInput("err.filter.status")
	}
	all, truncated, err := scanArticles(r, e, kb, answer.ArticleQuery{Status: answer.Status(av.Status)})
	if err != nil {
		return err
	}
	av.Truncated = truncated
	now := e.Now()
	q := strings.ToLower(av.Q)
	var hits []answer.Article
	for _, a := range all {
		if a.Category != "" && !slices.Contains(av.Categories, a.Category) {
			av.Categories = append(av.Categories, a.Category)
		}
		if a.Locale != "" && !slices.Contains(av.Locales, a.Locale) {
			av.Locales = append(av.Locales, a.Locale)
		}
		switch {
		case av.Category != "" && a.Category != av.Category,
			av.Locale != "" && a.Locale != av.Locale,
			av.Review == "due" && (a.ReviewBy == nil || a.ReviewBy.After(now)),
			av.Review == "expired" && (a.ValidTo == nil || a.ValidTo.After(now)),
			q != "" && !strings.Contains(strings.ToLower(a.ID+"\n"+a.Question+"\n"+strings.Join(a.Variants, "\n")+"\n"+a.Answer), q):
			continue
		}
		hits = append(hits, a)
	}
	slices.Sort(av.Categories)
	slices.Sort(av.Locales)
	av.Total = len(hits)
	av.Items = hits[min(av.Offset, len(hits)):min(av.Offset+articlePage, len(hits))]
	if av.Offset+articlePage < len(hits) {
		av.NextOffset = av.Offset + articlePage
	}
	return r.render(fiber.StatusOK, "articles", r.view("art.title", "articles", av))
}

// scanArticles reads up to articleScan of kb's articles.
func scanArticles(r *request, e *answer.Engine, kb string, q answer.ArticleQuery) ([]answer.Article, bool, error) {
	var all []answer.Article
	q.Limit = 500
	for {
		page, err := e.Library.ListArticles(r.c.UserContext(), kb, q)
		if err != nil {
			return nil, false, err
		}
		all = append(all, page.Articles...)
		if page.Next == "" {
			return all, false, nil
		}
		if len(all) >= articleScan {
			return all, true, nil
		}
		q.Cursor = page.Next
	}
}

// articleView is the article editor's data.
type articleView struct {
	KB  string
	KBs []string
	A   answer.Article
	New bool
	// The form's text forms of the article's lists and dates.
	Variants, Scope, ValidFrom, ValidTo, ReviewBy string
	Active                                        bool
}

// editArticle shows the editor: an article of the KB (?id=), or a new
// one (no id), prefilled from ?question= and ?variants= (lines).
func (con *Console) editArticle(r *request) error {
	kb, kbs, err := r.editorKB()
	if err != nil {
		return err
	}
	e, _ := con.engine()
	c := r.c
	av := &articleView{KB: kb, KBs: kbs}
	if id := c.Query("id"); id != "" {
		if av.A, err = e.Library.Article(c.UserContext(), kb, id); err != nil {
			return err
		}
		av.Active = av.A.ActiveAt(e.Now())
	} else {
		av.New = true
		av.A = answer.Article{Question: c.Query("question"), Variants: lines(c.Query("variants")), Answer: c.Query("answer"), Status: answer.StatusPublished}
	}
	av.fill()
	return r.render(fiber.StatusOK, "article", r.view("art.edit.title", "articles", av))
}

// fill sets the form's text fields from the article.
func (av *articleView) fill() {
	a := av.A
	av.Variants = strings.Join(a.Variants, "\n")
	var sc []string
	for k, v := range a.Scope {
		sc = append(sc, k+"="+v)
	}
	slices.Sort(sc)
	av.Scope = strings.Join(sc, "\n")
	av.ValidFrom, av.ValidTo = formatLocal(a.ValidFrom), formatLocal(a.ValidTo)
	if a.ReviewBy != nil {
		av.ReviewBy = a.ReviewBy.Local().Format(time.DateOnly)
	}
}

// saveArticle creates or replaces the article from the form; a refused
// article comes back with the editor's input kept.
func (con *Console) saveArticle(r *request) error {
	kb, kbs, err := r.editorKB()
	if err != nil {
		return err
	}
	e, _ := con.engine()
	c := r.c
	av := &articleView{KB: kb, KBs: kbs, New: c.FormValue("new") == "1"}
	a := answer.Article{ID: strings.TrimSpace(c.FormValue("id")), Question: strings.TrimSpace(c.FormValue("question")),
		Variants: lines(c.FormValue("variants")), Answer: strings.TrimSpace(c.FormValue("answer")),
		Category: strings.TrimSpace(c.FormValue("category")), Locale: strings.TrimSpace(c.FormValue("locale")),
		Status: answer.Status(c.FormValue("status"))}
	av.Variants, av.Scope = c.FormValue("variants"), c.FormValue("scope")
	av.ValidFrom, av.ValidTo, av.ReviewBy = c.FormValue("valid_from"), c.FormValue("valid_to"), c.FormValue("review_by")
	av.A = a
	fail := func(cause error) error {
		he, fault := humanOf(cause)
		if fault {
			return cause
		}
		v := r.view("art.edit.title", "articles", av)
		v.Err = &he
		return r.render(he.Status, "article", v)
	}
	for _, l := range lines(av.Scope) {
		k, v, ok := strings.Cut(l, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fail(badInput("err.scope"))
		}
		if a.Scope == nil {
			a.Scope = map[string]string{}
		}
		a.Scope[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if a.ValidFrom, err = parseLocal(av.ValidFrom, "2006-01-02T15:04"); err != nil {
		return fail(err)
	}
	if a.ValidTo, err = parseLocal(av.ValidTo, "2006-01-02T15:04"); err != nil {
		return fail(err)
	}
	if a.ReviewBy, err = parseLocal(av.ReviewBy, time.DateOnly); err != nil {
		return fail(err)
	}
	if av.New && a.ID == "" {
		tok, err := randomToken()
		if err != nil {
			return err
		}
		a.ID = "art-" + strings.ToLower(tok[:10])
	}
	av.A = a
	ctx := answer.WithChangeInfo(c.UserContext(), r.changeInfo("edit", strings.TrimSpace(c.FormValue("reason"))))
	var saved answer.Article
	if av.New {
		ctx = answer.WithChangeInfo(c.UserContext(), r.changeInfo("create", strings.TrimSpace(c.FormValue("reason"))))
		saved, err = e.CreateArticle(ctx, kb, a)
	} else {
		saved, _, err = e.PutArticle(ctx, kb, a)
	}
	if err != nil {
		return fail(err)
	}
	return c.Redirect("/console/articles/edit?kb="+urlq(kb)+"&id="+urlq(saved.ID)+"&msg=saved", fiber.StatusSeeOther)
}

// formatLocal is t for a datetime-local input.
func formatLocal(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Local().Format("2006-01-02T15:04")
}

// parseLocal reads a date or datetime-local input in the server's zone; "" is nil.
func parseLocal(s, layout string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation(layout, s, time.Local)
	if err != nil {
		return nil, badInput("err.date")
	}
	return &t, nil
}

// urlq escapes a query value.
func urlq(s string) string { return url.QueryEscape(s) }
