package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// view is the text the detectors read: full-width ASCII forms folded to
// ASCII (so "１３８…" and "＠" match like "138…" and "@"), odd spaces to
// ' ', dashes to '-', and each run of invalid bytes to one U+FFFD. Offsets map back to the
// original text.
type view struct {
	s   string
	off []int // off[i] is the original offset of view byte i; nil: identity
}

func (v *view) orig(i int) int {
	if v.off == nil {
		return i
	}
	return v.off[i]
}

func newView(t string) view {
	if !needsFold(t) {
		return view{s: t}
	}
	var b strings.Builder
	b.Grow(len(t))
	off := make([]int, 0, len(t)+1)
	for i := 0; i < len(t); {
		r, size := utf8.DecodeRuneInString(t[i:])
		if r == utf8.RuneError && size == 1 {
			// A run of invalid bytes is one U+FFFD, as strings.ToValidUTF8
			// writes it in the output.
			for i+size < len(t) {
				r2, s2 := utf8.DecodeRuneInString(t[i+size:])
				if r2 != utf8.RuneError || s2 != 1 {
					break
				}
				size++
			}
		} else if f, ok := foldRune(r); ok {
			r = f
		}
		n := b.Len()
		b.WriteRune(r) // an invalid byte decodes as RuneError and is written as U+FFFD
		for k := n; k < b.Len(); k++ {
			off = append(off, i)
		}
		i += size
	}
	off = append(off, len(t))
	return view{s: b.String(), off: off}
}

func needsFold(t string) bool {
	for i := 0; i < len(t); {
		if t[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(t[i:])
		if r == utf8.RuneError && size == 1 {
			return true
		}
		if _, ok := foldRune(r); ok {
			return true
		}
		i += size
	}
	return false
}

func foldRune(r rune) (rune, bool) {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		return r - 0xFEE0, true
	case r == 0x3000, r == 0x00A0, r == 0x2007, r == 0x202F, r == 0x2009:
		return ' ', true
	case r >= 0x2010 && r <= 0x2015, r == 0x2212, r == 0xFE63:
		return '-', true
	case r == 0xFE6B:
		return '@', true
	}
	return r, false
}

func isDigit(c byte) bool       { return c >= '0' && c <= '9' }
func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool       { return isDigit(c) || isASCIILetter(c) }
func isHan(r rune) bool         { return r >= 0x2E80 && unicode.Is(unicode.Han, r) }

func isSubstantive(r rune) bool {
	return r < utf8.RuneSelf && isAlnum(byte(r)) || isHan(r) || r >= utf8.RuneSelf && unicode.IsLetter(r)
}

func allHan(s string) bool {
	for _, r := range s {
		if !isHan(r) {
			return false
		}
	}
	return s != ""
}

// wordBefore reports whether the byte before i glues a match to something:
// an ASCII letter or digit, or the closing brace of a placeholder (so
// scrubbed text never scans looser than the original did).
func wordBefore(s string, i int) bool {
	if i <= 0 {
		return false
	}
	c := s[i-1]
	return isAlnum(c) || c == '}' || c == '_'
}

// wordAfter is wordBefore for the byte at i.
func wordAfter(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	c := s[i]
	return isAlnum(c) || c == '{' || c == '_'
}

// runeBefore returns the rune ending at i and its size (0 at the start).
func runeBefore(s string, i int) (rune, int) {
	if i <= 0 {
		return 0, 0
	}
	return utf8.DecodeLastRuneInString(s[:i])
}

// runeAt returns the rune starting at i and its size (0 at the end).
func runeAt(s string, i int) (rune, int) {
	if i >= len(s) {
		return 0, 0
	}
	return utf8.DecodeRuneInString(s[i:])
}
