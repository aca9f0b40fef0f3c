package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
)

// ImportPath is the console's article upload, which (like the API's
// import) may exceed server.body_limit.
const ImportPath = "/console/articles/import"

// importView is the import page's data: the form, or what an upload did.
type importView struct {
	KB  string
	KBs []string
	// File names the uploaded file; Problems are its invalid lines.
	File     string
	Problems []answer.LineError
	Omitted  int
	Stats    *answer.ImportStats
}

// importForm shows the upload form.
func (con *Console) importForm(r *request) error {
	kb, kbs, err := r.editorKB()
	if err != nil {
		return err
	}
	return r.render(fiber.StatusOK, "import", r.view("imp.title", "articles", &importView{KB: kb, KBs: kbs}))
}

// importArticles validates an uploaded JSONL or CSV file line by line
// and imports it only when every line is valid.
func (con *Console) importArticles(r *request) error {
	kb, kbs, err := r.editorKB()
	if err != nil {
		return err
	}
	e, _ := con.engine()
	c := r.c
	iv := &importView{KB: kb, KBs: kbs}
	fh, err := c.FormFile("file")
	if err != nil {
		return badInput("err.import.nofile")
	}
	iv.File = fh.Filename
	format, err := answer.FormatOf(fh.Filename)
	if err != nil {
		return badInput("err.import.format")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return badInput("err.import.empty")
	}
	arts, err := answer.ReadArticles(bytes.NewReader(raw), format)
	var fe *answer.FileError
	switch {
	case errors.As(err, &fe):
		iv.Problems, iv.Omitted = fe.Errors, fe.Omitted
		return r.render(fiber.StatusBadRequest, "import", r.view("imp.title", "articles", iv))
	case err != nil:
		return badInput("err.import.unreadable")
	}
	var st answer.ImportStats
	// Finished even if the browser gives up: half an import helps nobody.
	ctx := answer.WithChangeInfo(context.WithoutCancel(c.UserContext()), r.changeInfo("import", fh.Filename))
	if err := e.ImportArticles(ctx, kb, arts, &st); err != nil {
		return err
	}
	iv.Stats = &st
	return r.render(fiber.StatusOK, "import", r.view("imp.title", "articles", iv))
}

// exportArticles downloads the KB's articles as JSONL (what import reads).
func (con *Console) exportArticles(r *request) error {
	kb, _, err := r.editorKB()
	if err != nil {
		return err
	}
	e, _ := con.engine()
	c := r.c
	var b bytes.Buffer
	q := answer.ArticleQuery{Limit: 500}
	for {
		page, err := e.Library.ListArticles(c.UserContext(), kb, q)
		if err != nil {
			return err
		}
		for _, a := range page.Articles {
			js, err := json.Marshal(a)
			if err != nil {
				return err
			}
			b.Write(js)
			b.WriteByte('\n')
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	c.Set(fiber.HeaderContentType, "application/x-ndjson; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-articles.jsonl"`, strings.ReplaceAll(kb, `"`, "")))
	return c.Send(b.Bytes())
}
