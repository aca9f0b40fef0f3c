package answer

import (
	"strings"

	"github.com/jieda/jieda/embed"
)

// localeFamily groups locales by the writing a customer reads: traditional
// Chinese, simplified Chinese, or English ("" when unknown).
func localeFamily(locale string) string {
	l := strings.ToLower(locale)
	switch {
	case strings.HasPrefix(l, "zh-tw"), strings.HasPrefix(l, "zh-hk"), strings.HasPrefix(l, "zh-mo"), strings.HasPrefix(l, "zh-hant"):
		return "zh-hant"
	case strings.HasPrefix(l, "zh"):
		return "zh-hans"
	case strings.HasPrefix(l, "en"):
		return "en"
	}
	return ""
}

// questionFamily is the locale family a question asks in: the request's
// locale when given, else the question's script.
func questionFamily(locale, question string) string {
	if f := localeFamily(locale); f != "" {
		return f
	}
	switch embed.DetectScript(question) {
	case embed.ScriptTraditional:
		return "zh-hant"
	case embed.ScriptSimplified:
		return "zh-hans"
	case embed.ScriptLatin:
		return "en"
	}
	return ""
}

// preferLocale drops candidates written for another locale family when
// one of the top three is in the question's own: a KB that keeps the same
// article in zh-CN, zh-TW and English then answers each customer in their
// writing. Articles without a locale are never dropped.
func preferLocale(cands []Candidate, family string) []Candidate {
	if family == "" {
		return cands
	}
	same := false
	for _, c := range head(cands, 3) {
		if localeFamily(c.Locale) == family {
			same = true
			break
		}
	}
	if !same {
		return cands
	}
	out := cands[:0:0]
	for _, c := range cands {
		if f := localeFamily(c.Locale); f == "" || f == family {
			out = append(out, c)
		}
	}
	return out
}
