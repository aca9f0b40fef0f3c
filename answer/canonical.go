package answer

import (
	"strings"
	"unicode"

	"github.com/jieda/jieda/embed"
)

// CanonicalQuestion is a question as retrieval and the decision read it:
// punctuation and spaces at either end trimmed, and the spaces between
// two CJK characters dropped ("运费 怎么算？" reads as "运费怎么算"). Full-
// and half-width forms are folded later by normalization (NFKC), so
// punctuation, width and spacing never change a decision. A question that
// is nothing but punctuation is returned as it came.
func CanonicalQuestion(q string) string {
	t := strings.TrimFunc(q, trimmable)
	if t == "" {
		return q
	}
	if !strings.ContainsFunc(t, unicode.IsSpace) {
		return t
	}
	rs := []rune(t)
	var b strings.Builder
	b.Grow(len(t))
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if !unicode.IsSpace(r) {
			b.WriteRune(r)
			continue
		}
		j := i
		for j < len(rs) && unicode.IsSpace(rs[j]) {
			j++
		}
		// i > 0 and j < len(rs): the trimmed text neither starts nor ends with a space
		if !isCJK(rs[i-1]) || !isCJK(rs[j]) {
			b.WriteByte(' ')
		}
		i = j - 1
	}
	return b.String()
}

// trimmable is what CanonicalQuestion trims off the ends: spaces,
// punctuation and the symbols people end questions with (~ ～ …).
func trimmable(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsPunct(r) || r == '~' || r == '～' || unicode.Is(unicode.Sk, r)
}

// matchKey is the form two questions are compared in for an exact match:
// normalized, then without punctuation and spaces anywhere.
func matchKey(q string) string {
	n, err := embed.Normalize(q)
	if err != nil {
		return ""
	}
	return strings.Map(func(r rune) rune {
		if trimmable(r) {
			return -1
		}
		return r
	}, n)
}
