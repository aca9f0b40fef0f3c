package console

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
)

// searchLimit is how many articles the search page asks for.
const searchLimit = 20

// searchView is the search page's data.
type searchView struct {
	KBs []string
	// The form: KB, query, category and whether to keep only articles
	// customers are answered from now.
	KB, Q, Category string
	ActiveOnly      bool
	Searched        bool
	Hits            []answer.SearchHit
	// Categories are the categories among the unfiltered hits.
	Categories []string
}

// search is the agents' answer search across their KBs, with highlights.
func (con *Console) search(r *request) error {
	e, err := con.engine()
	if err != nil {
		return err
	}
	c := r.c
	sv := &searchView{Q: strings.TrimSpace(c.Query("q")), KB: c.Query("kb"), Category: c.Query("category"), ActiveOnly: c.Query("active") == "1"}
	if sv.KBs, err = r.kbs(); err != nil {
		return err
	}
	if sv.KB == "" && len(sv.KBs) > 0 {
		sv.KB = sv.KBs[0]
	}
	if sv.Q != "" {
		if err := r.p.UseKB(sv.KB); err != nil {
			return err
		}
		hits, err := e.AgentSearch(c.UserContext(), sv.KB, sv.Q, searchLimit)
		if err != nil {
			return err
		}
		sv.Searched = true
		for _, h := range hits {
			if h.Category != "" && !slices.Contains(sv.Categories, h.Category) {
				sv.Categories = append(sv.Categories, h.Category)
			}
			if (sv.ActiveOnly && !h.Active) || (sv.Category != "" && h.Category != sv.Category) {
				continue
			}
			sv.Hits = append(sv.Hits, h)
		}
		slices.Sort(sv.Categories)
	}
	return r.render(fiber.StatusOK, "search", r.view("search.title", "search", sv))
}
