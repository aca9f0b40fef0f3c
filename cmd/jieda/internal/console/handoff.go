package console

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
)

// suggestions is how many suggested answers a handoff page shows.
const suggestions = 5

// handoffView is the handoff page's data.
type handoffView struct {
	H answer.Handoff
	// Suggestions are the agents' search for the customer's question.
	Suggestions []answer.SearchHit
	// SuggestErr says why there are none, when the search failed.
	SuggestErr *humanError
	// PastReplies are agents' replies to similar questions (review candidates).
	PastReplies []curate.PastReply
	// The resolve form: the reply, where it came from ("", an article id,
	// or "none": the KB had no answer), and whether it may become knowledge.
	Reply, Source string
	Reusable      bool
	Sources       []sourceOption
	// Claim state for the signed-in key.
	ClaimMine, ClaimOther bool
	// jieda's suggestion (H.Suggested, open handoffs): Rejected says the
	// agent rejected it; SuggestedGone that its article no longer exists;
	// SuggestedNow is its article's version when it changed since.
	Rejected      bool
	SuggestedGone bool
	SuggestedNow  int
}

// sourceOption is one choice of where a reply came from.
type sourceOption struct{ Value, Label string }

// handoffParam loads :id; a handoff of a KB the key may not use is as if
// absent, as in the API.
func (r *request) handoffParam(e *answer.Engine) (answer.Handoff, error) {
	ho, err := e.Handoffs.Get(r.c.UserContext(), r.c.Params("id"))
	if err != nil {
		return ho, err
	}
	if !r.p.MayUseKB(ho.KB) {
		return ho, fmt.Errorf("%w: %s", answer.ErrHandoffNotFound, r.c.Params("id"))
	}
	return ho, nil
}

// handoff shows one handoff: the conversation, jieda's candidates and
// reason, suggested answers, the claim and the resolve form.
func (con *Console) handoff(r *request) error {
	hv, err := con.handoffData(r)
	if err != nil {
		return err
	}
	if r.c.Query("suggestion") == suggestReject {
		hv.rejectSuggestion()
	}
	if use := r.c.Query("use"); use != "" {
		for _, s := range hv.Suggestions {
			if s.ArticleID == use {
				hv.Reply, hv.Source = s.Answer, s.ArticleID
			}
		}
		for _, p := range hv.PastReplies {
			if "reply:"+p.CandidateID == use {
				hv.Reply, hv.Source = p.Reply, ""
			}
		}
	}
	return r.render(fiber.StatusOK, "handoff", r.view("handoff.title", "queue", hv))
}

// handoffData loads the handoff and its suggestions.
func (con *Console) handoffData(r *request) (*handoffView, error) {
	e, err := con.engine()
	if err != nil {
		return nil, err
	}
	ho, err := r.handoffParam(e)
	if err != nil {
		return nil, err
	}
	hv := &handoffView{H: ho, Reusable: true}
	now := r.now()
	if ho.Claim.ActiveAt(now) {
		hv.ClaimMine, hv.ClaimOther = ho.Claim.Owner == r.p.KeyID, ho.Claim.Owner != r.p.KeyID
	}
	if ho.Status == answer.HandoffOpen {
		hits, err := e.AgentSearch(r.c.UserContext(), ho.KB, ho.Question, suggestions)
		if err != nil {
			he, _ := humanOf(err)
			hv.SuggestErr = &he
		}
		hv.Suggestions = hits
		if cur := con.deps.Curator; cur != nil {
			if hv.PastReplies, err = cur.PastReplies(r.c.UserContext(), ho.KB, ho.Question, 3); err != nil {
				return nil, err
			}
		}
	}
	hv.Sources = []sourceOption{{"", r.cat.T("resolve.source.unsaid")}}
	seen := map[string]bool{}
	if s := ho.Suggested; s != nil && ho.Status == answer.HandoffOpen {
		if err := suggestedState(r, e, hv); err != nil {
			return nil, err
		}
		seen[s.ArticleID] = true // a deleted one is no source either
		if !hv.SuggestedGone {
			hv.Sources = append(hv.Sources, sourceOption{s.ArticleID, r.cat.T("resolve.source.suggested", s.Question)})
		}
	}
	for _, s := range hv.Suggestions {
		if !seen[s.ArticleID] {
			seen[s.ArticleID] = true
			hv.Sources = append(hv.Sources, sourceOption{s.ArticleID, r.cat.T("resolve.source.article", s.StandardQuestion)})
		}
	}
	for _, c := range ho.Candidates {
		if !seen[c.ArticleID] {
			seen[c.ArticleID] = true
			hv.Sources = append(hv.Sources, sourceOption{c.ArticleID, r.cat.T("resolve.source.article", c.Question)})
		}
	}
	hv.Sources = append(hv.Sources, sourceOption{sourceNone, r.cat.T("resolve.source.none")})
	return hv, nil
}

// claim takes the handoff for the signed-in key (or renews its claim).
func (con *Console) claim(r *request) error {
	return con.claimAction(r, func(e *answer.Engine, id string) error {
		_, err := e.Handoffs.Claim(r.c.UserContext(), id, r.p.KeyID, r.p.Name, 0)
		return err
	}, "claimed")
}

// release gives the handoff back to the queue.
func (con *Console) release(r *request) error {
	return con.claimAction(r, func(e *answer.Engine, id string) error {
		_, err := e.Handoffs.Release(r.c.UserContext(), id, r.p.KeyID)
		return err
	}, "released")
}

func (con *Console) claimAction(r *request, act func(*answer.Engine, string) error, msg string) error {
	e, err := con.engine()
	if err != nil {
		return err
	}
	ho, err := r.handoffParam(e)
	if err != nil {
		return err
	}
	if err := act(e, ho.ID); err != nil {
		return con.handoffWithError(r, err, nil)
	}
	return r.c.Redirect("/console/handoffs/"+ho.ID+"?msg="+msg, fiber.StatusSeeOther)
}

// resolve closes the handoff with the agent's reply and its label (and
// the verdict on jieda's suggestion, read from what the agent sends),
// and hands the reply to curation; back to the queue.
func (con *Console) resolve(r *request) error {
	cur, err := con.curator()
	if err != nil {
		return err
	}
	e, _ := con.engine()
	c := r.c
	ho, err := r.handoffParam(e)
	if err != nil {
		return err
	}
	f := resolveForm{Reply: c.FormValue("reply"), Source: c.FormValue("source"), Reusable: c.FormValue("reusable") == "1",
		Rejected: c.FormValue("suggestion") == suggestReject}
	if c.FormValue("suggestion") == suggestAccept {
		// One click: jieda's answer as suggested, from its article; the
		// KB's own answer may become a variant of it (reusable).
		if ho.Suggested == nil {
			return con.handoffWithError(r, badInput("err.suggestion.none"), nil)
		}
		f = resolveForm{Reply: ho.Suggested.Answer, Source: ho.Suggested.ArticleID, Reusable: true}
	}
	if strings.TrimSpace(f.Reply) == "" {
		return con.handoffWithError(r, badInput("err.reply.empty"), &f)
	}
	res, err := resolution(ho, f)
	if err != nil {
		return con.handoffWithError(r, err, &f)
	}
	res.Agent, res.By = cmpOr(r.p.Name, r.p.KeyID), r.p.KeyID
	out, err := cur.ResolveHandoff(c.UserContext(), ho.ID, res)
	if err != nil {
		if errors.Is(err, answer.ErrHandoffResolved) {
			return err
		}
		return con.handoffWithError(r, err, &f)
	}
	msg := "resolved"
	switch {
	case out.CurationErr != nil:
		msg = "resolved_nocuration"
	case res.Suggestion == answer.SuggestionAccepted:
		msg = "accepted"
	}
	return c.Redirect("/console/handoffs?msg="+msg, fiber.StatusSeeOther)
}

// handoffWithError shows the handoff page again with what went wrong
// and the agent's form kept (nil: the page's own defaults).
func (con *Console) handoffWithError(r *request, cause error, f *resolveForm) error {
	hv, err := con.handoffData(r)
	if err != nil {
		return errors.Join(cause, err)
	}
	he, fault := humanOf(cause)
	if fault {
		return cause
	}
	if f != nil {
		if f.Rejected {
			hv.rejectSuggestion()
		}
		hv.Reply, hv.Source, hv.Reusable = f.Reply, f.Source, f.Reusable
	}
	v := r.view("handoff.title", "queue", hv)
	v.Err = &he
	return r.render(he.Status, "handoff", v)
}
