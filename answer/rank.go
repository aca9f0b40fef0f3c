package answer

import (
	"cmp"
	"math"
	"slices"
)

// The reranker rescores the first stage's best articles with features
// computed against the KB's lexicon (see lexicon.go): how much of the query
// the article's questions cover, how close the query is to the article as
// a whole (the centroid of its questions) and to its best question, and how
// well it meets the answer body. Weights were chosen by measurement on
// labeled Chinese and English sets with the builtin model; none is tuned
// to one shop.
const (
	rerankTop = 50 // first-stage articles rescored

	wDense    = 0.7  // best dense cosine of the article's questions
	wCover    = 0.3  // lexScores.cover
	wMean     = 0.3  // lexScores.mean
	wBest     = 0.25 // lexScores.best
	wCentroid = 0.9  // lexScores.centroid
	wAnswer   = 0.6  // lexScores.answer
	wAnsDice  = 0.3  // lexScores.ansDice
	// wAnsAlone scores an article by its answer alone when that beats the
	// rest: a short answer that is nearly the query (a title-like answer)
	// wins even when the article's questions say little.
	wAnsAlone = 3.5

	// probTemperature turns rerank scores into Candidate.Prob by softmax.
	probTemperature = 0.1
)

// queryTerms are a query's terms weighted by the KB's lexicon, each with
// what score needs of it looked up once per query rather than per article.
type queryTerms struct {
	terms []queryTerm // by id ascending (score merges them with an article's)
	total float64     // sum of the weights, synonym terms left out
	norm  float64     // Euclidean norm of those weights
	n     int         // articles in the lexicon
}

// queryTerm is one query term.
type queryTerm struct {
	id   uint32
	w    float64 // article IDF, template terms down-weighted
	qidf float64 // idf among the articles' questions (0 when none has it)
	aidf float64 // idf among the articles' answers (0 when none has it)
	uni  bool    // a single CJK character
	// canMiss: the term counts in missUni or missBi when an article lacks
	// it (not a concept term, nor a classSynonym term, which is matched
	// and never missed, and not in total or norm).
	canMiss bool
	syn     bool
}

// termWeight is a question term's weight in lexicon l: its IDF among the
// articles' questions, down-weighted for a template, function or concept
// term.
func (l *lexicon) termWeight(t lexTerm) float64 {
	w, ok := l.qidf[t.id]
	if !ok {
		w = idf(len(l.arts), 0)
	}
	return t.class.scale(w)
}

// query weighs a query's terms, each given once (see lexTerms).
func (l *lexicon) query(terms []lexTerm) queryTerms {
	q := queryTerms{terms: make([]queryTerm, len(terms)), n: len(l.arts)}
	for i, t := range terms {
		w := l.termWeight(t)
		syn := t.class == classSynonym
		q.terms[i] = queryTerm{id: t.id, w: w, qidf: l.qidf[t.id], aidf: l.aidf[t.id], uni: t.uni, syn: syn, canMiss: !syn && !concepts.ids[t.id]}
		if !syn {
			q.total += w
			q.norm += w * w
		}
	}
	q.norm = math.Sqrt(q.norm)
	slices.SortFunc(q.terms, func(a, b queryTerm) int { return cmp.Compare(a.id, b.id) })
	return q
}

// plain returns q without its classSynonym terms, or a zero queryTerms
// when it has none.
func (q queryTerms) plain() queryTerms {
	if !slices.ContainsFunc(q.terms, func(t queryTerm) bool { return t.syn }) {
		return queryTerms{}
	}
	p := q
	p.terms = slices.DeleteFunc(slices.Clone(q.terms), func(t queryTerm) bool { return t.syn })
	return p
}

// lexScores are an article's lexicon features for a query, each in [0, 1].
type lexScores struct {
	// cover is the weighted share of the query's terms found in any of the
	// article's questions.
	cover float64
	// mean is cover averaged over the article's questions: how typical of
	// the article the query's terms are.
	mean float64
	// best is the best Dice overlap of the query with one question.
	best float64
	// centroid is the cosine between the query and the mean of the
	// article's question term vectors (IDF weighted).
	centroid float64
	// answer is the weighted share of the query's terms found in the answer.
	answer float64
	// ansDice is the Dice overlap of the query and the answer body.
	ansDice float64
	// missUni and missBi are the weight of the heaviest query character
	// (missUni) or other term (missBi) the article has nowhere (questions
	// nor answer), relative to the rarest possible term's: a query about
	// something this article never mentions.
	missUni, missBi float64
}

// score computes article id's features for q; an article missing from the
// lexicon scores zero. It walks the query's terms and the article's, both
// sorted, side by side.
func (l *lexicon) score(q queryTerms, id string) lexScores {
	var s lexScores
	a, d := l.arts[id], l.derived[id]
	if a == nil || d == nil || q.total == 0 {
		return s
	}
	nq := float64(max(1, len(a.questions)))
	var buf [64]float64
	inter := buf[:] // weight of the query's terms in each question
	if len(a.questions) > len(buf) {
		inter = make([]float64, len(a.questions))
	}
	var dot, answerMissing float64
	maxIDF := idf(len(l.arts), 1)
	pi, ai := 0, 0 // cursors into the article's sorted terms
	for _, t := range q.terms {
		w := t.w
		var ps []uint16
		for pi < len(a.postTerms) && a.postTerms[pi] < t.id {
			pi++
		}
		if pi < len(a.postTerms) && a.postTerms[pi] == t.id {
			ps = a.postLists[pi]
		}
		var c termClass
		for ai < len(a.answerTerms) && a.answerTerms[ai] < t.id {
			ai++
		}
		inAnswer := ai < len(a.answerTerms) && a.answerTerms[ai] == t.id
		if inAnswer {
			c = a.answerClasses[ai]
		}
		if len(ps) == 0 && !inAnswer && maxIDF > 0 && t.canMiss {
			if t.uni {
				s.missUni = max(s.missUni, w/maxIDF)
			} else {
				s.missBi = max(s.missBi, w/maxIDF)
			}
		}
		if len(ps) > 0 {
			share := float64(len(ps)) / nq
			s.cover += w
			s.mean += w * share
			dot += w * t.qidf * share
			for _, i := range ps {
				inter[i] += w
			}
		}
		if inAnswer {
			s.answer += w
			answerMissing -= c.scale(t.aidf)
		}
	}
	if d.centroidNorm > 0 && q.norm > 0 {
		s.centroid = dot / (d.centroidNorm * q.norm)
	}
	for i, sum := range d.questionSum {
		// a matched term counts with the query's weight, which is its own
		s.best = max(s.best, 2*inter[i]/(q.total+sum))
	}
	answerMissing += d.answerSum
	s.ansDice = 2 * s.answer / (q.total + s.answer + max(0, answerMissing))
	s.cover, s.mean, s.answer = unit(s.cover/q.total), unit(s.mean/q.total), unit(s.answer/q.total)
	s.centroid, s.best, s.ansDice = unit(s.centroid), unit(s.best), unit(s.ansDice)
	s.missUni, s.missBi = unit(s.missUni), unit(s.missBi)
	return s
}

// unit clamps rounding error off a share.
func unit(x float64) float64 { return min(1, max(0, x)) }

// rerank rescores the first max(rerankTop, limit) of arts (sorted by the
// first stage) with lexicon features, fills their feature fields and sorts
// them again.
func rerank(arts []*articleAgg, l *lexicon, q queryTerms, limit int) {
	top := arts[:min(max(rerankTop, limit), len(arts))]
	if len(top) == 0 {
		return
	}
	plain := q.plain()
	for _, a := range top {
		s := l.score(q, a.c.ArticleID)
		a.c.Score = max(wDense*a.bestDense+wCover*s.cover+wMean*s.mean+wBest*s.best+
			wCentroid*s.centroid+wAnswer*s.answer+wAnsDice*s.ansDice, wAnsAlone*s.ansDice)
		if plain.terms != nil {
			s = l.score(plain, a.c.ArticleID)
		}
		a.c.Coverage, a.c.Centroid, a.c.QuestionOverlap = s.cover, s.centroid, s.best
		a.c.AnswerCoverage, a.c.AnswerOverlap = s.answer, s.ansDice
		a.c.MissUnigram, a.c.MissTerm = s.missUni, s.missBi
	}
	sortArticles(top)
	// Prob: softmax of the scores over the rescored articles.
	var z float64
	for _, a := range top {
		a.c.Prob = math.Exp((a.c.Score - top[0].c.Score) / probTemperature)
		z += a.c.Prob
	}
	for _, a := range top {
		a.c.Prob /= z
	}
}
