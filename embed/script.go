package embed

import "unicode"

// Script is the writing a text is mostly in.
type Script string

// Scripts DetectScript tells apart.
const (
	ScriptSimplified  Script = "zh-Hans"
	ScriptTraditional Script = "zh-Hant"
	ScriptLatin       Script = "latin"
	ScriptUnknown     Script = ""
)

// DetectScript reports whether text is Chinese in traditional characters
// (at least one character the traditional→simplified table changes),
// Chinese in simplified characters, Latin (letters but no Han), or unknown.
func DetectScript(text string) Script {
	han, trad, latin := 0, 0, 0
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
			if t2s(r) != r {
				trad++
			}
		case r < 0x80 && unicode.IsLetter(r):
			latin++
		}
	}
	switch {
	case trad > 0:
		return ScriptTraditional
	case han > 0:
		return ScriptSimplified
	case latin > 0:
		return ScriptLatin
	}
	return ScriptUnknown
}
