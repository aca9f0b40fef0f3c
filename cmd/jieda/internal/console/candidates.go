package console

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
)

// candidatesView is the review queue's data.
type candidatesView struct {
	KB     string
	KBs    []string
	Sort   string // impact or recent
	Status string // pending, approved, rejected, merged
	Items  []*curate.Candidate
	Next   string
}

// candidates is the review queue: pending candidates by impact or recency.
func (con *Console) candidates(r *request) error {
	kb, kbs, err := r.editorKB()
	if err != nil {
		return err
	}
	cur, err := con.curator()
	if err != nil {
		return err
	}
	c := r.c
	cv := &candidatesView{KB: kb, KBs: kbs, Sort: cmpOr(c.Query("sort"), "impact"), Status: cmpOr(c.Query("status"), curate.StatusPending)}
	page, err := cur.List(c.UserContext(), curate.CandidateQuery{KB: kb, Status: cv.Status, Sort: cv.Sort, Limit: 50, Cursor: c.Query("cursor")})
	if err != nil {
		return err
	}
	cv.Items, cv.Next = page.Candidates, page.Next
	v := r.view("cand.title", "candidates", cv)
	if cv.Status == curate.StatusPending {
		v.TitleCount = len(cv.Items)
	}
	return r.render(fiber.StatusOK, "candidates", v)
}

// candidateView is one candidate's page: what it is, where it came from,
// the approve/edit/merge/reject forms, and after a decision what the
// KB now answers.
type candidateView struct {
	KB   string
	KBs  []string
	C    *curate.Candidate
	From []curate.ClusterItem
	// Picker chooses the article to merge into or to extend.
	Picker *picker
	// Answers are the member questions asked again after the decision.
	Answers []previewRow
}

// previewRow is a question and what jieda would do with it now.
type previewRow struct {
	Q        string
	Decision answer.Decision
	Article  string
	Conf     float64
	Reason   answer.HandoffReason
}

// candidate shows one candidate.
func (con *Console) candidate(r *request) error {
	cv, err := con.candidateData(r)
	if err != nil {
		return err
	}
	return r.render(fiber.StatusOK, "candidate", r.view("cand.one.title", "candidates", cv))
}

func (con *Console) candidateData(r *request) (*candidateView, error) {
	if err := r.requireEditor(); err != nil {
		return nil, err
	}
	cur, err := con.curator()
	if err != nil {
		return nil, err
	}
	ctx := r.c.UserContext()
	cl, err := cur.Get(ctx, r.c.Params("id"))
	if err != nil {
		return nil, err
	}
	if !r.p.MayUseKB(cl.KB) { // as if absent, as in the API
		return nil, fmt.Errorf("%w: %s", curate.ErrCandidateNotFound, r.c.Params("id"))
	}
	cv := &candidateView{KB: cl.KB, KBs: []string{cl.KB}, C: cl}
	if cv.From, err = cur.ClusterItems(ctx, cl.ID, 20); err != nil {
		return nil, err
	}
	q := cl.ArticleQuestion
	if q == "" {
		q = cl.Representative
	}
	if cv.Picker, err = r.picker(cl.KB, "article_id", "merge-picker", q); err != nil {
		return nil, err
	}
	if cl.Status != curate.StatusPending && cl.Status != curate.StatusRejected {
		if cv.Answers, err = con.previewAll(r, cl.KB, cl.Questions, 10); err != nil {
			return nil, err
		}
	}
	return cv, nil
}

// previewAll asks each question as a customer would, without side effects.
func (con *Console) previewAll(r *request, kb string, qs []string, limit int) ([]previewRow, error) {
	e, err := con.engine()
	if err != nil {
		return nil, err
	}
	var out []previewRow
	for _, q := range qs[:min(len(qs), limit)] {
		resp, _, err := e.Preview(r.c.UserContext(), answer.AskRequest{KB: kb, Question: q})
		if err != nil {
			return nil, err
		}
		row := previewRow{Q: q, Decision: resp.Decision, Conf: resp.Confidence}
		if resp.Answer != nil {
			row.Article = resp.Answer.Question
		}
		if resp.Handoff != nil {
			row.Reason = resp.Handoff.Reason
		}
		out = append(out, row)
	}
	return out, nil
}

// decidedMsg is the flash.* key after each review action.
var decidedMsg = map[string]string{curate.ActionApprove: "approved", curate.ActionReject: "rejected", curate.ActionMerge: "merged"}

// decide applies one review action and shows the candidate again.
func (con *Console) decide(r *request, rv curate.Review) error {
	if _, err := con.candidateData(r); err != nil {
		return err
	}
	cur, _ := con.curator()
	rv.By = r.p.KeyID
	cl, err := cur.Decide(r.c.UserContext(), r.c.Params("id"), rv)
	if err != nil {
		return con.candidateWithError(r, err)
	}
	return r.c.Redirect("/console/candidates/"+url.PathEscape(cl.ID)+"?msg="+decidedMsg[rv.Action], fiber.StatusSeeOther)
}

// candidateWithError shows the candidate's page with what went wrong.
func (con *Console) candidateWithError(r *request, cause error) error {
	he, fault := humanOf(cause)
	if fault {
		return cause
	}
	cv, err := con.candidateData(r)
	if err != nil {
		return cause
	}
	v := r.view("cand.one.title", "candidates", cv)
	v.Err = &he
	return r.render(he.Status, "candidate", v)
}

// approveCandidate approves as suggested, or with the editor's edits.
func (con *Console) approveCandidate(r *request) error {
	c := r.c
	ap := curate.Approval{As: c.FormValue("as"), ArticleID: strings.TrimSpace(c.FormValue("article_id")),
		Question: strings.TrimSpace(c.FormValue("question")), Answer: strings.TrimSpace(c.FormValue("answer")),
		Category: strings.TrimSpace(c.FormValue("category")), Locale: strings.TrimSpace(c.FormValue("locale")),
		Reason: strings.TrimSpace(c.FormValue("reason"))}
	if qs := c.FormValue("questions"); qs != "" {
		ap.Questions = lines(qs)
	}
	return con.decide(r, curate.Review{Action: curate.ActionApprove, Approval: ap})
}

func (con *Console) rejectCandidate(r *request) error {
	reason := strings.TrimSpace(r.c.FormValue("reason"))
	if reason == "" {
		return con.candidateWithError(r, badInput("err.reject.reason"))
	}
	return con.decide(r, curate.Review{Action: curate.ActionReject, Reason: reason})
}

func (con *Console) mergeCandidate(r *request) error {
	id := strings.TrimSpace(r.c.FormValue("article_id"))
	if id == "" {
		return con.candidateWithError(r, badInput("err.merge.article"))
	}
	return con.decide(r, curate.Review{Action: curate.ActionMerge, ArticleID: id})
}

// bulkView previews or reports a bulk action.
type bulkView struct {
	KB      string
	KBs     []string
	Action  string
	Reason  string
	Items   []*curate.Candidate
	Results []curate.DecisionResult
}

// bulkCandidates previews one action on the selected candidates, then
// (confirm=1) applies it and reports each one's outcome.
func (con *Console) bulkCandidates(r *request) error {
	kb, kbs, err := r.editorKB()
	if err != nil {
		return err
	}
	cur, err := con.curator()
	if err != nil {
		return err
	}
	c := r.c
	bv := &bulkView{KB: kb, KBs: kbs, Action: c.FormValue("action"), Reason: strings.TrimSpace(c.FormValue("reason"))}
	var ids []string
	for _, v := range c.Request().PostArgs().PeekMulti("ids") {
		ids = append(ids, string(v))
	}
	if len(ids) == 0 {
		return badInput("err.bulk.none")
	}
	if bv.Action != curate.ActionApprove && bv.Action != curate.ActionReject {
		return badInput("err.bulk.action")
	}
	if bv.Action == curate.ActionReject && bv.Reason == "" {
		return badInput("err.reject.reason")
	}
	if c.FormValue("confirm") != "1" {
		for _, id := range ids {
			cl, err := cur.Get(c.UserContext(), id)
			if err != nil || !r.p.MayUseKB(cl.KB) {
				continue
			}
			bv.Items = append(bv.Items, cl)
		}
		return r.render(fiber.StatusOK, "bulk", r.view("bulk.title", "candidates", bv))
	}
	res, err := cur.DecideMany(c.UserContext(), ids, curate.Review{Action: bv.Action, Reason: bv.Reason, By: r.p.KeyID}, r.p.MayUseKB)
	if err != nil {
		return err
	}
	bv.Results = res
	return r.render(fiber.StatusOK, "bulk", r.view("bulk.title", "candidates", bv))
}

// lines splits text into its non-blank lines, trimmed.
func lines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
