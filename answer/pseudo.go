package answer

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"github.com/jieda/jieda/embed"
)

// Pseudo-questions stand in for customers' questions about an article
// that has no variant questions: self-calibration asks them to learn what
// the confidence features of a right (and a wrong) top article look like.
// Each generator makes one question from the article's standard question
// (and answer); which generators are used was chosen by measuring how well
// a calibration fitted on their questions transfers to real variant
// questions held out of KBs that have them (see MeasureTransfer).

// Generator names.
const (
	GenDrop     = "drop"     // a fifth of the question's words (CJK characters) dropped
	GenCrop     = "crop"     // a third of the question cut off its start or its end
	GenSwap     = "swap"     // the question's two halves swapped round
	GenContent  = "content"  // its content words alone (template and function words dropped)
	GenTemplate = "template" // its template words replaced by others (怎么 → 如何, how do i → how can i)
	GenAnswer   = "answer"   // the answer's clause closest to the question: its key phrase
	GenMixed    = "mixed"    // the question cropped, with two of the answer's key words
	// GenNoise replaces a third of the question's content words (CJK
	// characters) with words of other articles' questions: a paraphrase's
	// new words, drawn from the KB so that they mislead as much as its
	// vocabulary can.
	GenNoise = "noise"
	// GenNoise2 and GenNoise3 replace half and two thirds of them.
	GenNoise2 = "noise2"
	GenNoise3 = "noise3"
	// GenHoldout is the standard question itself, asked with it held out
	// of the KB (the article keeps its answer): not made by pseudoQuestion
	// but by a holdout round.
	GenHoldout = "holdout"
)

// Generators lists every pseudo-question generator.
var Generators = []string{GenDrop, GenCrop, GenSwap, GenContent, GenTemplate, GenAnswer, GenMixed, GenNoise, GenNoise2, GenNoise3, GenHoldout}

// DefaultGenerators are the generators self-calibration uses on a KB too
// poor in variant questions to measure transfer on its own (see
// MeasureTransfer and the README for the measurements behind the choice).
var DefaultGenerators = []string{GenNoise3, GenAnswer, GenTemplate}

// pseudoQuestion makes generator gen's question for an article from its
// standard question q and answer a; "" when the generator has nothing to
// offer (too short a question, no change).
func pseudoQuestion(gen, id, q, a string) string {
	return pseudoQuestionFrom(gen, id, q, a, nil)
}

// pseudoQuestionFrom is pseudoQuestion with a pool of other articles'
// question units for the noise generators.
func pseudoQuestionFrom(gen, id, q, a string, pool []textUnit) string {
	q = CanonicalQuestion(q)
	n, err := embed.Normalize(q)
	if err != nil || n == "" {
		return ""
	}
	h := fnv.New64a()
	h.Write([]byte(gen + "\x00" + id))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x5e1fca1))
	us := textUnits(n)
	var out []textUnit
	switch gen {
	case GenDrop:
		if len(us) < 4 {
			return ""
		}
		k := max(1, len(us)/5)
		drop := rng.Perm(len(us))[:k]
		for i, u := range us {
			if !slices.Contains(drop, i) {
				out = append(out, u)
			}
		}
	case GenCrop:
		if len(us) < 4 {
			return ""
		}
		k := max(1, len(us)/3)
		if rng.IntN(2) == 0 {
			out = us[k:]
		} else {
			out = us[:len(us)-k]
		}
	case GenSwap:
		if len(us) < 4 {
			return ""
		}
		p := len(us)/3 + rng.IntN(max(1, len(us)/3))
		out = append(slices.Clone(us[p:]), us[:p]...)
	case GenContent:
		out = contentUnits(n)
	case GenTemplate:
		return nonEmptyChange(n, swapTemplates(n, rng))
	case GenAnswer:
		return nonEmptyChange(n, answerKeyPhrase(n, a, len(us)))
	case GenNoise, GenNoise2, GenNoise3:
		if len(us) < 3 || len(pool) == 0 {
			return ""
		}
		frac := map[string]float64{GenNoise: 1.0 / 3, GenNoise2: 0.5, GenNoise3: 2.0 / 3}[gen]
		out = slices.Clone(us)
		var content []int
		for i, u := range us {
			if !isFunctionUnit(u) {
				content = append(content, i)
			}
		}
		k := max(1, int(math.Round(frac*float64(len(content)))))
		for _, j := range rng.Perm(len(content))[:min(k, len(content))] {
			out[content[j]] = pool[rng.IntN(len(pool))]
		}
	case GenMixed:
		if len(us) < 4 {
			return ""
		}
		kept := us[:len(us)-max(1, len(us)/3)]
		key := textUnits(answerKeyPhrase(n, a, 4))
		out = append(slices.Clone(kept), key...)
	default:
		return ""
	}
	return nonEmptyChange(n, joinUnits(out))
}

// nonEmptyChange returns p unless it is empty or, punctuation and spaces
// aside, the question itself.
func nonEmptyChange(q, p string) string {
	p = strings.TrimSpace(p)
	if p == "" || matchKey(p) == matchKey(q) || matchKey(p) == "" {
		return ""
	}
	return p
}

// textUnit is a word of Latin text or a character of CJK text.
type textUnit struct {
	s   string
	cjk bool
}

// textUnits splits normalized text into words and CJK characters,
// dropping punctuation and spaces.
func textUnits(s string) []textUnit {
	var us []textUnit
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			us = append(us, textUnit{s: word.String()})
			word.Reset()
		}
	}
	for _, r := range s {
		switch {
		case isCJK(r):
			flush()
			us = append(us, textUnit{s: string(r), cjk: true})
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '\'':
			word.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return us
}

// joinUnits writes units back: CJK characters together, words spaced.
func joinUnits(us []textUnit) string {
	var b strings.Builder
	for i, u := range us {
		if i > 0 && (!u.cjk || !us[i-1].cjk) {
			b.WriteByte(' ')
		}
		b.WriteString(u.s)
	}
	return b.String()
}

// isFunctionUnit reports a unit that is a function word on its own.
func isFunctionUnit(u textUnit) bool {
	if u.cjk {
		return zhFunction[u.s]
	}
	return enStopwords[u.s]
}

// unitPool is the content units of the articles' standard questions, one
// entry per occurrence (frequent words are drawn more often).
func unitPool(arts map[string]*calArticle) []textUnit {
	var pool []textUnit
	for _, a := range arts {
		n, err := embed.Normalize(a.a.Question)
		if err != nil {
			continue
		}
		for _, u := range textUnits(n) {
			if !isFunctionUnit(u) {
				pool = append(pool, u)
			}
		}
	}
	slices.SortFunc(pool, func(x, y textUnit) int { return strings.Compare(x.s, y.s) })
	return pool
}

// contentUnits drops the template and function words of normalized text:
// English stopwords, and the Chinese function words and templates (longest
// first) wherever they occur.
func contentUnits(n string) []textUnit {
	us := textUnits(n)
	var out []textUnit
	for i := 0; i < len(us); i++ {
		u := us[i]
		if !u.cjk {
			if !enStopwords[u.s] {
				out = append(out, u)
			}
			continue
		}
		skip := 0
		for l := 3; l >= 1 && skip == 0; l-- {
			if i+l > len(us) {
				continue
			}
			var w strings.Builder
			ok := true
			for _, v := range us[i : i+l] {
				ok = ok && v.cjk
				w.WriteString(v.s)
			}
			if ok && zhFunction[w.String()] {
				skip = l
			}
		}
		if skip > 0 {
			i += skip - 1
			continue
		}
		out = append(out, u)
	}
	return out
}

// templateSwaps are interchangeable question templates.
var templateSwaps = [][]string{
	{"怎么", "如何", "怎样", "咋"},
	{"能不能", "可不可以", "是否可以", "能否"},
	{"多少", "几"},
	{"为什么", "为啥", "怎么会"},
	{"how do i", "how can i", "how to", "what is the way to"},
	{"can i", "am i able to", "is it possible to"},
	{"why is", "how come"},
	{"where is", "where can i find"},
}

// swapTemplates replaces the first template of normalized text found in
// templateSwaps with another of its group.
func swapTemplates(n string, rng *rand.Rand) string {
	for _, g := range templateSwaps {
		for _, t := range g {
			if i := strings.Index(n, t); i >= 0 && (isCJK([]rune(t)[0]) || wordAt(n, i, len(t))) {
				alt := g[rng.IntN(len(g))]
				for alt == t {
					alt = g[rng.IntN(len(g))]
				}
				return n[:i] + alt + n[i+len(t):]
			}
		}
	}
	return ""
}

// wordAt reports whether n[i:i+l] is whole words.
func wordAt(n string, i, l int) bool {
	before := i == 0 || !unicode.IsLetter(rune(n[i-1]))
	after := i+l == len(n) || !unicode.IsLetter(rune(n[i+l]))
	return before && after
}

// answerKeyPhrase is the clause of the answer that shares most content
// units with the question (the first clause when none shares any), cut
// to at most limit units (at least 4).
func answerKeyPhrase(q, a string, limit int) string {
	n, err := embed.Normalize(a)
	if err != nil || n == "" {
		return ""
	}
	qset := map[string]bool{}
	for _, u := range contentUnits(q) {
		qset[u.s] = true
	}
	clauses := strings.FieldsFunc(n, func(r rune) bool {
		return r == '\n' || strings.ContainsRune("。！？!?；;，,：:、()（）【】「」\"", r) || (r == '.')
	})
	best, bestScore := "", -1
	for _, c := range clauses {
		us := contentUnits(c)
		if len(us) < 2 {
			continue
		}
		score := 0
		for _, u := range us {
			if qset[u.s] {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = c, score
		}
	}
	us := contentUnits(best)
	limit = max(limit, 4)
	if len(us) > limit {
		us = us[:limit]
	}
	return joinUnits(us)
}
