package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/curate/intake"
)

// curateRoutes registers the review queue (editors) and the help-desk
// intake webhooks (public, authenticated by each source's signature).
func curateRoutes(v1 fiber.Router, auth *authenticator, h *apiHandlers) {
	editor := auth.require(roleEditor)
	v1.Get("/candidates", editor, h.listCandidates)
	v1.Post("/candidates/bulk", editor, h.bulkCandidates)
	v1.Get("/candidates/:id", editor, h.getCandidate)
	v1.Post("/candidates/:id/approve", editor, h.approveCandidate)
	v1.Post("/candidates/:id/reject", editor, h.rejectCandidate)
	v1.Post("/candidates/:id/merge", editor, h.mergeCandidate)
	v1.Post("/intake/:source", h.intakeWebhook)
	v1.Get("/gaps", editor, h.gaps)
	v1.Get("/kbs/:kb/curation", editor, h.getCuration)
	v1.Put("/kbs/:kb/curation", editor, h.putCuration)
}

// curationJSON shows a KB's stored thresholds and the effective ones.
func curationJSON(kb string, stored, defaults curate.Thresholds) fiber.Map {
	return fiber.Map{"kb": kb, "thresholds": stored, "defaults": defaults}
}

func (h *apiHandlers) getCuration(c *fiber.Ctx) error {
	cur, e, err := h.curator()
	if err != nil {
		return err
	}
	kb, err := kbPathParam(c)
	if err != nil {
		return err
	}
	if err := e.KnownKB(c.UserContext(), kb); err != nil {
		return err
	}
	t, err := cur.Thresholds(c.UserContext(), kb)
	if err != nil {
		return err
	}
	return c.JSON(curationJSON(kb, t, cur.Defaults()))
}

func (h *apiHandlers) putCuration(c *fiber.Ctx) error {
	cur, e, err := h.curator()
	if err != nil {
		return err
	}
	kb, err := kbPathParam(c)
	if err != nil {
		return err
	}
	if err := e.KnownKB(c.UserContext(), kb); err != nil {
		return err
	}
	var t curate.Thresholds
	if err := decodeJSON(c, &t); err != nil {
		return err
	}
	if err := cur.SetThresholds(c.UserContext(), kb, t); err != nil {
		return err
	}
	return c.JSON(curationJSON(kb, t, cur.Defaults()))
}

// gaps is the knowledge-gap report: clusters of handed-off and
// low-confidence questions no candidate covers yet.
func (h *apiHandlers) gaps(c *fiber.Ctx) error {
	cur, e, err := h.curator()
	if err != nil {
		return err
	}
	kb, err := kbParam(c, e)
	if err != nil {
		return err
	}
	q := curate.GapQuery{KB: kb}
	if q.Limit, err = intQuery(c, "limit", 20, 1, 200); err != nil {
		return err
	}
	if q.MinCount, err = intQuery(c, "min_count", 2, 1, 1000000); err != nil {
		return err
	}
	now := time.Now()
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if s := c.Query(name); s != "" {
			t, err := parseGapTime(s, now)
			if err != nil {
				return errBadRequest("%s: %v", name, err)
			}
			*dst = t
		}
	}
	rep, err := cur.Gaps(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(rep)
}

// curator returns the curator, or 503 while the model or store is not loaded.
func (h *apiHandlers) curator() (*curate.Curator, *answer.Engine, error) {
	h.comps.mu.RLock()
	defer h.comps.mu.RUnlock()
	if h.comps.curator == nil {
		return nil, nil, errUnavailable("not ready: the model or the store is not loaded (see /readyz)")
	}
	return h.comps.curator, h.comps.answer, nil
}

func (h *apiHandlers) listCandidates(c *fiber.Ctx) error {
	cur, e, err := h.curator()
	if err != nil {
		return err
	}
	kb, err := kbParam(c, e)
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	page, err := cur.List(c.UserContext(), curate.ClusterQuery{KB: kb, Status: c.Query("status"), Sort: c.Query("sort"), Limit: limit, Cursor: c.Query("cursor")})
	if err != nil {
		return err
	}
	return c.JSON(page)
}

// candidateParam loads :id and checks the key may use its KB.
func candidateParam(c *fiber.Ctx, cur *curate.Curator, id string) (*curate.Cluster, error) {
	cl, err := cur.Get(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	if !principalOf(c).mayUseKB(cl.KB) {
		return nil, errNotFound("candidate %s not found", id)
	}
	return cl, nil
}

func (h *apiHandlers) getCandidate(c *fiber.Ctx) error {
	cur, _, err := h.curator()
	if err != nil {
		return err
	}
	cl, err := candidateParam(c, cur, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(cl)
}

func (h *apiHandlers) approveCandidate(c *fiber.Ctx) error {
	cur, _, err := h.curator()
	if err != nil {
		return err
	}
	var ap curate.Approval
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &ap); err != nil {
			return err
		}
	}
	return h.decide(c, cur, c.Params("id"), "approve", ap, "", "")
}

func (h *apiHandlers) rejectCandidate(c *fiber.Ctx) error {
	cur, _, err := h.curator()
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	return h.decide(c, cur, c.Params("id"), "reject", curate.Approval{}, in.Reason, "")
}

func (h *apiHandlers) mergeCandidate(c *fiber.Ctx) error {
	cur, _, err := h.curator()
	if err != nil {
		return err
	}
	var in struct {
		ArticleID string `json:"article_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	return h.decide(c, cur, c.Params("id"), "merge", curate.Approval{}, "", in.ArticleID)
}

// decide runs one review action on one candidate and answers with it.
func (h *apiHandlers) decide(c *fiber.Ctx, cur *curate.Curator, id, action string, ap curate.Approval, reason, articleID string) error {
	cl, err := h.decideOne(c, cur, id, action, ap, reason, articleID)
	if err != nil {
		return err
	}
	return c.JSON(cl)
}

func (h *apiHandlers) decideOne(c *fiber.Ctx, cur *curate.Curator, id, action string, ap curate.Approval, reason, articleID string) (*curate.Cluster, error) {
	if _, err := candidateParam(c, cur, id); err != nil {
		return nil, err
	}
	by := principalOf(c).KeyID
	ctx := c.UserContext()
	switch action {
	case "approve":
		ap.By = by
		return cur.Approve(ctx, id, ap)
	case "reject":
		return cur.Reject(ctx, id, reason, by)
	case "merge":
		return cur.Merge(ctx, id, articleID, by)
	}
	return nil, fmt.Errorf("%w: action %q must be approve, reject or merge", curate.ErrInvalidAction, action)
}

// bulkCandidates applies one action to many candidates; each gets its own result.
func (h *apiHandlers) bulkCandidates(c *fiber.Ctx) error {
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
	if len(in.IDs) == 0 || len(in.IDs) > 500 {
		return errBadRequest("ids: between 1 and 500 candidate ids")
	}
	if in.Action != "approve" && in.Action != "reject" && in.Action != "merge" {
		return errBadRequest("action %q must be approve, reject or merge", in.Action)
	}
	type result struct {
		ID        string          `json:"id"`
		OK        bool            `json:"ok"`
		Candidate *curate.Cluster `json:"candidate,omitempty"`
		Error     *fiber.Map      `json:"error,omitempty"`
	}
	out := make([]result, 0, len(in.IDs))
	for _, id := range in.IDs {
		cl, err := h.decideOne(c, cur, id, in.Action, curate.Approval{}, in.Reason, in.ArticleID)
		if err != nil {
			ae, serverFault := apiErrorOf(err)
			if serverFault {
				return err
			}
			out = append(out, result{ID: id, Error: &fiber.Map{"code": ae.Code, "message": ae.Message}})
			continue
		}
		out = append(out, result{ID: id, OK: true, Candidate: cl})
	}
	return c.JSON(fiber.Map{"results": out})
}

// intakeWebhook takes a resolved conversation from a help desk: the
// source (configured under /v1/admin/intake-sources) names its kind, KB
// and secret; the body must carry a valid signature.
func (h *apiHandlers) intakeWebhook(c *fiber.Ctx) error {
	cur, e, err := h.curator()
	if err != nil {
		return err
	}
	src, err := h.sources.get(c.UserContext(), c.Params("source"))
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == fiber.StatusNotFound {
		return errUnauthorized("invalid or missing webhook signature") // unknown sources look like bad signatures
	}
	if err != nil {
		return err
	}
	body := c.Body()
	var item intake.Resolved
	switch src.Kind {
	case sourceChatwoot:
		if !intake.VerifyChatwootSignature(src.Secret, c.Get("X-Chatwoot-Timestamp"), body, c.Get("X-Chatwoot-Signature")) &&
			!intake.VerifySignature(src.Secret, body, c.Get("X-Jieda-Signature")) {
			return errUnauthorized("invalid or missing webhook signature")
		}
		if ts := c.Get("X-Chatwoot-Timestamp"); ts != "" && !freshTimestamp(ts, time.Now()) {
			return errUnauthorized("stale webhook timestamp (more than %s off): a replay?", maxWebhookSkew)
		}
		item, err = intake.ParseChatwoot(body)
		if errors.Is(err, intake.ErrNotResolved) || errors.Is(err, intake.ErrNoExchange) {
			return c.JSON(fiber.Map{"accepted": false, "reason": err.Error()})
		}
	default:
		if !intake.VerifySignature(src.Secret, body, c.Get("X-Jieda-Signature")) {
			return errUnauthorized("invalid or missing webhook signature")
		}
		item, err = intake.ParseGeneric(body)
	}
	if err != nil {
		return errBadRequest("%v", err)
	}
	item.Source = cmpOr(item.Source, src.Name)
	if err := e.KnownKB(c.UserContext(), src.KB); err != nil {
		return err
	}
	rep, err := cur.Intake(c.UserContext(), src.KB, []intake.Resolved{item}, curate.Source{Name: src.Name})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"accepted": true, "intake": rep})
}

// maxWebhookSkew bounds how old (or early) a signed webhook timestamp may be.
const maxWebhookSkew = 5 * time.Minute

// freshTimestamp reports whether unix-seconds ts is within maxWebhookSkew of now.
func freshTimestamp(ts string, now time.Time) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := now.Sub(time.Unix(sec, 0))
	return d <= maxWebhookSkew && d >= -maxWebhookSkew
}

func cmpOr(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
