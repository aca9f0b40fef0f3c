package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/curate"
)

func (h *handlers) listCandidates(c *fiber.Ctx) error {
	cur, _, kb, err := h.curatorForKB(c)
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	page, err := cur.List(c.UserContext(), curate.CandidateQuery{KB: kb, Status: c.Query("status"), Sort: c.Query("sort"), Limit: limit, Cursor: c.Query("cursor")})
	if err != nil {
		return err
	}
	return c.JSON(page)
}

// candidateParam loads :id and checks the key may use its KB (as if absent otherwise).
func candidateParam(c *fiber.Ctx, cur *curate.Curator) (*curate.Candidate, error) {
	id := c.Params("id")
	cl, err := cur.Get(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	if !principalOf(c).MayUseKB(cl.KB) {
		return nil, errNotFound("candidate %s not found", id)
	}
	auditKB(c, cl.KB)
	return cl, nil
}

func (h *handlers) getCandidate(c *fiber.Ctx) error {
	cur, _, err := h.curator()
	if err != nil {
		return err
	}
	cl, err := candidateParam(c, cur)
	if err != nil {
		return err
	}
	return c.JSON(cl)
}

// review applies one review action to :id.
func (h *handlers) review(c *fiber.Ctx, r curate.Review) error {
	cur, _, err := h.curator()
	if err != nil {
		return err
	}
	if _, err := candidateParam(c, cur); err != nil {
		return err
	}
	r.By = principalOf(c).KeyID
	cl, err := cur.Decide(c.UserContext(), c.Params("id"), r)
	if err != nil {
		return err
	}
	return c.JSON(cl)
}

func (h *handlers) approveCandidate(c *fiber.Ctx) error {
	r := curate.Review{Action: curate.ActionApprove}
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &r.Approval); err != nil {
			return err
		}
	}
	return h.review(c, r)
}

func (h *handlers) rejectCandidate(c *fiber.Ctx) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	auditDetail(c, "reason", in.Reason)
	return h.review(c, curate.Review{Action: curate.ActionReject, Reason: in.Reason})
}

func (h *handlers) mergeCandidate(c *fiber.Ctx) error {
	var in struct {
		ArticleID string `json:"article_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	auditDetail(c, "article_id", in.ArticleID)
	return h.review(c, curate.Review{Action: curate.ActionMerge, ArticleID: in.ArticleID})
}

// bulkCandidates applies one action to many candidates; each gets its own result.
func (h *handlers) bulkCandidates(c *fiber.Ctx) error {
	cur, _, err := h.curator()
	if err != nil {
		return err
	}
	var in struct {
		Action    string   `json:"action"`
		IDs       []string `json:"ids"`
		Reason    string   `json:"reason"`
		ArticleID string   `json:"article_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := principalOf(c)
	r := curate.Review{Action: in.Action, Reason: in.Reason, ArticleID: in.ArticleID, By: p.KeyID}
	results, err := cur.DecideMany(c.UserContext(), in.IDs, r, p.MayUseKB)
	if err != nil {
		return err
	}
	auditBulk(c, in.Action, results)
	type result struct {
		ID        string            `json:"id"`
		OK        bool              `json:"ok"`
		Candidate *curate.Candidate `json:"candidate,omitempty"`
		Error     *fiber.Map        `json:"error,omitempty"`
	}
	out := make([]result, len(results))
	for i, res := range results {
		out[i] = result{ID: res.ID, OK: res.Err == nil, Candidate: res.Candidate}
		if res.Err != nil {
			ae, _ := apiErrorOf(res.Err)
			out[i].Error = &fiber.Map{"code": ae.Code, "message": ae.Message}
		}
	}
	return c.JSON(fiber.Map{"results": out})
}

// auditBulk records a bulk action's outcome: the ids decided and the KB
// when they all share one.
func auditBulk(c *fiber.Ctx, action string, results []curate.DecisionResult) {
	var done []string
	kbs := map[string]bool{}
	for _, r := range results {
		if r.Err == nil && r.Candidate != nil {
			done = append(done, r.ID)
			kbs[r.Candidate.KB] = true
		}
	}
	auditDetail(c, "action", action)
	auditDetail(c, "decided", done)
	if len(kbs) == 1 {
		for kb := range kbs {
			auditKB(c, kb)
		}
	}
}
