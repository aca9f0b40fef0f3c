package intake

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

// Resolved-reply file formats.
const (
	FormatJSONL = importfile.FormatJSONL
	FormatCSV   = importfile.FormatCSV
)

// FormatOf guesses a file's format from its extension (.jsonl/.json/.ndjson or .csv).
func FormatOf(path string) (Format, error) { return importfile.FormatOf(path) }

const (
	// maxLineBytes bounds one JSONL line.
	maxLineBytes = 4 << 20
	// maxLineErrors bounds the errors a FileError lists, so that a file in
	// the wrong format does not hold millions of them in memory.
	maxLineErrors = 1000
)

// ReadResolvedFile reads and validates a resolved-reply file, its format
// chosen by extension.
func ReadResolvedFile(path string) ([]Resolved, error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read-only
	return ReadResolved(f, format)
}

// ReadResolved reads every item of r and validates each one. It returns a
// *FileError listing every bad line (with its line number) when any line
// is bad, and no items, so that nothing is imported from a partly valid
// file. Blank lines are skipped. Repeated items are kept: each is one more
// conversation that asked the question; Key tells repeats apart.
func ReadResolved(r io.Reader, format Format) ([]Resolved, error) {
	var items []Resolved
	err := Scan(r, format, func(_ int, item Resolved) error {
		items = append(items, item)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// Scan streams r, calling fn with each valid item and the line it starts
// on, in file order, without holding the file in memory: use it for large
// imports. To resume an interrupted import, return nil from fn for lines
// at or before the last one done (or for items whose Key is already
// stored). Bad lines do not stop the scan: fn is not called for them and
// Scan returns them in a *FileError once r is exhausted. An error from fn
// stops the scan and is returned wrapped with its line number. Read errors
// (and a JSONL line over 4 MiB) stop it too.
func Scan(r io.Reader, format Format, fn func(line int, item Resolved) error) error {
	switch format {
	case FormatJSONL:
		return scanJSONL(r, fn)
	case FormatCSV:
		return scanCSV(r, fn)
	}
	return fmt.Errorf("%w: %q", ErrUnknownFormat, format)
}

func scanJSONL(r io.Reader, fn func(int, Resolved) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	bad := FileError{Limit: maxLineErrors}
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
		item, err := decodeJSONLine(line)
		if err != nil {
			bad.Add(n, err)
			continue
		}
		if err := fn(n, item); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading line %d: %w", n+1, err)
	}
	return bad.Err()
}

func decodeJSONLine(line []byte) (Resolved, error) {
	if !utf8.Valid(line) { // encoding/json would silently replace bad bytes
		return Resolved{}, fmt.Errorf("%w: invalid UTF-8", ErrInvalidResolved)
	}
	var w wireResolved
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&w); err != nil {
		return Resolved{}, fmt.Errorf("%w: malformed JSON: %w", ErrInvalidResolved, err)
	}
	if dec.More() {
		return Resolved{}, fmt.Errorf("%w: more than one JSON value on the line", ErrInvalidResolved)
	}
	item, ferr := w.resolved()
	if err := errors.Join(ferr, item.Validate()); err != nil {
		return Resolved{}, err
	}
	return item, nil
}

// csvColumns are the CSV header names Scan understands (case-insensitive).
// question and reply are required; csat is 1..5; resolved_at is an RFC
// 3339 datetime or a date (YYYY-MM-DD); reusable is true/false (also
// yes/no, 1/0). Empty cells are unset.
var csvColumns = []string{"question", "reply", "agent", "csat", "resolved_at", "ticket", "source", "reusable"}

func scanCSV(r io.Reader, fn func(int, Resolved) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading CSV header: %w", err)
	}
	col, err := csvHeader(header)
	if err != nil {
		return &FileError{Errors: []LineError{{Line: 1, Err: err}}}
	}
	bad := FileError{Limit: maxLineErrors}
	for {
		rec, rerr := cr.Read()
		if errors.Is(rerr, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(rerr, &perr) {
			bad.Add(perr.StartLine, fmt.Errorf("%w: %w", ErrInvalidResolved, perr.Err))
			continue
		}
		if rerr != nil {
			return fmt.Errorf("reading CSV: %w", rerr)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		item, ierr := csvResolved(rec, col)
		if ierr != nil {
			bad.Add(line, ierr)
			continue
		}
		if err := fn(line, item); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
	}
	return bad.Err()
}

// csvHeader maps column names to indexes, reporting every unknown,
// repeated and missing column at once.
func csvHeader(header []string) (map[string]int, error) {
	col := map[string]int{}
	var errs []error
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case !utf8.ValidString(h):
			errs = append(errs, fmt.Errorf("%w: column %d: invalid UTF-8", ErrInvalidResolved, i+1))
		case !known(h):
			errs = append(errs, fmt.Errorf("%w: unknown CSV column %q (known: %s)", ErrInvalidResolved, h, strings.Join(csvColumns, ", ")))
		default:
			if _, dup := col[h]; dup {
				errs = append(errs, fmt.Errorf("%w: CSV column %q repeats", ErrInvalidResolved, h))
			}
			col[h] = i
		}
	}
	for _, need := range []string{"question", "reply"} {
		if _, ok := col[need]; !ok {
			errs = append(errs, fmt.Errorf("%w: CSV header lacks the %q column", ErrInvalidResolved, need))
		}
	}
	return col, errors.Join(errs...)
}

func known(h string) bool {
	for _, c := range csvColumns {
		if c == h {
			return true
		}
	}
	return false
}

func csvResolved(rec []string, col map[string]int) (Resolved, error) {
	get := func(name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for _, f := range rec {
		if !utf8.ValidString(f) {
			return Resolved{}, fmt.Errorf("%w: invalid UTF-8", ErrInvalidResolved)
		}
	}
	item := Resolved{
		Question: get("question"),
		Reply:    get("reply"),
		Agent:    strings.TrimSpace(get("agent")),
		Ticket:   strings.TrimSpace(get("ticket")),
		Source:   strings.TrimSpace(get("source")),
	}
	var errs []error
	var err error
	if item.CSAT, err = parseCSAT(get("csat")); err != nil {
		errs = append(errs, err)
	}
	if item.ResolvedAt, err = parseResolvedAt(get("resolved_at")); err != nil {
		errs = append(errs, err)
	}
	if item.Reusable, err = parseReusable(get("reusable")); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, item.Validate())
	return item, errors.Join(errs...)
}

func parseReusable(s string) (*bool, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	var v bool
	switch s {
	case "":
		return nil, nil
	case "yes", "y":
		v = true
	case "no", "n":
		v = false
	default:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("%w: reusable: %q is not true or false", ErrInvalidResolved, s)
		}
		v = b
	}
	return &v, nil
}
