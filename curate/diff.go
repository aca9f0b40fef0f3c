// Diffs between two versions of a knowledge base article, as editors see
// them when reviewing a revision or a rollback: which fields changed, which
// variant questions came and went, and a line diff of the answer body.

package curate

import (
	"maps"
	"reflect"
	"strings"
	"time"

	"github.com/jieda/jieda/answer"
)

// Fields an ArticleDiff reports, in the order it reports them.
const (
	FieldQuestion  = "question"
	FieldAnswer    = "answer"
	FieldCategory  = "category"
	FieldLocale    = "locale"
	FieldStatus    = "status"
	FieldValidFrom = "valid_from"
	FieldValidTo   = "valid_to"
	FieldScope     = "scope"
	FieldVariants  = "variants"
)

// Diff ops of DiffLine.
const (
	DiffEqual  = "="
	DiffDelete = "-"
	DiffInsert = "+"
)

// maxDiffLines bounds the line diff of an answer: past it (after the common
// first and last lines are set aside) the changed middle is shown as a
// whole replacement instead of a quadratic LCS.
const maxDiffLines = 2000

// FieldChange is one changed field of an article. Before and After are the
// field's values as the article's JSON has them: a string for question,
// answer, category, locale and status; a *time.Time (nil when unset) for
// valid_from and valid_to; a map[string]string (nil when empty) for scope.
type FieldChange struct {
	Field  string `json:"field"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// DiffLine is one line of a line diff: Op is "=" (in both), "-" (only in
// the old text) or "+" (only in the new text).
type DiffLine struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// ArticleDiff is what changed from one version of an article to another.
// Bookkeeping (id, kb, version, timestamps) is not compared.
type ArticleDiff struct {
	// Fields are the changed fields other than the variants, in the order
	// question, answer, category, locale, status, valid_from, valid_to, scope.
	Fields []FieldChange `json:"fields,omitempty"`
	// VariantsAdded are the variants of the new version that the old one
	// lacks, VariantsRemoved the reverse; both compare exact strings as a
	// set (order and duplicates do not count) and keep the order the
	// variants have in their article.
	VariantsAdded   []string `json:"variants_added,omitempty"`
	VariantsRemoved []string `json:"variants_removed,omitempty"`
	// AnswerLines is the line diff of the answer body, every line of both
	// versions in order ("\r\n" read as "\n"); nil when the answer is unchanged.
	AnswerLines []DiffLine `json:"answer_lines,omitempty"`
}

// Empty reports whether the two versions have the same content (variants
// compared as sets).
func (d ArticleDiff) Empty() bool {
	return len(d.Fields) == 0 && len(d.VariantsAdded) == 0 && len(d.VariantsRemoved) == 0
}

// Changed names the changed fields, in the order of Fields, with
// "variants" last when variants were added or removed.
func (d ArticleDiff) Changed() []string {
	var out []string
	for _, f := range d.Fields {
		out = append(out, f.Field)
	}
	if len(d.VariantsAdded) > 0 || len(d.VariantsRemoved) > 0 {
		out = append(out, FieldVariants)
	}
	return out
}

// Diff compares article a (before) with b (after).
func Diff(a, b answer.Article) ArticleDiff {
	var d ArticleDiff
	str := func(field, x, y string) {
		if x != y {
			d.Fields = append(d.Fields, FieldChange{Field: field, Before: x, After: y})
		}
	}
	str(FieldQuestion, a.Question, b.Question)
	str(FieldAnswer, a.Answer, b.Answer)
	str(FieldCategory, a.Category, b.Category)
	str(FieldLocale, a.Locale, b.Locale)
	str(FieldStatus, string(a.Status), string(b.Status))
	for _, f := range []struct {
		field string
		x, y  *time.Time
	}{{FieldValidFrom, a.ValidFrom, b.ValidFrom}, {FieldValidTo, a.ValidTo, b.ValidTo}} {
		if !sameTime(f.x, f.y) {
			d.Fields = append(d.Fields, FieldChange{Field: f.field, Before: f.x, After: f.y})
		}
	}
	if !maps.Equal(a.Scope, b.Scope) {
		d.Fields = append(d.Fields, FieldChange{Field: FieldScope, Before: nilIfEmpty(a.Scope), After: nilIfEmpty(b.Scope)})
	}
	d.VariantsAdded = setMinus(b.Variants, a.Variants)
	d.VariantsRemoved = setMinus(a.Variants, b.Variants)
	if a.Answer != b.Answer {
		d.AnswerLines = DiffLines(a.Answer, b.Answer)
	}
	return d
}

// sameTime reports whether two optional instants are both unset or equal.
func sameTime(x, y *time.Time) bool {
	if x == nil || y == nil {
		return x == nil && y == nil
	}
	return x.Equal(*y)
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// setMinus returns the distinct strings of xs that are not in ys, in the
// order of xs.
func setMinus(xs, ys []string) []string {
	in := make(map[string]bool, len(ys))
	for _, y := range ys {
		in[y] = true
	}
	var out []string
	for _, x := range xs {
		if !in[x] {
			in[x] = true // report each string once
			out = append(out, x)
		}
	}
	return out
}

// DiffLines is a line diff of two texts: the lines common to both (a
// longest common subsequence) as "=", the others as "-" and "+", each run
// of changes with its deletions before its insertions. Texts are split on
// "\n" ("\r\n" read as "\n"); an empty text has no lines. When the changed
// middle of either text exceeds 2,000 lines it is shown as a whole
// replacement.
func DiffLines(a, b string) []DiffLine {
	x, y := splitLines(a), splitLines(b)
	var out []DiffLine
	// Common first and last lines need no LCS.
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	for _, l := range x[:pre] {
		out = append(out, DiffLine{DiffEqual, l})
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	if len(mx) > maxDiffLines || len(my) > maxDiffLines {
		out = appendOps(out, DiffDelete, mx)
		out = appendOps(out, DiffInsert, my)
	} else {
		out = lcsDiff(out, mx, my)
	}
	for _, l := range x[len(x)-suf:] {
		out = append(out, DiffLine{DiffEqual, l})
	}
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

func appendOps(out []DiffLine, op string, lines []string) []DiffLine {
	for _, l := range lines {
		out = append(out, DiffLine{op, l})
	}
	return out
}

// lcsDiff appends the diff of x and y by a longest common subsequence,
// computed by dynamic programming over suffixes (O(len(x)·len(y))).
func lcsDiff(out []DiffLine, x, y []string) []DiffLine {
	n, m := len(x), len(y)
	w := m + 1
	// l[i*w+j] is the LCS length of x[i:] and y[j:].
	l := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				l[i*w+j] = l[(i+1)*w+j+1] + 1
			} else {
				l[i*w+j] = max(l[(i+1)*w+j], l[i*w+j+1])
			}
		}
	}
	var dels, ins []string
	flush := func() {
		out = appendOps(out, DiffDelete, dels)
		out = appendOps(out, DiffInsert, ins)
		dels, ins = dels[:0], ins[:0]
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			flush()
			out = append(out, DiffLine{DiffEqual, x[i]})
			i++
			j++
		case j == m || (i < n && l[(i+1)*w+j] >= l[i*w+j+1]):
			dels = append(dels, x[i])
			i++
		default:
			ins = append(ins, y[j])
			j++
		}
	}
	flush()
	return out
}

// sameArticleContent reports whether two articles have the same content as
// the KB judges it on import: every field but the id's bookkeeping
// (version, creation and update times) equal, variant order included.
func sameArticleContent(a, b answer.Article) bool {
	a.Version, b.Version = 0, 0
	a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	if !sameTime(a.ValidFrom, b.ValidFrom) || !sameTime(a.ValidTo, b.ValidTo) {
		return false
	}
	a.ValidFrom, b.ValidFrom, a.ValidTo, b.ValidTo = nil, nil, nil, nil
	if len(a.Scope) == 0 && len(b.Scope) == 0 {
		a.Scope, b.Scope = nil, nil
	}
	if len(a.Variants) == 0 && len(b.Variants) == 0 {
		a.Variants, b.Variants = nil, nil
	}
	return reflect.DeepEqual(a, b)
}
