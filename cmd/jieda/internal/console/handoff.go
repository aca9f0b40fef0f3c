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
	hv.Sources = append(hv.Sources, sourceOption{"none", r.cat.T("resolve.source.none")})
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
		return con.handoffWithError(r, err, "", "", true)
	}
	return r.c.Redirect("/console/handoffs/"+ho.ID+"?msg="+msg, fiber.StatusSeeOther)
}

// resolve closes the handoff with the agent's reply and its label, and
// hands the reply to curation; back to the queue.
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
	reply, source, reusable := c.FormValue("reply"), c.FormValue("source"), c.FormValue("reusable") == "1"
	if strings.TrimSpace(reply) == "" {
		return con.handoffWithError(r, badInput("err.reply.empty"), reply, source, reusable)
	}
	res := answer.Resolution{Reply: reply, Agent: cmpOr(r.p.Name, r.p.KeyID), By: r.p.KeyID, Reusable: &reusable}
	switch source {
	case "":
	case "none":
		res.NoAnswer = true
	default:
		res.ArticleID = source
	}
	out, err := cur.ResolveHandoff(c.UserContext(), ho.ID, res)
	if err != nil {
		if errors.Is(err, answer.ErrHandoffResolved) {
			return err
		}
		return con.handoffWithError(r, err, reply, source, reusable)
	}
	msg := "resolved"
	if out.CurationErr != nil {
		msg = "resolved_nocuration"
	}
	return c.Redirect("/console/handoffs?msg="+msg, fiber.StatusSeeOther)
}

// handoffWithError shows the handoff page again with what went wrong
// and the agent's reply kept.
func (con *Console) handoffWithError(r *request, cause error, reply, source string, reusable bool) error {
	hv, err := con.handoffData(r)
	if err != nil {
		return errors.Join(cause, err)
	}
	he, fault := humanOf(cause)
	if fault {
		return cause
	}
	hv.Reply, hv.Source, hv.Reusable = reply, source, reusable
	v := r.view("handoff.title", "queue", hv)
	v.Err = &he
	return r.render(he.Status, "handoff", v)
}
