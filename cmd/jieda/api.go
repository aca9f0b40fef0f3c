package main

import (
	"bytes"
	"context"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/curate/intake"
)

// answerRoutes registers the answering API: customers ask and give
// feedback; agents search and work handoffs; editors manage articles and
// KB settings.
func answerRoutes(v1 fiber.Router, auth *authenticator, h *apiHandlers) {
	v1.Post("/ask", auth.require(roleCustomer), auth.rateLimit(), h.ask)
	v1.Post("/feedback", auth.require(roleCustomer), auth.rateLimit(), h.feedback)

	agent := auth.require(roleAgent)
	v1.Get("/search", agent, h.search)
	v1.Get("/handoffs", agent, h.listHandoffs)
	v1.Get("/handoffs/:id", agent, h.getHandoff)
	v1.Post("/handoffs/:id/resolve", agent, h.resolveHandoff)

	editor := auth.require(roleEditor)
	v1.Get("/kbs", editor, h.listKBs)
	v1.Get("/kbs/:kb/settings", editor, h.getSettings)
	v1.Put("/kbs/:kb/settings", editor, h.putSettings)
	v1.Get("/articles", editor, h.listArticles)
	v1.Post(strings.TrimPrefix(importPath, "/v1"), editor, h.importArticles)
	v1.Get("/articles/:id", editor, h.getArticle)
	v1.Post("/articles", editor, h.createArticle)
	v1.Put("/articles/:id", editor, h.putArticle)
	v1.Delete("/articles/:id", editor, h.deleteArticle)
	curateRoutes(v1, auth, h)
	historyRoutes(v1, auth, h)
}

type apiHandlers struct {
	comps   *components
	metrics *metrics
	sources *sourceStore
}

// engine returns the answer engine, or 503 while the model or store is not loaded.
func (h *apiHandlers) engine() (*answer.Engine, error) {
	h.comps.mu.RLock()
	defer h.comps.mu.RUnlock()
	if h.comps.answer == nil {
		return nil, errUnavailable("not ready: the model or the store is not loaded (see /readyz)")
	}
	return h.comps.answer, nil
}

// importPath is the one route whose body may exceed server.body_limit.
const importPath = "/v1/articles/import"

// limitBody rejects bodies over n bytes except on the import route (the
// app-wide limit is the larger import limit).
func limitBody(n int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > n && !strings.EqualFold(strings.TrimSuffix(c.Path(), "/"), importPath) {
			return newAPIError(fiber.StatusRequestEntityTooLarge, codeTooLarge, "request body is %d bytes; at most %d are accepted", len(c.Body()), n)
		}
		return c.Next()
	}
}

// kbParam reads the required kb query parameter and checks the key may use it.
func kbParam(c *fiber.Ctx, e *answer.Engine) (string, error) {
	kb := c.Query("kb")
	if kb == "" {
		return "", errBadRequest("query parameter kb is required")
	}
	if err := authorizeKB(c, kb); err != nil {
		return "", err
	}
	if err := e.KnownKB(c.UserContext(), kb); err != nil {
		return "", err
	}
	return kb, nil
}

func (h *apiHandlers) ask(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	var req answer.AskRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.KB == "" {
		return errBadRequest("kb is required")
	}
	if err := authorizeKB(c, req.KB); err != nil {
		return err
	}
	resp, err := e.Ask(c.UserContext(), req)
	if err != nil {
		return err
	}
	h.metrics.decision(resp)
	return c.JSON(resp)
}

func (h *apiHandlers) feedback(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	var in answer.FeedbackInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := principalOf(c)
	ev, err := e.Events.Feedback(c.UserContext(), in, p.mayUseKB)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"answer_id": ev.ID, "recorded": true})
}

// searchHit is one article found for an agent.
type searchHit struct {
	answer.Candidate
	StandardQuestion string `json:"standard_question"`
	Answer           string `json:"answer"`
	// Highlight is the best-matching question, HTML-escaped, with the
	// characters and words it shares with the query in <mark>…</mark>.
	Highlight string `json:"highlight"`
	Active    bool   `json:"active"`
}

func (h *apiHandlers) search(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbParam(c, e)
	if err != nil {
		return err
	}
	q := c.Query("q")
	if err := checkQuestion(q); err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 10, 1, 50)
	if err != nil {
		return err
	}
	cands, err := e.KB.Search(c.UserContext(), kb, q, answer.SearchOptions{Limit: limit})
	if err != nil {
		return err
	}
	norm, _ := e.KB.Normalize(q)
	hits := make([]searchHit, 0, len(cands))
	now := e.Now()
	for _, cd := range cands {
		art, err := e.KB.Article(c.UserContext(), kb, cd.ArticleID)
		if err != nil {
			return err
		}
		hits = append(hits, searchHit{Candidate: cd, StandardQuestion: art.Question, Answer: art.Answer,
			Highlight: highlight(cd.Question, norm, e.KB.Normalize), Active: art.ActiveAt(now)})
	}
	return c.JSON(fiber.Map{"kb": kb, "query": q, "results": hits})
}

// checkQuestion rejects an empty, invalid or huge query string.
func checkQuestion(q string) error {
	switch {
	case strings.TrimSpace(q) == "":
		return errBadRequest("query parameter q is required")
	case !utf8.ValidString(q):
		return errBadRequest("q is not valid UTF-8")
	case utf8.RuneCountInString(q) > answer.DefaultMaxQuestionRunes:
		return errBadRequest("q is longer than %d characters", answer.DefaultMaxQuestionRunes)
	}
	return nil
}

// highlight marks, in text, the runes (CJK) and words (Latin, digits)
// whose normalized form occurs in the normalized query.
func highlight(text, normQuery string, normalize func(string) (string, error)) string {
	var b strings.Builder
	inMark := false
	set := func(on bool) {
		if on != inMark {
			if on {
				b.WriteString("<mark>")
			} else {
				b.WriteString("</mark>")
			}
			inMark = on
		}
	}
	rs := []rune(text)
	for i := 0; i < len(rs); {
		j := i + 1
		if isWordRune(rs[i]) {
			for j < len(rs) && isWordRune(rs[j]) {
				j++
			}
		}
		piece := string(rs[i:j])
		n, _ := normalize(piece)
		match := n != "" && strings.TrimSpace(n) != "" && containsToken(normQuery, n)
		set(match)
		b.WriteString(html.EscapeString(piece))
		i = j
	}
	set(false)
	return b.String()
}

func isWordRune(r rune) bool {
	return r < 0x80 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
}

// containsToken reports whether tok occurs in s (a whole word when Latin).
func containsToken(s, tok string) bool {
	if !isWordRune([]rune(tok)[0]) {
		return strings.Contains(s, tok) && !strings.ContainsAny(tok, " \t")
	}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !isWordRune(r) }) {
		if w == tok {
			return true
		}
	}
	return false
}

func intQuery(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, errBadRequest("%s must be an integer in [%d, %d]", name, lo, hi)
	}
	return n, nil
}

func (h *apiHandlers) listHandoffs(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	q := answer.HandoffQuery{Status: answer.HandoffStatus(c.Query("status")), Cursor: c.Query("cursor")}
	if q.Limit, err = intQuery(c, "limit", 50, 1, 500); err != nil {
		return err
	}
	p := principalOf(c)
	if kb := c.Query("kb"); kb != "" {
		if err := authorizeKB(c, kb); err != nil {
			return err
		}
		q.KBs = []string{kb}
	} else if len(p.KBs) > 0 {
		q.KBs = p.KBs
	}
	page, err := e.Handoffs.List(c.UserContext(), q)
	if err != nil {
		return err
	}
	if page.Handoffs == nil {
		page.Handoffs = []answer.Handoff{}
	}
	return c.JSON(page)
}

// handoffParam loads the :id handoff and checks the key may see its KB.
func handoffParam(c *fiber.Ctx, e *answer.Engine) (answer.Handoff, error) {
	ho, err := e.Handoffs.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return ho, err
	}
	if !principalOf(c).mayUseKB(ho.KB) {
		return ho, errNotFound("handoff %s not found", c.Params("id")) // not this key's KB: as if absent
	}
	return ho, nil
}

func (h *apiHandlers) getHandoff(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	ho, err := handoffParam(c, e)
	if err != nil {
		return err
	}
	return c.JSON(ho)
}

func (h *apiHandlers) resolveHandoff(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	if _, err := handoffParam(c, e); err != nil {
		return err
	}
	var in struct {
		Reply    string `json:"reply"`
		Agent    string `json:"agent"`
		CSAT     *int   `json:"csat"`
		Reusable *bool  `json:"reusable"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	agent := in.Agent
	if agent == "" {
		agent = principalOf(c).KeyID
	}
	ho, err := e.ResolveHandoff(c.UserContext(), c.Params("id"), answer.Resolution{Reply: in.Reply, Agent: agent, CSAT: in.CSAT, Reusable: in.Reusable})
	if err != nil {
		return err
	}
	// The reply becomes a knowledge candidate (or is counted as dropped).
	// The handoff is resolved either way: a failure here is reported, not
	// turned into an error the agent could only retry into a 409.
	out := fiber.Map{"handoff": ho}
	cur, _, err := h.curator()
	if err == nil {
		var rep curate.IntakeReport
		rep, err = cur.Intake(c.UserContext(), ho.KB, []intake.Resolved{{
			Question: ho.Question, Reply: in.Reply, Agent: agent, CSAT: in.CSAT, Reusable: in.Reusable,
			Ticket: "handoff:" + ho.ID, ResolvedAt: ho.Resolution.ResolvedAt,
		}}, curate.Source{Name: "handoff", HandoffID: ho.ID})
		out["curation"] = rep
	}
	if err != nil {
		h.comps.logError("curating a resolved handoff's reply", err)
		out["curation_error"] = "the reply could not be taken in as a knowledge candidate; it can be imported later with jieda import resolved"
		delete(out, "curation")
	}
	return c.JSON(out)
}

func (h *apiHandlers) listKBs(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	names, err := e.Settings.List(c.UserContext())
	if err != nil {
		return err
	}
	p := principalOf(c)
	out := []string{}
	for _, n := range names {
		if p.mayUseKB(n) {
			out = append(out, n)
		}
	}
	return c.JSON(fiber.Map{"kbs": out})
}

// kbPathParam reads :kb and checks the key may use it.
func kbPathParam(c *fiber.Ctx) (string, error) {
	kb := c.Params("kb")
	if err := answer.ValidateID(kb); err != nil {
		return "", errBadRequest("kb: %v", err)
	}
	return kb, authorizeKB(c, kb)
}

// settingsJSON hides the webhook secret.
func settingsJSON(st answer.Settings) fiber.Map {
	secretSet := st.Webhook.Secret != ""
	st.Webhook.Secret = ""
	cal := st.Calibration
	if cal == nil {
		cal = answer.DefaultCalibration()
	}
	return fiber.Map{"settings": st, "webhook_secret_set": secretSet, "effective_calibration": cal}
}

func (h *apiHandlers) getSettings(c *fiber.Ctx) error {
	e, err := h.engine()
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
	st, _, err := e.Settings.Get(c.UserContext(), kb)
	if err != nil {
		return err
	}
	return c.JSON(settingsJSON(st))
}

// putSettings replaces a KB's settings (creating the KB); a webhook
// without a secret keeps the stored secret.
func (h *apiHandlers) putSettings(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbPathParam(c)
	if err != nil {
		return err
	}
	var st answer.Settings
	if err := decodeJSON(c, &st); err != nil {
		return err
	}
	if st.KB != "" && st.KB != kb {
		return errBadRequest("settings.kb %q differs from the path's %q", st.KB, kb)
	}
	st.KB = kb
	old, _, err := e.Settings.Get(c.UserContext(), kb)
	if err != nil {
		return err
	}
	if st.Webhook.Secret == "" && st.Webhook.URL != "" {
		st.Webhook.Secret = old.Webhook.Secret
	}
	if st.Thresholds == (answer.Thresholds{}) {
		st.Thresholds = old.Thresholds
	}
	saved, err := e.Settings.Put(c.UserContext(), st)
	if err != nil {
		return err
	}
	return c.JSON(settingsJSON(saved))
}

func (h *apiHandlers) listArticles(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbParam(c, e)
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	status := answer.Status(c.Query("status"))
	if status != "" && !status.Valid() {
		return errBadRequest("status %q must be draft, published or archived", status)
	}
	q := answer.ArticleQuery{Status: status, Cursor: c.Query("cursor"), Limit: limit}
	if c.QueryBool("review_due") {
		q.ReviewDueAt = e.Now()
	}
	page, err := e.KB.ListArticles(c.UserContext(), kb, q)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *apiHandlers) getArticle(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbParam(c, e)
	if err != nil {
		return err
	}
	art, err := e.KB.Article(c.UserContext(), kb, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(art)
}

// writeArticle validates and upserts one article into kb (which it
// creates); exists says what the caller expects about the id.
func (h *apiHandlers) writeArticle(c *fiber.Ctx, id string, mustBeNew bool) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb := c.Query("kb")
	if kb == "" {
		return errBadRequest("query parameter kb is required")
	}
	if err := authorizeKB(c, kb); err != nil {
		return err
	}
	var art answer.Article
	if err := decodeJSON(c, &art); err != nil {
		return err
	}
	if id != "" {
		if art.ID != "" && art.ID != id {
			return errBadRequest("article id %q differs from the path's %q", art.ID, id)
		}
		art.ID = id
	}
	art.KB = kb
	if err := art.Validate(); err != nil {
		return errBadRequest("%v", err)
	}
	_, getErr := e.KB.Article(c.UserContext(), kb, art.ID)
	exists := getErr == nil
	action := "edit"
	if !exists {
		action = "create"
	}
	ctx := answer.WithChangeInfo(c.UserContext(), answer.ChangeInfo{Author: principalOf(c).KeyID, Action: action, Reason: c.Get("X-Jieda-Reason")})
	if mustBeNew && exists {
		return newAPIError(fiber.StatusConflict, codeConflict, "article %s already exists in %s: PUT /v1/articles/%s to replace it", art.ID, kb, art.ID)
	}
	if err := e.ImportArticles(ctx, kb, []answer.Article{art}, nil); err != nil {
		return err
	}
	saved, err := e.KB.Article(ctx, kb, art.ID)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if !exists {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(saved)
}

func (h *apiHandlers) createArticle(c *fiber.Ctx) error { return h.writeArticle(c, "", true) }
func (h *apiHandlers) putArticle(c *fiber.Ctx) error    { return h.writeArticle(c, c.Params("id"), false) }

func (h *apiHandlers) deleteArticle(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbParam(c, e)
	if err != nil {
		return err
	}
	ctx := answer.WithChangeInfo(c.UserContext(), answer.ChangeInfo{Author: principalOf(c).KeyID, Action: "delete", Reason: c.Get("X-Jieda-Reason")})
	if err := e.DeleteArticle(ctx, kb, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// importArticles takes a JSONL (application/x-ndjson, application/jsonl)
// or CSV (text/csv) body; every line is validated before anything is written.
func (h *apiHandlers) importArticles(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb := c.Query("kb")
	if kb == "" {
		return errBadRequest("query parameter kb is required")
	}
	if err := authorizeKB(c, kb); err != nil {
		return err
	}
	if err := answer.ValidateID(kb); err != nil {
		return errBadRequest("kb: %v", err)
	}
	format := answer.FormatJSONL
	ct := strings.ToLower(string(c.Request().Header.ContentType()))
	switch {
	case strings.HasPrefix(ct, "text/csv"):
		format = answer.FormatCSV
	case ct == "", strings.Contains(ct, "ndjson"), strings.Contains(ct, "jsonl"), strings.HasPrefix(ct, "application/json"):
	default:
		return newAPIError(fiber.StatusUnsupportedMediaType, codeUnsupportedType, "content type %q: send application/x-ndjson (JSONL) or text/csv", ct)
	}
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return errBadRequest("empty import body")
	}
	arts, err := answer.ReadArticles(bytes.NewReader(body), format)
	if err != nil {
		return errBadRequest("%v", err)
	}
	var st answer.ImportStats
	ctx := answer.WithChangeInfo(context.WithoutCancel(c.UserContext()), answer.ChangeInfo{Author: principalOf(c).KeyID, Action: "import", Reason: c.Get("X-Jieda-Reason")})
	if err := e.ImportArticles(ctx, kb, arts, &st); err != nil {
		return err
	}
	return c.JSON(st)
}
