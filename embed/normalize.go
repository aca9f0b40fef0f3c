package embed

import (
	"fmt"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

//go:generate go run ./internal/t2sgen

// DefaultMaxRunes is the normalizer's default length limit in characters.
const DefaultMaxRunes = 4096

// Normalizer maps text to the canonical form that is embedded, indexed and
// matched. The same normalization must run at index and at query time.
//
// In order it:
//   - rejects invalid UTF-8 (ErrInvalidUTF8);
//   - applies NFKC: full-width letters, digits and punctuation become
//     half-width, compatibility forms are unfolded;
//   - converts traditional Chinese (and Taiwan/Hong Kong variant characters)
//     to simplified with a complete character table derived from OpenCC,
//     then rewrites a few OpenCC phrases the table alone gets wrong
//     (回覆 → 回复, 瞭解 → 了解, 項鍊 → 项链);
//   - lowercases;
//   - turns every run of Unicode whitespace (newlines included) into one
//     ASCII space, trims both ends and drops control and format characters
//     (zero-width space, BOM, soft hyphen …);
//   - truncates to MaxRunes characters.
//
// Normalization is idempotent: normalizing its own output changes nothing.
// The zero value is ready to use; a Normalizer is safe for concurrent use.
type Normalizer struct {
	// MaxRunes caps the length of the result in characters (embed.max_runes);
	// longer text is truncated, which is not an error. 0 or less means
	// DefaultMaxRunes (4096).
	MaxRunes int
}

// Normalize normalizes s with the default Normalizer; see Normalizer.
func Normalize(s string) (string, error) { return Normalizer{}.Normalize(s) }

// Normalize returns the normalized form of s. It fails only on invalid UTF-8
// (an error wrapping ErrInvalidUTF8); text that normalizes to nothing is
// returned as "" with a nil error and callers decide (see ErrEmptyText).
func (n Normalizer) Normalize(s string) (string, error) {
	limit := n.MaxRunes
	if limit <= 0 {
		limit = DefaultMaxRunes
	}
	if i := asciiPrefix(s); i < len(s) {
		// Not pure ASCII: validate the rest, then NFKC (which returns s
		// itself, without allocating, when it is already normal).
		if !utf8.ValidString(s[i:]) {
			return "", fmt.Errorf("normalizing text: %w", ErrInvalidUTF8)
		}
		s = nfkc(s, i)
	}
	out, flags := fold(s, limit)
	if flags&needNFKC != 0 {
		// Lowercasing or dropping a character next to a combining mark can
		// leave text that NFKC would compose further (T+◌̈ → t+◌̈ → ẗ): one
		// more round settles it.
		var more foldFlags
		out, more = fold(norm.NFKC.String(out), limit)
		flags |= more
	}
	if flags&maybePhrase != 0 {
		out = rewritePhrases(out)
	}
	return out, nil
}

// asciiPrefix returns the length of the longest all-ASCII prefix of s.
func asciiPrefix(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return i
		}
	}
	return len(s)
}

// nfkc returns NFKC(s); s[:from] must be ASCII. Runes that NFKC leaves
// alone and that start a segment (ASCII, CJK ideographs, common CJK
// punctuation) are copied, full-width ASCII forms and the
// ideographic space are mapped inline, and only the stretches between them
// go through x/text/unicode/norm, which costs several times more per rune.
func nfkc(s string, from int) string {
	var buf []byte
	copied := 0            // s[:copied] is accounted for in buf
	prev := max(from-1, 0) // start of the rune before i
	for i := from; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			prev, i = i, i+1
			continue
		} else if c&0xF0 == 0xE0 && i+2 < len(s) && nfkcInert(decode3(c, s[i+1], s[i+2])) {
			prev, i = i, i+3
			continue
		}
		r, size := decodeValid(s, i)
		if nfkcInert(r) {
			prev, i = i, i+size
			continue
		}
		if a, ok := fullWidth(r); ok && nextIsStarter(s, i+size) {
			if buf == nil {
				buf = make([]byte, 0, len(s))
			}
			buf = append(append(buf, s[copied:i]...), a)
			copied, prev, i = i+size, i, i+size
			continue
		}
		// The stretch starts at the rune before (which a mark may combine
		// with) and ends at the next inert rune, before which there is
		// always a segment boundary.
		start, end := max(prev, copied), i+size
		for end < len(s) {
			r, size := decodeValid(s, end)
			if nfkcInert(r) {
				break
			}
			end += size
		}
		if buf == nil {
			buf = make([]byte, 0, len(s)+len(s)/4)
		}
		buf = append(buf, s[copied:start]...)
		buf = norm.NFKC.AppendString(buf, s[start:end])
		copied, prev, i = end, end, end
	}
	if buf == nil {
		return s
	}
	return string(append(buf, s[copied:]...))
}

// fullWidth returns the ASCII character NFKC maps r to when r is a
// full-width form (！ … ～) or the ideographic space.
func fullWidth(r rune) (byte, bool) {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return byte(r - 0xFF01 + '!'), true
	case r == 0x3000:
		return ' ', true
	}
	return 0, false
}

// nextIsStarter reports whether the rune at s[i], if any, cannot combine
// with what precedes it.
func nextIsStarter(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, _ := decodeValid(s, i)
	if _, ok := fullWidth(r); ok {
		return true
	}
	return nfkcInert(r)
}

// nfkcInert reports whether r is NFKC-normal and never combines with what
// precedes it, so a segment boundary lies before it (ASCII letters may
// still combine with a following mark). The ranges are checked against
// x/text's tables by TestNFKCInert.
func nfkcInert(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return true
	case r < 0x3001:
		return false
	case r >= 0x4E00 && r < 0xA000, // CJK Unified Ideographs
		r >= 0x3400 && r < 0x4DC0,  // CJK Extension A
		r <= 0x3002,                // 、。
		r >= 0x3008 && r <= 0x3011: // 〈〉《》「」『』【】
		return true
	}
	return false
}

// decodeValid decodes the rune at s[i] of valid UTF-8, inlining the
// three-byte case that CJK text consists of.
func decodeValid(s string, i int) (rune, int) {
	if c := s[i]; c&0xF0 == 0xE0 && i+2 < len(s) {
		return decode3(c, s[i+1], s[i+2]), 3
	}
	return utf8.DecodeRuneInString(s[i:])
}

// decode3 decodes a valid three-byte UTF-8 sequence.
func decode3(c0, c1, c2 byte) rune {
	return rune(c0&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F)
}

// foldFlags report what fold saw that needs a further step.
type foldFlags uint8

const (
	// needNFKC: a change next to a combining mark may have un-normalized the text.
	needNFKC foldFlags = 1 << iota
	// maybePhrase: the output contains a character that a phrase rewrites.
	maybePhrase
)

// runeClass is what fold does with one character.
type runeClass uint8

const (
	classKeep  runeClass = iota // copy (after case and script folding)
	classSpace                  // whitespace: part of a run that becomes one space
	classDrop                   // control or format character: removed
	classUpper                  // ASCII upper case letter
)

// asciiClass classifies ASCII bytes as unicode.IsSpace, Cc and ToLower would.
var asciiClass = func() (t [utf8.RuneSelf]runeClass) {
	for c := range utf8.RuneSelf {
		switch {
		case unicode.IsSpace(rune(c)):
			t[c] = classSpace
		case unicode.IsControl(rune(c)):
			t[c] = classDrop
		case 'A' <= c && c <= 'Z':
			t[c] = classUpper
		}
	}
	return t
}()

// classify returns how fold treats the non-ASCII rune r, and r folded
// (lowercased, converted to simplified Chinese) when it is kept.
func classify(r rune) (rune, runeClass) {
	if r > 0x3000 && r < 0xA000 {
		// CJK punctuation, kana, CJK Extension A, CJK Unified Ideographs
		// and more: no case, no space, no control (TestClassifyCJKRange);
		// the common case, kept fast.
		return t2s(r), classKeep
	}
	switch {
	case unicode.IsSpace(r):
		return r, classSpace
	case unicode.In(r, unicode.Cc, unicode.Cf):
		return r, classDrop
	}
	return t2s(unicode.ToLower(r)), classKeep
}

// beforeMark reports whether rest starts with a rune that NFKC could combine
// with what precedes it.
func beforeMark(rest string) bool {
	return len(rest) > 0 && rest[0] >= utf8.RuneSelf && !norm.NFKC.PropertiesString(rest).BoundaryBefore()
}

// fold applies case folding, traditional → simplified characters,
// whitespace collapsing, control removal and the length limit in one pass.
// s must be valid UTF-8.
//
// The output is kept as s[run:end] for as long as it is a substring of s:
// text that is already normalized costs no allocation. Where it differs,
// s[run:end] is flushed into b with the change and a new run starts.
func fold(s string, limit int) (string, foldFlags) {
	var (
		b        strings.Builder
		flags    foldFlags
		run, end int  // s[run:end] is output not yet in b
		n        int  // runes of output
		spaceAt  = -1 // start of a pending whitespace run, or -1
		flush    = func(next int) {
			if b.Cap() == 0 {
				b.Grow(min(len(s), limit*utf8.UTFMax))
			}
			b.WriteString(s[run:end])
			run, end = next, next
		}
	)
	for i := 0; i < len(s); {
		c, r, f, size := s[i], rune(s[i]), rune(s[i]), 1
		var class runeClass
		if c < utf8.RuneSelf {
			if class = asciiClass[c]; class == classUpper {
				f, class = r+'a'-'A', classKeep
				if beforeMark(s[i+1:]) {
					flags |= needNFKC // T+◌̈: lowercase may compose
				}
			}
		} else {
			if c&0xF0 == 0xE0 && i+2 < len(s) {
				r, size = decode3(c, s[i+1], s[i+2]), 3
			} else {
				r, size = utf8.DecodeRuneInString(s[i:])
			}
			f, class = classify(r)
			if class == classKeep && f != r && unicode.ToLower(r) != r && beforeMark(s[i+size:]) {
				flags |= needNFKC
			}
			if class == classKeep && isPhraseTrigger(f) {
				flags |= maybePhrase
			}
		}
		next := i + size
		switch class {
		case classSpace, classDrop:
			if class == classDrop && beforeMark(s[next:]) {
				flags |= needNFKC // e+ZWSP+◌́: dropping it lets them compose
			}
			if n == 0 {
				run, end = next, next // leading: skip
			} else if class == classSpace && spaceAt < 0 {
				spaceAt = i
			}
			i = next
			continue
		}
		if spaceAt >= 0 {
			if n+2 > limit {
				break // a trailing space would be trimmed anyway
			}
			if spaceAt == end && i == end+1 && s[end] == ' ' {
				end = i // a single ASCII space, as in the source
			} else {
				flush(i)
				b.WriteByte(' ')
			}
			n, spaceAt = n+1, -1
		}
		if n >= limit {
			break
		}
		if i != end { // something was dropped before r
			flush(i)
		}
		if f == r {
			end = next
		} else {
			flush(next)
			b.WriteRune(f)
		}
		n++
		i = next
	}
	if b.Cap() == 0 {
		return s[run:end], flags
	}
	b.WriteString(s[run:end])
	return b.String(), flags
}

// bmpSet is a set of runes of the Basic Multilingual Plane.
type bmpSet [0x10000 / 64]uint64

// add adds r; runes outside the BMP are ignored.
func (b *bmpSet) add(r rune) {
	if r < 0x10000 {
		b[r/64] |= 1 << (r % 64)
	}
}

func (b *bmpSet) has(r rune) bool { return r < 0x10000 && b[r/64]&(1<<(r%64)) != 0 }

// t2sTable is the character table in the form t2s reads: a bitmap of the
// BMP keys with the number of keys before each 64-bit word, so that a key's
// value is found by counting bits (a rank query), and the few keys outside
// the BMP in a map. BenchmarkT2SLookup compares it with a map of all keys
// and with binary search over the generated pairs; it is the fastest, as
// most characters of any text are not keys and cost one bit test.
type t2sTable struct {
	keys   bmpSet
	rank   [len(bmpSet{})]uint16 // keys in keys[:w]
	values []rune                // BMP values in key order
	astral map[rune]rune
}

var t2sTab = newT2STable(t2sPairs[:])

func newT2STable(pairs []uint32) *t2sTable {
	t := &t2sTable{astral: map[rune]rune{}}
	for i := 0; i < len(pairs); i += 2 { // pairs are sorted by key
		k, v := rune(pairs[i]), rune(pairs[i+1])
		if k >= 0x10000 {
			t.astral[k] = v
			continue
		}
		t.keys.add(k)
		t.values = append(t.values, v)
	}
	n := 0
	for w, word := range t.keys {
		t.rank[w] = uint16(n)
		n += bits.OnesCount64(word)
	}
	return t
}

// lookup returns the simplified form of r, or r.
func (t *t2sTable) lookup(r rune) rune {
	if r >= 0x10000 {
		if s, ok := t.astral[r]; ok {
			return s
		}
		return r
	}
	w, bit := r/64, uint64(1)<<(r%64)
	if t.keys[w]&bit == 0 {
		return r
	}
	return t.values[int(t.rank[w])+bits.OnesCount64(t.keys[w]&(bit-1))]
}

// t2s returns the simplified form of r, or r.
func t2s(r rune) rune { return t2sTab.lookup(r) }

// Phrases are found through two sets: phraseStarts holds the first
// characters of t2sPhrases, phraseTriggers the characters a phrase changes
// (覆, 藉, 瞭 …). Text without a trigger cannot match any phrase and skips
// the phrase pass. The generator's data is all in the BMP; init checks.
var phraseStarts, phraseTriggers bmpSet

// phrasesByStart lists indexes into t2sPhrases by first character, longest
// phrase first.
var phrasesByStart = func() map[rune][]int {
	m := map[rune][]int{}
	for i, p := range t2sPhrases {
		from, to := []rune(p[0]), []rune(p[1])
		for j := range from {
			if from[j] >= 0x10000 {
				panic(fmt.Sprintf("embed: t2s phrase %q has a rune outside the BMP", p[0]))
			}
			if from[j] != to[j] {
				phraseTriggers.add(from[j])
			}
		}
		phraseStarts.add(from[0])
		m[from[0]] = append(m[from[0]], i)
	}
	for _, idx := range m {
		// Longest first; the lists are short.
		for i := 1; i < len(idx); i++ {
			for j := i; j > 0 && len(t2sPhrases[idx[j]][0]) > len(t2sPhrases[idx[j-1]][0]); j-- {
				idx[j], idx[j-1] = idx[j-1], idx[j]
			}
		}
	}
	return m
}()

func isPhraseStart(r rune) bool { return phraseStarts.has(r) }

func isPhraseTrigger(r rune) bool { return phraseTriggers.has(r) }

// matchPhrase returns the longest phrase that s starts with.
func matchPhrase(r rune, s string) (from, to string, ok bool) {
	for _, i := range phrasesByStart[r] {
		if p := t2sPhrases[i]; strings.HasPrefix(s, p[0]) {
			return p[0], p[1], true
		}
	}
	return "", "", false
}

// rewritePhrases applies t2sPhrases to s left to right, longest match
// first. The generator guarantees that no output can form a phrase again,
// so the rewrite is idempotent.
func rewritePhrases(s string) string {
	var b strings.Builder
	copied := 0 // s[:copied] is in b
	for i := 0; i < len(s); {
		r, size := decodeValid(s, i)
		if isPhraseStart(r) {
			if from, to, ok := matchPhrase(r, s[i:]); ok {
				if copied == 0 {
					b.Grow(len(s))
				}
				b.WriteString(s[copied:i])
				b.WriteString(to)
				i += len(from)
				copied = i
				continue
			}
		}
		i += size
	}
	if copied == 0 {
		return s
	}
	b.WriteString(s[copied:])
	return b.String()
}
