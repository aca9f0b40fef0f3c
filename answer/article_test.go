package answer

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestArticleValidate(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	before := from.Add(-time.Hour)
	good := func() Article {
		return Article{ID: "orders-1", Question: "怎么下单？", Answer: "点「立即购买」。", Status: StatusPublished}
	}
	tests := []struct {
		name   string
		edit   func(*Article)
		errHas string // "" means valid
	}{
		{"valid", func(*Article) {}, ""},
		{"id with question mark", func(a *Article) { a.ID = "faq-7?" }, ""},
		{"empty id", func(a *Article) { a.ID = "" }, "id: \"\": ids are"},
		{"id with space", func(a *Article) { a.ID = "a b" }, "spaces"},
		{"empty question", func(a *Article) { a.Question = "  " }, "question: must not be empty"},
		{"empty answer", func(a *Article) { a.Answer = "" }, "answer: must not be empty"},
		{"invalid utf8 question", func(a *Article) { a.Question = "bad \xff" }, "question: invalid UTF-8"},
		{"invalid utf8 variant", func(a *Article) { a.Variants = []string{"ok", "\xc3"} }, "variants[1]: invalid UTF-8"},
		{"bad status", func(a *Article) { a.Status = "live" }, `status: "live"`},
		{"valid_to before valid_from", func(a *Article) { a.ValidFrom, a.ValidTo = &from, &before }, "valid_to"},
		{"bad kb", func(a *Article) { a.KB = "my kb" }, "kb:"},
		{"bad scope key", func(a *Article) { a.Scope = map[string]string{"a b": "x"} }, "scope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := good()
			tc.edit(&a)
			err := a.Validate()
			if tc.errHas == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errHas) || !errors.Is(err, ErrInvalidArticle) {
				t.Fatalf("Validate = %v, want an ErrInvalidArticle containing %q", err, tc.errHas)
			}
		})
	}
}

func TestArticleValidateReportsAll(t *testing.T) {
	a := Article{ID: "", Question: "", Answer: "", Status: "x"}
	err := a.Validate()
	for _, want := range []string{"id:", "question:", "answer:", "status:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, missing %q", err, want)
		}
	}
}

func TestReadArticlesJSONL(t *testing.T) {
	in := "\uFEFF" + `{"id":"a1","question":"怎么退货","variants":["退货流程"],"answer":"在订单页申请。","category":"returns"}` + "\n" +
		"\n" +
		`{"id":"a2","question":"Where is my parcel?","variants":[],"answer":"Track it in Orders.","category":"shipping","locale":"en","scope":{"store":"s1"},"status":"draft","valid_from":"2026-01-01T00:00:00+08:00","valid_to":"2026-02-01T00:00:00+08:00"}` + "\n"
	arts, err := ReadArticles(strings.NewReader(in), FormatJSONL)
	if err != nil {
		t.Fatalf("ReadArticles: %v", err)
	}
	if len(arts) != 2 {
		t.Fatalf("got %d articles, want 2", len(arts))
	}
	if arts[0].Status != StatusPublished || arts[0].Version != 1 {
		t.Errorf("defaults: status %q version %d, want published 1", arts[0].Status, arts[0].Version)
	}
	want := Article{ID: "a2", Question: "Where is my parcel?", Variants: []string{}, Answer: "Track it in Orders.", Category: "shipping",
		Locale: "en", Scope: map[string]string{"store": "s1"}, Status: StatusDraft, Version: 1}
	got := arts[1]
	if got.ValidFrom == nil || got.ValidTo == nil || got.ValidTo.Sub(*got.ValidFrom) != 31*24*time.Hour {
		t.Fatalf("validity window not read: %v %v", got.ValidFrom, got.ValidTo)
	}
	got.ValidFrom, got.ValidTo = nil, nil
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("article (-want +got):\n%s", d)
	}
}

func TestReadArticlesJSONLErrorsWithLines(t *testing.T) {
	in := strings.Join([]string{
		`{"id":"ok","question":"q","answer":"a"}`,
		`{"id":"no-answer","question":"q","answer":""}`,
		``,
		`{"id":"bad-utf8","question":"q` + "\xff" + `","answer":"a"}`,
		`{not json`,
		`{"id":"ok","question":"q2","answer":"a2"}`,
		`{"id":"st","question":"q","answer":"a","status":"gone"}`,
	}, "\n")
	_, err := ReadArticles(strings.NewReader(in), FormatJSONL)
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want *FileError", err)
	}
	var lines []int
	for _, le := range fe.Errors {
		lines = append(lines, le.Line)
	}
	if d := cmp.Diff([]int{2, 4, 5, 6, 7}, lines); d != "" {
		t.Errorf("error lines (-want +got):\n%s\n%v", d, err)
	}
	for _, want := range []string{"line 2: invalid article: answer", "line 4: invalid article: invalid UTF-8", "line 5:", `line 6: invalid article: id "ok" repeats line 1`, "line 7:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !errors.Is(err, ErrInvalidArticle) {
		t.Errorf("errors.Is(err, ErrInvalidArticle) = false")
	}
}

func TestReadArticlesCSV(t *testing.T) {
	in := "id,question,variants,answer,category,locale,scope,status,valid_from,valid_to\n" +
		"c1,怎么开发票,发票在哪开|能开专票吗,在订单详情申请。,invoices,zh-CN,store=s1;channel=app,published,,\n" +
		"\n" +
		"c2,How do refunds work?,\"refund time\nwhen do I get my money\",\"Refunds take\n3-7 days.\",refunds,en,,,2026-01-01,2026-03-01\n"
	arts, err := ReadArticles(strings.NewReader(in), FormatCSV)
	if err != nil {
		t.Fatalf("ReadArticles: %v", err)
	}
	if len(arts) != 2 {
		t.Fatalf("got %d articles", len(arts))
	}
	if d := cmp.Diff([]string{"发票在哪开", "能开专票吗"}, arts[0].Variants); d != "" {
		t.Errorf("pipe variants (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]string{"store": "s1", "channel": "app"}, arts[0].Scope); d != "" {
		t.Errorf("scope (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"refund time", "when do I get my money"}, arts[1].Variants); d != "" {
		t.Errorf("newline variants (-want +got):\n%s", d)
	}
	if arts[1].Answer != "Refunds take\n3-7 days." || arts[1].ValidFrom == nil || arts[1].ValidTo == nil {
		t.Errorf("article 2 = %+v", arts[1])
	}
}

func TestReadArticlesCSVErrorsWithLines(t *testing.T) {
	in := "id,question,answer,valid_from\n" +
		"c1,q,a,\n" +
		"c2,\"multi\nline\",,\n" + // lines 3-4: empty answer, reported at its first line
		"c3,q,a,not-a-date\n" +
		"c4,q" + "\xfe" + ",a,\n"
	_, err := ReadArticles(strings.NewReader(in), FormatCSV)
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want *FileError", err)
	}
	var lines []int
	for _, le := range fe.Errors {
		lines = append(lines, le.Line)
	}
	if d := cmp.Diff([]int{3, 5, 6}, lines); d != "" {
		t.Errorf("error lines (-want +got):\n%s\n%v", d, err)
	}
	if !strings.Contains(err.Error(), "invalid UTF-8") || !strings.Contains(err.Error(), "valid_from") {
		t.Errorf("error = %v", err)
	}
}

func TestReadArticlesCSVHeader(t *testing.T) {
	if _, err := ReadArticles(strings.NewReader("id,question\nx,y\n"), FormatCSV); err == nil || !strings.Contains(err.Error(), "answer") {
		t.Errorf("missing answer column: err = %v", err)
	}
	if _, err := ReadArticles(strings.NewReader("id,question,answer,colour\n"), FormatCSV); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown column: err = %v", err)
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]Format{"a.jsonl": FormatJSONL, "B.CSV": FormatCSV, "x.ndjson": FormatJSONL} {
		if got, err := FormatOf(path); err != nil || got != want {
			t.Errorf("FormatOf(%q) = %q, %v", path, got, err)
		}
	}
	if _, err := FormatOf("a.txt"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("FormatOf(a.txt) err = %v", err)
	}
}
