package answer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jieda/jieda/answer/importfile"
)

// Format, LineError and FileError are importfile's: article and
// resolved-reply files share their formats and line-numbered errors.
type (
	Format    = importfile.Format
	LineError = importfile.LineError
	FileError = importfile.FileError
)

// Import file formats.
const (
	FormatJSONL = importfile.FormatJSONL
	FormatCSV   = importfile.FormatCSV
)

// FormatOf guesses a file's format from its extension (.jsonl/.json/.ndjson or .csv).
func FormatOf(path string) (Format, error) { return importfile.FormatOf(path) }

// maxLineBytes bounds one JSONL line.
const maxLineBytes = 4 << 20

// ReadArticlesFile reads and validates an article file, its format chosen by extension.
func ReadArticlesFile(path string) ([]Article, error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read-only
	return ReadArticles(f, format)
}

// ReadArticles reads every article of r and validates each one. It returns
// a *FileError listing every bad line (with its line number) when any line
// is bad, so that nothing is written from a partly valid file. Blank lines
// are skipped; a status left empty becomes published and a version 0 becomes 1.
func ReadArticles(r io.Reader, format Format) ([]Article, error) {
	var (
		arts  []Article
		lines []int
		errs  []LineError
		err   error
	)
	switch format {
	case FormatJSONL:
		arts, lines, errs, err = readJSONL(r)
	case FormatCSV:
		arts, lines, errs, err = readCSV(r)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownFormat, format)
	}
	if err != nil {
		return nil, err
	}
	seen := make(map[string]int, len(arts))
	for i := range arts {
		a := &arts[i]
		if verr := a.Validate(); verr != nil {
			errs = append(errs, LineError{Line: lines[i], Err: verr})
			continue
		}
		if prev, dup := seen[a.ID]; dup {
			errs = append(errs, LineError{Line: lines[i], Err: fmt.Errorf("%w: id %q repeats line %d", ErrInvalidArticle, a.ID, prev)})
			continue
		}
		seen[a.ID] = lines[i]
		a.applyDefaults()
	}
	if len(errs) > 0 {
		importfile.SortLineErrors(errs)
		return nil, &FileError{Errors: errs}
	}
	return arts, nil
}

func readJSONL(r io.Reader) (arts []Article, lines []int, errs []LineError, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\uFEFF"))
		}
		if len(line) == 0 {
			continue
		}
		if !utf8.Valid(line) { // encoding/json would silently replace bad bytes
			errs = append(errs, LineError{Line: n, Err: fmt.Errorf("%w: invalid UTF-8", ErrInvalidArticle)})
			continue
		}
		var a Article
		dec := json.NewDecoder(bytes.NewReader(line))
		if derr := dec.Decode(&a); derr != nil {
			errs = append(errs, LineError{Line: n, Err: fmt.Errorf("%w: malformed JSON: %w", ErrInvalidArticle, derr)})
			continue
		}
		if dec.More() {
			errs = append(errs, LineError{Line: n, Err: fmt.Errorf("%w: more than one JSON value on the line", ErrInvalidArticle)})
			continue
		}
		arts = append(arts, a)
		lines = append(lines, n)
	}
	if serr := sc.Err(); serr != nil {
		return nil, nil, nil, fmt.Errorf("reading line %d: %w", n+1, serr)
	}
	return arts, lines, errs, nil
}

// csvColumns are the CSV header names ReadArticles understands. id,
// question and answer are required; variants are separated by "|" or new
// lines; scope is "key=value" pairs separated by ";"; valid_from/valid_to
// are RFC 3339 datetimes or dates.
var csvColumns = []string{"id", "question", "variants", "answer", "category", "locale", "scope", "status", "valid_from", "valid_to", "review_by"}

func readCSV(r io.Reader) (arts []Article, lines []int, errs []LineError, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		known := false
		for _, c := range csvColumns {
			known = known || c == h
		}
		if !known {
			return nil, nil, nil, fmt.Errorf("line 1: unknown CSV column %q (known: %s)", h, strings.Join(csvColumns, ", "))
		}
		col[h] = i
	}
	for _, need := range []string{"id", "question", "answer"} {
		if _, ok := col[need]; !ok {
			return nil, nil, nil, fmt.Errorf("line 1: CSV header lacks the %q column", need)
		}
	}
	for {
		rec, rerr := cr.Read()
		if errors.Is(rerr, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		var perr *csv.ParseError
		if errors.As(rerr, &perr) {
			errs = append(errs, LineError{Line: perr.StartLine, Err: fmt.Errorf("%w: %w", ErrInvalidArticle, perr.Err)})
			continue
		}
		if rerr != nil {
			return nil, nil, nil, fmt.Errorf("reading CSV: %w", rerr)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		a, aerr := csvArticle(rec, col)
		if aerr != nil {
			errs = append(errs, LineError{Line: line, Err: aerr})
			continue
		}
		arts = append(arts, a)
		lines = append(lines, line)
	}
	return arts, lines, errs, nil
}

func csvArticle(rec []string, col map[string]int) (Article, error) {
	get := func(name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for _, f := range rec {
		if !utf8.ValidString(f) {
			return Article{}, fmt.Errorf("%w: invalid UTF-8", ErrInvalidArticle)
		}
	}
	a := Article{
		ID:       strings.TrimSpace(get("id")),
		Question: get("question"),
		Answer:   get("answer"),
		Category: strings.TrimSpace(get("category")),
		Locale:   strings.TrimSpace(get("locale")),
		Status:   Status(strings.TrimSpace(get("status"))),
	}
	for _, v := range strings.FieldsFunc(get("variants"), func(r rune) bool { return r == '|' || r == '\n' || r == '\r' }) {
		if v = strings.TrimSpace(v); v != "" {
			a.Variants = append(a.Variants, v)
		}
	}
	var errs []error
	if s := strings.TrimSpace(get("scope")); s != "" {
		a.Scope = map[string]string{}
		for _, kv := range strings.Split(s, ";") {
			if kv = strings.TrimSpace(kv); kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				errs = append(errs, fmt.Errorf("%w: scope: %q is not key=value", ErrInvalidArticle, kv))
				continue
			}
			a.Scope[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	for _, f := range []struct {
		name string
		dst  **time.Time
	}{{"valid_from", &a.ValidFrom}, {"valid_to", &a.ValidTo}, {"review_by", &a.ReviewBy}} {
		s := strings.TrimSpace(get(f.name))
		if s == "" {
			continue
		}
		t, perr := parseTime(s)
		if perr != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %q is not an RFC 3339 datetime or a date", ErrInvalidArticle, f.name, s))
			continue
		}
		*f.dst = &t
	}
	return a, errors.Join(errs...)
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if unix, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(unix, 0).UTC(), nil
	}
	return time.Time{}, errors.New("bad time")
}
