package curate

import (
	"strings"
	"unicode"

	"github.com/jieda/jieda/embed"
)

// textKey is the form texts are compared in: normalized (width, case,
// traditional→simplified), without spaces and punctuation.
func textKey(s string) string {
	n, err := embed.Normalize(s)
	if err != nil {
		n = s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return -1
		}
		return r
	}, n)
}

// sameText reports whether two texts differ only in width, case, script,
// spacing and punctuation.
func sameText(a, b string) bool { return textKey(a) == textKey(b) }

// diceSimilarity is the Dice coefficient of two texts' character-bigram
// multisets (after textKey): 1 for the same text, 0 for nothing shared.
func diceSimilarity(a, b string) float64 {
	ka, kb := []rune(textKey(a)), []rune(textKey(b))
	if len(ka) < 2 || len(kb) < 2 {
		if len(ka) > 0 && string(ka) == string(kb) {
			return 1
		}
		return 0
	}
	counts := make(map[[2]rune]int, len(ka))
	for i := 0; i+1 < len(ka); i++ {
		counts[[2]rune{ka[i], ka[i+1]}]++
	}
	shared := 0
	for i := 0; i+1 < len(kb); i++ {
		g := [2]rune{kb[i], kb[i+1]}
		if counts[g] > 0 {
			counts[g]--
			shared++
		}
	}
	return 2 * float64(shared) / float64(len(ka)-1+len(kb)-1)
}
