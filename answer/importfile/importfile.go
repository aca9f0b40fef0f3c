package importfile

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// ErrUnknownFormat reports an import file that is neither JSONL nor CSV.
var ErrUnknownFormat = errors.New("unknown file format")

// Format is an import file's format (articles, resolved replies).
type Format string

// Import file formats.
const (
	FormatJSONL Format = "jsonl"
	FormatCSV   Format = "csv"
)

// FormatOf guesses a file's format from its extension (.jsonl/.json/.ndjson or .csv).
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".json", ".ndjson":
		return FormatJSONL, nil
	case ".csv":
		return FormatCSV, nil
	}
	return "", fmt.Errorf("%w: %s (want .jsonl or .csv)", ErrUnknownFormat, path)
}

// LineError is one problem at one line of an import file (lines count from 1).
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e LineError) Unwrap() error { return e.Err }

// FileError lists the problems found in an import file, in line order:
// every one, or the first ones and how many more were Omitted.
type FileError struct {
	Errors  []LineError
	Omitted int
	// Limit, when positive, is the most Errors Add keeps (a file in the
	// wrong format must not hold millions in memory); the rest are counted.
	Limit int
}

// Add records a problem at line (counting it only, past Limit).
func (e *FileError) Add(line int, err error) {
	if e.Limit > 0 && len(e.Errors) >= e.Limit {
		e.Omitted++
		return
	}
	e.Errors = append(e.Errors, LineError{Line: line, Err: err})
}

// Err is e, or nil when it holds no problem.
func (e *FileError) Err() error {
	if len(e.Errors) == 0 && e.Omitted == 0 {
		return nil
	}
	return e
}

func (e *FileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d invalid line(s):", len(e.Errors)+e.Omitted)
	for _, le := range e.Errors {
		b.WriteString("\n  ")
		b.WriteString(le.Error())
	}
	if e.Omitted > 0 {
		fmt.Fprintf(&b, "\n  … and %d more", e.Omitted)
	}
	return b.String()
}

// Unwrap lets errors.Is see each line's error (ErrInvalidArticle, …).
func (e *FileError) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i := range e.Errors {
		errs[i] = e.Errors[i]
	}
	return errs
}

// SortLineErrors orders errs by line, keeping the order of one line's errors.
func SortLineErrors(errs []LineError) {
	for i := 1; i < len(errs); i++ { // insertion sort: stable, lists are short
		for j := i; j > 0 && errs[j].Line < errs[j-1].Line; j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
}
