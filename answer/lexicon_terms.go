package answer

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
)

// This file holds the hand-written, shop-independent linguistic knowledge
// of the reranker's terms: English stemming and stopwords, and the Chinese
// and English question-template words ("how do i", 怎么, 请问, 吗) that say
// a text is a question but not what it is about.

// termFunction is the weight of a template or function term relative to a
// content term in the reranker; queryFunction is its weight in the query of
// the lexical leg. termSynonym and querySynonym are the same for the words
// of a query's near-synonyms that the query lacks (see queryLexTerms and
// queryVector), chosen by measurement: higher let synonyms outvote the
// query's own words.
const (
	termFunction  = 0.2
	queryFunction = 0.3
	querySynonym  = 0.3
	termSynonym   = 0.25
)

// termClass says how much a term says about what a text is about.
type termClass uint8

const (
	classContent  termClass = iota // a content term: full weight
	classFunction                  // a template or function term (termFunction)
	classConcept                   // a near-synonym group's term (termConcept; see rank_synonyms.go)
	classSynonym                   // a query's synonym's word, which it lacks (termSynonym)
)

// scale down-weights w for a function or concept term.
func (c termClass) scale(w float64) float64 {
	switch c {
	case classFunction:
		return w * termFunction
	case classConcept:
		return w * termConcept
	case classSynonym:
		return w * termSynonym
	}
	return w
}

// lexTerm is one distinct term of a text.
type lexTerm struct {
	id    uint32
	class termClass
	// uni marks a single CJK character (a word of its own or part of one).
	uni bool
}

// lexTerms returns the distinct terms of normalized text, as the sparse
// encoder tokenizes it (CJK unigrams and bigrams, Latin words and codes),
// with Latin words stemmed and template words marked, followed by the
// concept terms of the near-synonym groups the text has a word of.
func lexTerms(sp *embed.SparseEncoder, norm string) []lexTerm {
	return lexTermsOf(norm, sp.Terms(norm))
}

// lexTermsOf is lexTerms of norm whose sparse terms are raw.
func lexTermsOf(norm string, raw []string) []lexTerm {
	out := make([]lexTerm, 0, len(raw)+4)
	seen := make(map[uint32]bool, len(raw))
	var words []string // Latin words, stemmed, in order
	for _, t := range raw {
		class := classContent
		if isLatinWord(t) {
			if enStopwords[t] {
				class = classFunction
			}
			t = stem(t)
			words = append(words, t)
		} else if zhFunction[t] {
			class = classFunction
		}
		id := embed.TermID(t)
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, lexTerm{id: id, class: class, uni: runeLen(t) == 1 && !isLatinWord(t)})
	}
	concepts.match(norm, words, func(g *conceptGroup) {
		if !seen[g.id] {
			seen[g.id] = true
			out = append(out, lexTerm{id: g.id, class: classConcept})
		}
	})
	return out
}

// queryLexTerms returns lexTerms of a normalized query followed by the
// words of its near-synonyms (rank_synonyms.go) that it lacks, as
// classSynonym terms: multi-character CJK terms and Latin words, not the
// single characters that many unrelated words share.
func queryLexTerms(sp *embed.SparseEncoder, norm string) []lexTerm {
	return queryLexTermsOf(sp, norm, sp.Terms(norm))
}

// queryLexTermsOf is queryLexTerms of norm whose sparse terms are raw.
func queryLexTermsOf(sp *embed.SparseEncoder, norm string, raw []string) []lexTerm {
	terms := lexTermsOf(norm, raw)
	if termSynonym == 0 {
		return terms
	}
	seen := make(map[uint32]bool, len(terms))
	var words []string
	for _, t := range terms {
		seen[t.id] = true
	}
	for _, t := range raw {
		if isLatinWord(t) {
			words = append(words, stem(t))
		}
	}
	concepts.match(norm, words, func(g *conceptGroup) {
		for _, mt := range g.memberTerms(sp) {
			for _, t := range mt {
				if isLatinWord(t) {
					if enStopwords[t] {
						continue
					}
					t = stem(t)
				} else if runeLen(t) == 1 || zhFunction[t] {
					continue
				}
				if id := embed.TermID(t); !seen[id] {
					seen[id] = true
					terms = append(terms, lexTerm{id: id, class: classSynonym})
				}
			}
		}
	})
	return terms
}

// queryVector is the lexical leg's query: the sparse encoder's terms of
// normalized text, each weighing 1 but template and function terms
// queryFunction, and the terms of the near-synonyms of its words
// (rank_synonyms.go) that it lacks, querySynonym.
func queryVector(sp *embed.SparseEncoder, norm string) index.Sparse {
	return queryVectorOf(sp, norm, sp.Terms(norm))
}

// queryVectorOf is queryVector of norm whose sparse terms are raw.
func queryVectorOf(sp *embed.SparseEncoder, norm string, raw []string) index.Sparse {
	w := map[uint32]float32{}
	var words []string
	for _, t := range raw {
		v := float32(1)
		if isLatinWord(t) && enStopwords[t] || zhFunction[t] {
			v = queryFunction
		}
		if isLatinWord(t) {
			words = append(words, stem(t))
		}
		w[embed.TermID(t)] = v
	}
	if querySynonym > 0 {
		syn := map[uint32]float32{}
		concepts.match(norm, words, func(g *conceptGroup) {
			for _, mt := range g.memberTerms(sp) {
				for _, t := range mt {
					if id := embed.TermID(t); w[id] == 0 && !isFunctionTerm(t) {
						syn[id] = querySynonym
					}
				}
			}
		})
		maps.Copy(w, syn)
	}
	v := index.Sparse{Indices: slices.Sorted(maps.Keys(w))}
	v.Values = make([]float32, len(v.Indices))
	for i, id := range v.Indices {
		v.Values[i] = w[id]
	}
	return v
}

// isLatinWord reports whether t is made of ASCII letters only.
func isLatinWord(t string) bool {
	for i := 0; i < len(t); i++ {
		if c := t[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return t != ""
}

// stem reduces an English word to a crude stem so that inflections meet
// (activate, activated, activating, activation → activat; cards → card;
// topping → top; verified, verify → verifi). It only has to map the forms
// of one word together, not produce real words.
func stem(w string) string {
	if len(w) <= 3 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	for _, suf := range []string{"ing", "ed"} {
		if s := strings.TrimSuffix(w, suf); s != w && len(s) >= 3 && hasVowel(s) {
			w = s
			if n := len(w); w[n-1] == w[n-2] && !isVowel(w[n-1]) && w[n-1] != 'l' && w[n-1] != 's' && w[n-1] != 'z' {
				w = w[:n-1] // topp → top, transferr → transfer
			}
			break
		}
	}
	for _, r := range [][2]string{{"ational", "ate"}, {"ation", "ate"}, {"ement", ""}, {"ment", ""}, {"ness", ""}, {"ful", ""}, {"ly", ""}} {
		if s, ok := strings.CutSuffix(w, r[0]); ok && len(s) >= 3 {
			w = s + r[1]
			break
		}
	}
	if n := len(w); n > 4 && w[n-1] == 'e' {
		w = w[:n-1]
	}
	if n := len(w); n > 3 && w[n-1] == 'y' && hasVowel(w[:n-1]) {
		w = w[:n-1] + "i"
	}
	return w
}

func isVowel(c byte) bool { return strings.IndexByte("aeiou", c) >= 0 }

func hasVowel(s string) bool { return strings.ContainsAny(s, "aeiouy") }

// enStopwords are English function words and question-template words.
var enStopwords = setOf(strings.Fields(`
	a an the i me my mine we us our you your yours he she it its they them their
	this that these those there here
	is am are was were be been being do does did done doing have has had having
	can could would will shall should may might must
	to of in on at by for from with about into onto over as than then so
	and or but if not no yes
	how what why when where which who whom whose
	please thanks thank hi hello hey help tell know want wanted need like just also
	any some im ive dont cant didnt doesnt isnt wont t s m ve ll d re
`))

// zhFunction are Chinese function characters and question-template words,
// in simplified form (normalization converts traditional text).
var zhFunction = setOf(strings.Fields(`
	的 了 吗 呢 吧 啊 呀 么 嘛 哦 着 过 是 我 你 您 他 她 它 们 请 问 想 要 在 这 那 个 一 些
	怎么 如何 怎样 怎么样 为何 为啥 什么 哪里 哪些 哪个 哪儿 多少 是否 能否 可否 可以 能不 不能 是不
	请问 我想 想要 想问 问一 一下 我要 我们 你们 知道 了解 告诉 需要 应该 怎办 么办
`))

func setOf(words []string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// runeLen is the length of s in characters.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// isFunctionTerm reports a template or function term (English stopword or Chinese function word).
func isFunctionTerm(t string) bool { return isLatinWord(t) && enStopwords[t] || zhFunction[t] }
