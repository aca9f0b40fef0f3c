package answer

import (
	"context"
	"fmt"
	"html"
	"strings"
	"unicode/utf8"
)

// SearchHit is one article found for an agent.
type SearchHit struct {
	Candidate
	StandardQuestion string `json:"standard_question"`
	Answer           string `json:"answer"`
	// Highlight is the best-matching question, HTML-escaped, with the
	// characters and words it shares with the query in <mark>…</mark>.
	Highlight string `json:"highlight"`
	Active    bool   `json:"active"`
}

// MaxSearchLimit is the most hits AgentSearch returns.
const MaxSearchLimit = 50

// AgentSearch finds kb's articles for an agent's query (articles of every
// status and validity: Active says whether customers are answered from it),
// best first, each with the matching question highlighted.
func (e *Engine) AgentSearch(ctx context.Context, kb, query string, limit int) ([]SearchHit, error) {
	switch {
	case !utf8.ValidString(query):
		return nil, fmt.Errorf("%w: query is not valid UTF-8", ErrInvalidQuestion)
	case strings.TrimSpace(query) == "":
		return nil, ErrEmptyQuery
	case utf8.RuneCountInString(query) > DefaultMaxQuestionRunes:
		return nil, fmt.Errorf("%w: query is longer than %d characters", ErrQuestionTooLong, DefaultMaxQuestionRunes)
	case limit < 1 || limit > MaxSearchLimit:
		return nil, fmt.Errorf("%w: limit %d must lie in [1, %d]", ErrInvalidQuestion, limit, MaxSearchLimit)
	}
	if err := e.KnownKB(ctx, kb); err != nil {
		return nil, err
	}
	cands, err := e.Library.Search(ctx, kb, query, SearchOptions{Limit: limit})
	if err != nil {
		return nil, err
	}
	norm, _ := e.Library.Normalize(query)
	ids := make([]string, len(cands))
	for i, c := range cands {
		ids[i] = c.ArticleID
	}
	arts, err := e.Library.Articles(ctx, kb, ids)
	if err != nil {
		return nil, err
	}
	now := e.now()
	hits := make([]SearchHit, 0, len(cands))
	for _, c := range cands {
		art, ok := arts[c.ArticleID]
		if !ok {
			continue // deleted since the search
		}
		hits = append(hits, SearchHit{Candidate: c, StandardQuestion: art.Question, Answer: art.Answer,
			Highlight: Highlight(c.Question, norm, e.Library.Normalize), Active: art.ActiveAt(now)})
	}
	return hits, nil
}

// Highlight marks, in text, the runes (CJK) and words (Latin, digits)
// whose normalized form occurs in normQuery (a query normalized by
// normalize). The result is HTML-escaped apart from the <mark> tags.
func Highlight(text, normQuery string, normalize func(string) (string, error)) string {
	var b strings.Builder
	inMark := false
	set := func(on bool) {
		if on != inMark {
			if on {
				b.WriteString("<mark>")
			} else {
				b.WriteString("</mark>")
			}
			inMark = on
		}
	}
	rs := []rune(text)
	for i := 0; i < len(rs); {
		j := i + 1
		if isWordRune(rs[i]) {
			for j < len(rs) && isWordRune(rs[j]) {
				j++
			}
		}
		piece := string(rs[i:j])
		n, _ := normalize(piece)
		match := n != "" && strings.TrimSpace(n) != "" && containsToken(normQuery, n)
		set(match)
		b.WriteString(html.EscapeString(piece))
		i = j
	}
	set(false)
	return b.String()
}

func isWordRune(r rune) bool {
	return r < 0x80 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
}

// containsToken reports whether tok occurs in s (a whole word when Latin).
func containsToken(s, tok string) bool {
	if !isWordRune([]rune(tok)[0]) {
		return strings.Contains(s, tok) && !strings.ContainsAny(tok, " \t")
	}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !isWordRune(r) }) {
		if w == tok {
			return true
		}
	}
	return false
}
