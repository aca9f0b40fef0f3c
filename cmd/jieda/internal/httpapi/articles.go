package httpapi

import (
	"bytes"
	"context"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
)

// maxReasonHeader bounds the X-Jieda-Reason header, in characters.
const maxReasonHeader = 1000

// withChangeInfo is ctx carrying who changes articles in this request,
// and why (the X-Jieda-Reason header): revisions and the audit record it.
func withChangeInfo(ctx context.Context, c *fiber.Ctx, action string) (context.Context, error) {
	reason := c.Get("X-Jieda-Reason")
	if !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > maxReasonHeader {
		return nil, errBadRequest("X-Jieda-Reason must be valid UTF-8 of at most %d characters", maxReasonHeader)
	}
	return answer.WithChangeInfo(ctx, answer.ChangeInfo{Author: principalOf(c).KeyID, Action: action, Reason: reason}), nil
}

func (h *handlers) listArticles(c *fiber.Ctx) error {
	e, kb, err := h.engineForKB(c)
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
	page, err := e.Library.ListArticles(c.UserContext(), kb, q)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *handlers) getArticle(c *fiber.Ctx) error {
	e, kb, err := h.engineForKB(c)
	if err != nil {
		return err
	}
	art, err := e.Library.Article(c.UserContext(), kb, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(art)
}

// decodeArticle reads an article body; id, when set (the path's), must
// match the body's id if the body has one.
func decodeArticle(c *fiber.Ctx, id string) (answer.Article, error) {
	var art answer.Article
	if err := decodeJSON(c, &art); err != nil {
		return art, err
	}
	if id != "" {
		if art.ID != "" && art.ID != id {
			return art, errBadRequest("article id %q differs from the path's %q", art.ID, id)
		}
		art.ID = id
	}
	return art, nil
}

// createArticle stores a new article: 201, or 409 when the id exists.
func (h *handlers) createArticle(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbQuery(c)
	if err != nil {
		return err
	}
	art, err := decodeArticle(c, "")
	if err != nil {
		return err
	}
	ctx, err := withChangeInfo(c.UserContext(), c, "create")
	if err != nil {
		return err
	}
	saved, err := e.CreateArticle(ctx, kb, art)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(saved)
}

// putArticle creates (201) or replaces (200) the article :id.
func (h *handlers) putArticle(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbQuery(c)
	if err != nil {
		return err
	}
	art, err := decodeArticle(c, c.Params("id"))
	if err != nil {
		return err
	}
	ctx, err := withChangeInfo(c.UserContext(), c, "edit")
	if err != nil {
		return err
	}
	saved, created, err := e.PutArticle(ctx, kb, art)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(saved)
}

func (h *handlers) deleteArticle(c *fiber.Ctx) error {
	e, kb, err := h.engineForKB(c)
	if err != nil {
		return err
	}
	ctx, err := withChangeInfo(c.UserContext(), c, "delete")
	if err != nil {
		return err
	}
	if err := e.DeleteArticle(ctx, kb, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// importArticles takes a JSONL (application/x-ndjson, application/jsonl)
// or CSV (text/csv) body; every line is validated before anything is written.
func (h *handlers) importArticles(c *fiber.Ctx) error {
	e, err := h.engine()
	if err != nil {
		return err
	}
	kb, err := kbQuery(c)
	if err != nil {
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
	// The import goes on when the client gives up: stopping halfway would leave it half done.
	ctx, err := withChangeInfo(context.WithoutCancel(c.UserContext()), c, "import")
	if err != nil {
		return err
	}
	if err := e.ImportArticles(ctx, kb, arts, &st); err != nil {
		return err
	}
	auditDetail(c, "articles", st.Articles)
	auditDetail(c, "created", st.Created)
	auditDetail(c, "updated", st.Updated)
	return c.JSON(st)
}
