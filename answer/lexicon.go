package answer

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
)

// A lexicon is what the reranker learns from one KB's own articles: each
// article's terms (questions and answer) and how many articles use each
// term. Article frequency is the point: question templates (怎么, "how do
// i", 我想了解) turn up in the questions of nearly every article and weigh
// nothing, while a term found in one article's paraphrases weighs most.
//
// A lexicon is immutable once built; changes make a new one that shares
// the untouched articles (copy on write), so Search reads it without locks.
type lexicon struct {
	arts map[string]*artLex
	qdf  map[uint32]int32 // articles whose questions have the term
	adf  map[uint32]int32 // articles whose answer has the term

	// Derived from the above when the lexicon is built (see derive).
	qidf    map[uint32]float64 // idf by qdf
	aidf    map[uint32]float64 // idf by adf
	derived map[string]*artDerived

	// points are the points of the articles' published versions by id:
	// Search reads what it needs of a point here, so the store returns
	// ids and scores only. A view (see view) shares its base's, which
	// may then hold points of articles the view does not (shared).
	points map[string]*lexPoint
	shared bool
}

// lexPoint is what Search needs of one point of an article.
type lexPoint struct {
	article, kind, text, category, locale string
}

// artLex is one article's terms.
type artLex struct {
	// version is the article's published version: Search uses only the
	// points of this version (an import's unpublished ones are skipped).
	version int
	// questions holds each question's distinct terms.
	questions [][]lexTerm
	// postTerms are the questions' distinct terms, ascending, and
	// postLists[i] the questions that have postTerms[i] (MaxVariants+1 <
	// 1<<16). score walks them beside the query's sorted terms.
	postTerms []uint32
	postLists [][]uint16
	// answerTerms are the answer body's distinct terms, ascending, and
	// answerClasses their classes.
	answerTerms   []uint32
	answerClasses []termClass
	// points are the published version's points by id (see
	// articlePoints); nil in a view's changed articles.
	points map[string]*lexPoint
}

// artDerived are an article's sums under the lexicon's current IDF.
type artDerived struct {
	centroidNorm float64   // norm of the question centroid
	questionSum  []float64 // each question's term weight sum
	answerSum    float64   // the answer's term weight sum (by answer IDF)
}

// newArtLex tokenizes an article's questions and answer.
func newArtLex(a *Article, norm func(string) (string, error), sp *embed.SparseEncoder) (*artLex, error) {
	qs := a.Questions()
	al := &artLex{version: a.Version, questions: make([][]lexTerm, 0, len(qs))}
	posts := map[uint32][]uint16{}
	for i, q := range qs {
		n, err := norm(q)
		if err != nil {
			return nil, err
		}
		ts := lexTerms(sp, n)
		al.questions = append(al.questions, ts)
		for _, t := range ts {
			posts[t.id] = append(posts[t.id], uint16(i))
		}
	}
	n, err := norm(a.Answer)
	if err != nil {
		return nil, err
	}
	answer := map[uint32]termClass{}
	for _, t := range lexTerms(sp, n) {
		answer[t.id] = t.class
	}
	al.postTerms = slices.Sorted(maps.Keys(posts))
	al.postLists = make([][]uint16, len(al.postTerms))
	for i, t := range al.postTerms {
		al.postLists[i] = posts[t]
	}
	al.answerTerms = slices.Sorted(maps.Keys(answer))
	al.answerClasses = make([]termClass, len(al.answerTerms))
	for i, t := range al.answerTerms {
		al.answerClasses[i] = answer[t]
	}
	return al, nil
}

// with returns a copy of l with the given articles replaced (nil removes one).
func (l *lexicon) with(changed map[string]*artLex) *lexicon {
	nl := l.apply(changed)
	nl.points = maps.Clone(l.points)
	if nl.points == nil {
		nl.points = map[string]*lexPoint{}
	}
	for id, a := range changed {
		if old := l.arts[id]; old != nil {
			for pid := range old.points {
				delete(nl.points, pid)
			}
		}
		if a != nil {
			maps.Copy(nl.points, a.points)
		}
	}
	return nl
}

// view is with for a self-calibration probe, whose changed articles are
// copies with questions held out: it keeps l's points, as the store
// returns the kept questions' points under their own ids (and filters out
// the held-out ones).
func (l *lexicon) view(changed map[string]*artLex) *lexicon {
	nl := l.apply(changed)
	nl.points, nl.shared = l.points, true
	return nl
}

// apply returns a copy of l with the changed articles' terms replaced.
func (l *lexicon) apply(changed map[string]*artLex) *lexicon {
	nl := &lexicon{arts: maps.Clone(l.arts), qdf: maps.Clone(l.qdf), adf: maps.Clone(l.adf)}
	if nl.arts == nil {
		nl.arts, nl.qdf, nl.adf = map[string]*artLex{}, map[uint32]int32{}, map[uint32]int32{}
	}
	for id, a := range changed {
		if old := nl.arts[id]; old != nil {
			nl.count(old, -1)
			delete(nl.arts, id)
		}
		if a != nil {
			nl.count(a, 1)
			nl.arts[id] = a
		}
	}
	nl.derive()
	return nl
}

// articlePoints are the points of an article's stored version (see
// Import), by id: its questions (the standard one first) and its answer.
// legacy: they have the ids of a store written before ids named versions.
func articlePoints(kb string, a *Article, legacy bool) map[string]*lexPoint {
	qs := a.Questions()
	out := make(map[string]*lexPoint, len(qs)+1)
	for j := -1; j < len(qs); j++ {
		p := &lexPoint{article: a.ID, kind: KindAnswer, text: a.Answer, category: a.Category, locale: a.Locale}
		switch {
		case j == 0:
			p.kind, p.text = KindQuestion, qs[j]
		case j > 0:
			p.kind, p.text = KindVariant, qs[j]
		}
		id := questionPointID(kb, a.ID, a.Version, j)
		if legacy {
			id = legacyPointID(kb, a.ID, j)
		}
		out[id] = p
	}
	return out
}

func (l *lexicon) count(a *artLex, d int32) {
	for _, id := range a.postTerms {
		if l.qdf[id] += d; l.qdf[id] <= 0 {
			delete(l.qdf, id)
		}
	}
	for _, id := range a.answerTerms {
		if l.adf[id] += d; l.adf[id] <= 0 {
			delete(l.adf, id)
		}
	}
}

// derive computes the IDF tables and each article's sums: a pass over all
// terms, a few milliseconds for a thousand articles.
func (l *lexicon) derive() {
	n := len(l.arts)
	l.qidf = make(map[uint32]float64, len(l.qdf))
	for t, df := range l.qdf {
		l.qidf[t] = idf(n, df)
	}
	l.aidf = make(map[uint32]float64, len(l.adf))
	for t, df := range l.adf {
		l.aidf[t] = idf(n, df)
	}
	l.derived = make(map[string]*artDerived, n)
	for id, a := range l.arts {
		d := &artDerived{questionSum: make([]float64, len(a.questions))}
		nq := float64(max(1, len(a.questions)))
		for i, t := range a.postTerms {
			w := l.qidf[t] * float64(len(a.postLists[i])) / nq
			d.centroidNorm += w * w
		}
		d.centroidNorm = math.Sqrt(d.centroidNorm)
		for i, ts := range a.questions {
			for _, t := range ts {
				d.questionSum[i] += l.termWeight(t)
			}
		}
		for i, t := range a.answerTerms {
			d.answerSum += a.answerClasses[i].scale(l.aidf[t])
		}
		l.derived[id] = d
	}
}

// idf is the inverse article frequency of a term among n articles whose
// frequency is df (BM25's, always positive).
func idf(n int, df int32) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// lexicons caches each KB's lexicon, built from the store on a KB's first
// Search and kept current by Import. The zero value is ready to use.
type lexicons struct {
	mu  sync.Mutex
	kbs map[string]*lexEntry
	// maxAge overrides lexiconRefresh when positive (Options.LexiconRefresh).
	maxAge time.Duration
}

type lexEntry struct {
	gen      uint64        // bumped by every change to the KB
	lex      *lexicon      // nil until loaded
	loadedAt time.Time     // when lex was loaded from the store
	loading  chan struct{} // non-nil while a load runs; closed when it ends
}

// lexiconRefresh is how old a loaded lexicon may grow before a Search
// reloads it from the store in the background, by default. This process's own changes
// apply at once (update); the reload picks up those other replicas made to
// a shared store (Qdrant).
var lexiconRefresh = 2 * time.Minute

// refreshAfter is the age at which a loaded lexicon is reloaded.
func (c *lexicons) refreshAfter() time.Duration {
	if c.maxAge > 0 {
		return c.maxAge
	}
	return lexiconRefresh
}

func (c *lexicons) entry(kb string) *lexEntry {
	if c.kbs == nil {
		c.kbs = map[string]*lexEntry{}
	}
	e := c.kbs[kb]
	if e == nil {
		e = &lexEntry{}
		c.kbs[strings.Clone(kb)] = e // a caller's string may alias a reused request buffer
	}
	return e
}

// get returns kb's lexicon, loading it with load when it is not cached.
// A load that overlaps a change is not kept, so a Search that starts after
// a change returns always sees it.
func (c *lexicons) get(ctx context.Context, kb string, load func(context.Context) (*lexicon, error)) (*lexicon, error) {
	for {
		c.mu.Lock()
		e := c.entry(kb)
		if e.lex != nil {
			l := e.lex
			if e.loading == nil && time.Since(e.loadedAt) > c.refreshAfter() {
				c.refresh(ctx, e, load)
			}
			c.mu.Unlock()
			return l, nil
		}
		if ch := e.loading; ch != nil {
			c.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		gen, ch := e.gen, make(chan struct{})
		e.loading = ch
		c.mu.Unlock()

		l, err := load(ctx)

		c.mu.Lock()
		if err == nil && e.gen == gen {
			e.lex, e.loadedAt = l, time.Now()
		}
		e.loading = nil
		close(ch)
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return l, nil // a change during the load was concurrent with this Search
	}
}

// refresh reloads e in the background (c.mu held); the current lexicon
// serves meanwhile, and a reload that overlaps a change is dropped.
func (c *lexicons) refresh(ctx context.Context, e *lexEntry, load func(context.Context) (*lexicon, error)) {
	gen, ch := e.gen, make(chan struct{})
	e.loading = ch
	go func() {
		// the reload outlives the Search that started it
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		l, err := load(ctx)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err == nil && e.gen == gen {
			e.lex, e.loadedAt = l, time.Now()
		}
		if err != nil {
			e.loadedAt = time.Now() // try again after another interval
		}
		e.loading = nil
		close(ch)
	}()
}

// update applies changed articles (nil: deleted) to kb's cached lexicon,
// if one is loaded, and makes any load in flight be redone.
func (c *lexicons) update(kb string, changed map[string]*artLex) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entry(kb)
	e.gen++
	if e.lex != nil {
		e.lex = e.lex.with(changed)
	}
}

// invalidate drops kb's cached lexicon: the next Search rebuilds it.
func (c *lexicons) invalidate(kb string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entry(kb)
	e.gen++
	e.lex = nil
}

// lexiconUpdate records imported articles in the cached lexicon of kb.
func (k *Library) lexiconUpdate(kb string, arts []Article) error {
	changed := make(map[string]*artLex, len(arts))
	for i := range arts {
		al, err := newArtLex(&arts[i], k.emb.Normalize, k.sparse)
		if err != nil {
			k.lex.invalidate(kb)
			return fmt.Errorf("article %s: %w", arts[i].ID, err)
		}
		al.points = articlePoints(kb, &arts[i], false) // written now: versioned ids
		changed[strings.Clone(arts[i].ID)] = al
	}
	k.lex.update(kb, changed)
	return nil
}

// lexiconDelete removes deleted articles from the cached lexicon of kb.
func (k *Library) lexiconDelete(kb string, ids []string) {
	changed := make(map[string]*artLex, len(ids))
	for _, id := range ids {
		changed[strings.Clone(id)] = nil
	}
	k.lex.update(kb, changed)
}

// lexicon returns kb's lexicon, built from the stored articles (all of
// them, whatever their status: Search's filter decides what is returned).
func (k *Library) lexicon(ctx context.Context, kb string) (*lexicon, error) {
	return k.lex.get(ctx, kb, func(ctx context.Context) (*lexicon, error) {
		changed := map[string]*artLex{}
		req := index.ScrollRequest{Filter: &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb)}}, Limit: 1000, With: index.With{Payload: true}}
		for {
			page, err := k.store.Scroll(ctx, ArticlesCollection, req)
			if err != nil {
				return nil, fmt.Errorf("reading articles: %w", err)
			}
			for _, r := range page.Points {
				sa, err := decodeStored(r.Payload)
				if err != nil {
					return nil, err
				}
				al, err := newArtLex(&sa.art, k.emb.Normalize, k.sparse)
				if err != nil {
					return nil, fmt.Errorf("article %s: %w", sa.art.ID, err)
				}
				al.points = articlePoints(kb, &sa.art, sa.legacy)
				changed[sa.art.ID] = al
			}
			if page.Next == "" {
				break
			}
			req.Cursor = page.Next
		}
		return (&lexicon{}).with(changed), nil
	})
}

// point returns what Search needs of the point with this id: one of a
// published article version's points (an import writes a version's points
// before it publishes the article, see KB.Import, and those are not
// answered from until then), of an article in the lexicon; nil otherwise.
func (l *lexicon) point(id string) *lexPoint {
	p := l.points[id]
	if p == nil || l.shared && l.arts[p.article] == nil {
		return nil // (with keeps points to its articles' own)
	}
	return p
}
