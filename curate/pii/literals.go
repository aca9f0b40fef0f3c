package pii

import (
	"sort"
	"strings"
)

// literalSet finds fixed strings in a text without a regexp: words are
// bucketed by a hash of their first character (first two bytes for ASCII),
// so a scan costs one table lookup per character plus a comparison where a
// bucket is not empty.
type literalSet struct {
	buckets [1024][]string
	single  [256][]string // one-byte words
}

func newLiteralSet(words ...string) *literalSet {
	l := &literalSet{}
	sorted := append([]string(nil), words...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) }) // longest first
	for _, w := range sorted {
		if len(w) == 1 {
			l.single[w[0]] = append(l.single[w[0]], w)
			continue
		}
		h := hashAt(w, 0)
		l.buckets[h] = append(l.buckets[h], w)
	}
	return l
}

// hashAt hashes the first character at i (two bytes for ASCII, three for
// a multi-byte character); -1 if the text is too short.
func hashAt(s string, i int) int {
	if s[i] < 0x80 {
		if i+1 >= len(s) {
			return -1
		}
		return (int(s[i])*37 + int(s[i+1])) & 1023
	}
	if i+2 >= len(s) {
		return -1
	}
	return (int(s[i])*1369 + int(s[i+1])*37 + int(s[i+2])) & 1023
}

// at returns the longest word that starts at i, or "".
func (l *literalSet) at(s string, i int) string {
	if h := hashAt(s, i); h >= 0 {
		for _, w := range l.buckets[h] {
			if strings.HasPrefix(s[i:], w) {
				return w
			}
		}
	}
	if ws := l.single[s[i]]; ws != nil {
		return ws[0]
	}
	return ""
}

// each calls fn for every leftmost-longest, non-overlapping occurrence.
func (l *literalSet) each(s string, fn func(i int, w string)) {
	for i := 0; i < len(s); i++ {
		if s[i]&0xC0 == 0x80 {
			continue // inside a character
		}
		if w := l.at(s, i); w != "" {
			fn(i, w)
			i += len(w) - 1
		}
	}
}
