package importfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]Format{"a.jsonl": FormatJSONL, "b.JSON": FormatJSONL, "c.ndjson": FormatJSONL, "d.csv": FormatCSV} {
		if got, err := FormatOf(path); err != nil || got != want {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := FormatOf("kb.xlsx"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("FormatOf(kb.xlsx) = %v, want ErrUnknownFormat", err)
	}
}

func TestFileErrorLimitAndOrder(t *testing.T) {
	bad := errors.New("bad")
	fe := &FileError{Limit: 2}
	if fe.Err() != nil {
		t.Fatal("an empty FileError is an error")
	}
	for _, line := range []int{9, 3, 5} {
		fe.Add(line, bad)
	}
	SortLineErrors(fe.Errors)
	if diff := cmp.Diff([]int{3, 9}, []int{fe.Errors[0].Line, fe.Errors[1].Line}); diff != "" {
		t.Errorf("kept lines (-want +got):\n%s", diff)
	}
	if fe.Omitted != 1 || !errors.Is(fe.Err(), bad) {
		t.Errorf("omitted %d, errors.Is(bad) %v", fe.Omitted, errors.Is(fe.Err(), bad))
	}
	if msg := fe.Error(); !strings.Contains(msg, "3 invalid line(s)") || !strings.Contains(msg, "line 3: bad") || !strings.Contains(msg, "and 1 more") {
		t.Errorf("message: %q", msg)
	}
}
