package answer

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
)

// Aggregation says how an article's score comes from its points' scores.
type Aggregation string

// Aggregation strategies (see SearchOptions.Aggregation).
const (
	// AggBest fuses the dense and lexical point rankings with RRF, answer
	// points down-weighted, and scores an article by its best point (what a
	// grouped hybrid query does).
	AggBest Aggregation = "best"
	// AggRRF ranks articles in each leg by their best question (answer
	// point down-weighted), then fuses the two article rankings with RRF.
	AggRRF Aggregation = "rrf"
	// AggSum sums the point-level RRF scores of all of an article's points,
	// rewarding articles whose many variants match.
	AggSum Aggregation = "sum"
	// AggBlend scores an article by its best dense cosine plus
	// BlendWeight × its best lexical score relative to the query's top
	// lexical score (answer points down-weighted in both legs).
	AggBlend Aggregation = "blend"
)

// DefaultAggregation is the strategy Search uses when none is given,
// chosen by measurement on labeled sets with the builtin model: it led
// hit@1 and MRR@10 on every set tried (best, rrf and sum trailed).
const DefaultAggregation = AggBlend

// Aggregations lists every strategy.
var Aggregations = []Aggregation{AggBest, AggRRF, AggSum, AggBlend}

// SearchOptions tunes Search. The zero value is usable.
type SearchOptions struct {
	// Limit is the most articles returned (default 10).
	Limit int
	// Locale, when set, keeps only articles of this locale.
	Locale string
	// Scope keeps articles whose scope tags match (an article without a
	// tag applies everywhere).
	Scope map[string]string
	// At, when non-zero, keeps only articles valid at that time.
	At time.Time
	// Aggregation picks the article-scoring strategy (default DefaultAggregation).
	Aggregation Aggregation
	// PerLeg is how many points each leg (dense, lexical) retrieves (default 200).
	PerLeg int
	// AnswerWeight multiplies answer-body points' scores (default 0.5).
	AnswerWeight float64
	// BlendWeight is AggBlend's lexical weight (default 0.5).
	BlendWeight float64
	// RRFK is reciprocal rank fusion's k (default 60).
	RRFK int
	// NoRerank skips the reranker (see rank.go) and returns the
	// aggregation's ranking, to measure the first stage alone.
	NoRerank bool

	// exclude keeps points out of the search (self-calibration's held-out
	// questions and articles), and lex, when set, is the lexicon the
	// reranker uses instead of the KB's (one without those items). exact
	// asks the store for the dense leg without approximation: what
	// self-calibration fits then depends on the KB alone, not on how the
	// HNSW graph was built or how far its background linking had got.
	exclude []index.Condition
	lex     *lexicon
	exact   bool
}

func (o SearchOptions) withDefaults() SearchOptions {
	o.Limit = cmp.Or(o.Limit, 10)
	o.Aggregation = cmp.Or(o.Aggregation, DefaultAggregation)
	o.PerLeg = cmp.Or(o.PerLeg, 200)
	o.AnswerWeight = cmp.Or(o.AnswerWeight, 0.5)
	o.BlendWeight = cmp.Or(o.BlendWeight, 0.5)
	o.RRFK = cmp.Or(o.RRFK, index.DefaultRRFK)
	return o
}

// Candidate is one article found by Search, with the features that
// confidence and the decision build on.
type Candidate struct {
	ArticleID string `json:"article_id"`
	// Question is the article's question (standard or variant) that best matched.
	Question string `json:"question"`
	// Kind is the best point's kind: question, variant or answer.
	Kind     string `json:"kind"`
	Category string `json:"category,omitempty"`
	Locale   string `json:"locale,omitempty"`
	// Score ranks candidates: the reranker's score (about 0 to 3.5), or with
	// NoRerank the aggregation's, whose scale depends on the aggregation.
	Score float64 `json:"score"`
	// DenseScore is the top dense cosine among the article's questions.
	DenseScore float64 `json:"dense_score"`
	// LexicalScore is the top lexical (BM25) score among its questions.
	LexicalScore float64 `json:"lexical_score"`
	// AnswerDense and AnswerLexical are the answer body's scores.
	AnswerDense   float64 `json:"answer_dense"`
	AnswerLexical float64 `json:"answer_lexical"`
	// MatchedVariants counts the article's question points retrieved by either leg.
	MatchedVariants int `json:"matched_variants"`

	// The reranker's features, each in [0, 1], computed with term weights
	// learned from the KB's own articles (rare across articles weighs more;
	// question templates such as 怎么 or "how do i" weigh little). They are
	// zero when Search ran with NoRerank.

	// Coverage is the weighted share of the query's terms found in the
	// article's questions (any of them): low means the query talks about
	// something the article never mentions.
	Coverage float64 `json:"coverage"`
	// Centroid is the cosine between the query and the article as a whole
	// (the mean of its questions' term vectors).
	Centroid float64 `json:"centroid"`
	// QuestionOverlap is the best weighted Dice overlap between the query
	// and one of the article's questions (1: the same terms).
	QuestionOverlap float64 `json:"question_overlap"`
	// AnswerCoverage is the weighted share of the query's terms found in
	// the answer body.
	AnswerCoverage float64 `json:"answer_coverage"`
	// AnswerOverlap is the weighted Dice overlap of the query and the
	// answer body (high only for a short answer that is nearly the query).
	AnswerOverlap float64 `json:"answer_overlap"`
	// Prob is the reranker's softmax share of this candidate among the
	// rescored ones: the top candidate's Prob is high when it stands out.
	// It is a ranking signal, not a calibrated confidence.
	Prob float64 `json:"prob"`
	// MissUnigram and MissTerm weigh the rarest query character and other
	// term the article has nowhere (relative to the rarest possible), in
	// [0, 1]: high when the query asks about something else.
	MissUnigram float64 `json:"miss_unigram"`
	MissTerm    float64 `json:"miss_term"`
}

// Search finds the published articles of kb that best answer query, best first.
func (k *Library) Search(ctx context.Context, kb, query string, opts SearchOptions) ([]Candidate, error) {
	o := opts.withDefaults()
	if !slices.Contains(Aggregations, o.Aggregation) {
		return nil, fmt.Errorf("unknown aggregation %q", o.Aggregation)
	}
	norm, err := k.emb.Normalize(query)
	if err != nil {
		return nil, fmt.Errorf("normalizing question: %w", err)
	}
	if norm == "" {
		return nil, ErrEmptyQuery
	}
	vecs, err := k.emb.Embed(ctx, []string{query}, embed.RoleQuery)
	if err != nil {
		return nil, fmt.Errorf("embedding question: %w", err)
	}
	filter := searchFilter(kb, o)
	sc := scratchPool.Get().(*searchScratch)
	defer func() {
		// drop this search's lexicon pointers (a reloaded lexicon's points
		// are not kept alive by a pooled scratch)
		clear(sc.denseHits)
		clear(sc.lexicalHits)
		scratchPool.Put(sc)
	}()
	var with index.With // ids and scores: the lexicon has the rest (lexicon.point)
	dense, err := k.store.Query(ctx, PointsCollection, index.QueryRequest{Dense: vecs[0], Filter: filter, Limit: o.PerLeg, Exact: o.exact, With: with, Into: sc.dense})
	if err != nil {
		return nil, fmt.Errorf("dense search: %w", err)
	}
	sc.dense = dense
	var lexical []index.ScoredPoint
	terms := k.sparse.Terms(norm) // both legs' query terms start from these
	if sv := queryVectorOf(k.sparse, norm, terms); len(sv.Indices) > 0 {
		lexical, err = k.store.Query(ctx, PointsCollection, index.QueryRequest{Sparse: &sv, Filter: filter, Limit: o.PerLeg, With: with, Into: sc.lexical})
		if err != nil {
			return nil, fmt.Errorf("lexical search: %w", err)
		}
		sc.lexical = lexical
	}
	lex := o.lex // a view without held-out items (self-calibration), else the KB's
	if lex == nil {
		if lex, err = k.lexicon(ctx, kb); err != nil {
			return nil, err
		}
	}
	sc.denseHits, sc.lexicalHits = lex.resolve(sc.denseHits[:0], dense), lex.resolve(sc.lexicalHits[:0], lexical)
	arts := sc.aggregate(sc.denseHits, sc.lexicalHits, o)
	if !o.NoRerank {
		rerank(arts, lex, lex.query(queryLexTermsOf(k.sparse, norm, terms)), o.Limit)
	}
	n := min(o.Limit, len(arts))
	res := make([]Candidate, n)
	for i := range n {
		res[i] = arts[i].c
	}
	return res, nil
}

// searchFilter keeps kb's published points, and applies locale, scope and validity.
func searchFilter(kb string, o SearchOptions) *index.Filter {
	f := &index.Filter{Must: []index.Condition{
		index.MatchKeyword("kb", kb),
		index.MatchKeyword("status", string(StatusPublished)),
	}}
	f.MustNot = append(f.MustNot, o.exclude...)
	if o.Locale != "" {
		f.Must = append(f.Must, index.MatchKeyword("locale", o.Locale))
	}
	for key, v := range o.Scope {
		field := "scope." + key
		f.Must = append(f.Must, index.Nested(index.Filter{Should: []index.Condition{index.IsEmpty(field), index.MatchKeyword(field, v)}}))
	}
	if !o.At.IsZero() {
		f.Must = append(f.Must,
			index.Nested(index.Filter{Should: []index.Condition{index.IsEmpty("valid_from"), index.TimeRange("valid_from", index.DatetimeRange{Lte: o.At})}}),
			index.Nested(index.Filter{Should: []index.Condition{index.IsEmpty("valid_to"), index.TimeRange("valid_to", index.DatetimeRange{Gt: o.At})}}),
		)
	}
	return f
}

// pointHit is one point a leg returned, resolved through the lexicon.
type pointHit struct {
	p     *lexPoint
	score float64
}

// resolve appends to out the points of published article versions the
// lexicon knows (see lexicon.point), in order, with what Search needs of
// them.
func (l *lexicon) resolve(out []pointHit, pts []index.ScoredPoint) []pointHit {
	for _, sp := range pts {
		if p := l.point(sp.ID); p != nil {
			out = append(out, pointHit{p: p, score: float64(sp.Score)})
		}
	}
	return out
}

// articleAgg collects one article's point scores across both legs.
type articleAgg struct {
	c         Candidate
	bestDense float64 // best dense score, answer down-weighted
	bestLex   float64 // best lexical score, answer down-weighted
	bestPoint float64 // best point-level fused score
	sumPoint  float64 // sum of point-level fused scores
	bestQText float64 // score that picked c.Question
}

func (sc *searchScratch) aggregate(dense, lexical []pointHit, o SearchOptions) []*articleAgg {
	sc.reset()
	arts, fused := sc.arts, sc.fused // fused: point → point-level RRF
	get := func(p *lexPoint) *articleAgg {
		a := arts[p.article]
		if a == nil {
			a = sc.newArticle()
			a.c.ArticleID = p.article
			a.c.Category, a.c.Locale = p.category, p.locale
			a.bestQText = -1
			arts[p.article] = a
		}
		return a
	}
	maxLex := 0.0
	for _, h := range lexical {
		maxLex = max(maxLex, h.score)
	}
	for leg, list := range [][]pointHit{dense, lexical} {
		for rank, h := range list {
			p := h.p
			a := get(p)
			s := h.score
			w := 1.0
			if p.kind == KindAnswer {
				w = o.AnswerWeight
				if leg == 0 {
					a.c.AnswerDense = max(a.c.AnswerDense, s)
				} else {
					a.c.AnswerLexical = max(a.c.AnswerLexical, s)
				}
			} else {
				if leg == 0 {
					a.c.DenseScore = max(a.c.DenseScore, s)
				} else {
					a.c.LexicalScore = max(a.c.LexicalScore, s)
				}
			}
			if leg == 0 {
				a.bestDense = max(a.bestDense, w*s)
			} else if maxLex > 0 {
				a.bestLex = max(a.bestLex, w*s/maxLex)
			}
			r := w / float64(o.RRFK+rank+1)
			if _, seen := fused[p]; !seen && p.kind != KindAnswer {
				a.c.MatchedVariants++ // distinct question points
			}
			fused[p] += r
			a.sumPoint += r
			a.bestPoint = max(a.bestPoint, fused[p])
			// the displayed question: the best-scoring question point by fused score
			if p.kind != KindAnswer && fused[p] > a.bestQText {
				a.bestQText = fused[p]
				a.c.Question, a.c.Kind = p.text, p.kind
			}
		}
	}
	out := sc.out
	for _, a := range arts {
		if a.c.Kind == "" {
			a.c.Kind = KindAnswer
		}
		out = append(out, a)
	}
	switch o.Aggregation {
	case AggBest:
		for _, a := range out {
			a.c.Score = a.bestPoint
		}
	case AggSum:
		for _, a := range out {
			a.c.Score = a.sumPoint
		}
	case AggBlend:
		for _, a := range out {
			a.c.Score = a.bestDense + o.BlendWeight*a.bestLex
		}
	case AggRRF:
		rankBy := func(key func(*articleAgg) float64) map[*articleAgg]int {
			s := slices.Clone(out)
			s = slices.DeleteFunc(s, func(a *articleAgg) bool { return key(a) <= 0 })
			slices.SortFunc(s, func(x, y *articleAgg) int { return cmp.Compare(key(y), key(x)) })
			m := make(map[*articleAgg]int, len(s))
			for i, a := range s {
				m[a] = i + 1
			}
			return m
		}
		rd := rankBy(func(a *articleAgg) float64 { return a.bestDense })
		rl := rankBy(func(a *articleAgg) float64 { return a.bestLex })
		for _, a := range out {
			a.c.Score = 0
			if r, ok := rd[a]; ok {
				a.c.Score += 1 / float64(o.RRFK+r)
			}
			if r, ok := rl[a]; ok {
				a.c.Score += 1 / float64(o.RRFK+r)
			}
		}
	}
	sortArticles(out)
	sc.out = out // its array, grown, for the next search
	return out
}

// searchScratch is the working memory of one Search, reused through
// scratchPool: the articles its points belong to, allocated in chunks
// (pointers to them stay valid), and the maps gathering them. Kept per
// Search, they were a fifth of the bytes a question allocated.
type searchScratch struct {
	// dense and lexical are the store's result buffers (QueryRequest.Into),
	// denseHits and lexicalHits their points resolved.
	dense, lexical         []index.ScoredPoint
	denseHits, lexicalHits []pointHit
	arts                   map[string]*articleAgg
	fused                  map[*lexPoint]float64
	chunks                 [][]articleAgg
	used                   int // articles handed out from chunks
	out                    []*articleAgg
}

var scratchPool = sync.Pool{New: func() any {
	return &searchScratch{arts: map[string]*articleAgg{}, fused: map[*lexPoint]float64{}}
}}

// articleChunk is the number of articles a chunk of searchScratch holds.
const articleChunk = 64

func (sc *searchScratch) reset() {
	clear(sc.arts)
	clear(sc.fused)
	sc.used = 0
	clear(sc.out[:cap(sc.out)]) // drop the last search's pointers
	sc.out = sc.out[:0]
}

// newArticle returns a zeroed article from the chunks.
func (sc *searchScratch) newArticle() *articleAgg {
	c, i := sc.used/articleChunk, sc.used%articleChunk
	if c == len(sc.chunks) {
		sc.chunks = append(sc.chunks, make([]articleAgg, articleChunk))
	}
	sc.used++
	a := &sc.chunks[c][i]
	*a = articleAgg{}
	return a
}

// sortArticles orders articles by score, best first, ties by id.
func sortArticles(arts []*articleAgg) {
	slices.SortFunc(arts, func(x, y *articleAgg) int {
		return cmp.Or(cmp.Compare(y.c.Score, x.c.Score), cmp.Compare(x.c.ArticleID, y.c.ArticleID))
	})
}
