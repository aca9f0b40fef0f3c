package answer

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime"
	"sort"
	"sync"

	"github.com/jieda/jieda/index"
)

// calArticle is a published article as self-calibration sees it: its
// questions in the order of its stored points.
type calArticle struct {
	a  Article
	qs []string
}

// fold is an article's fold among k, from a hash of the KB and its id:
// the same article falls in the same fold at every calibration.
func fold(kb, id string, k int) int {
	h := fnv.New32a()
	h.Write([]byte(kb + "\x00" + id))
	return int(h.Sum32() % uint32(k))
}

// holdout is what one round of probes keeps out of the KB.
type holdout struct {
	// articles are held out whole (their questions are out of scope).
	articles map[string]bool
	// questions are held out by article: indexes into calArticle.qs.
	questions map[string][]int
	// variants holds every variant question out (a KB of standard
	// questions only, to measure transfer).
	variants bool
}

// view returns search options under which the holdout is absent: from
// the store's results (filters) and from the reranker's statistics (a
// lexicon rebuilt without it). base is the KB's current lexicon.
func (e *Engine) view(kb string, base *lexicon, arts map[string]*calArticle, h holdout, so SearchOptions) (SearchOptions, error) {
	changed := map[string]*artLex{}
	var dropIDs, pointIDs []string
	for id := range h.articles {
		changed[id] = nil
		dropIDs = append(dropIDs, id)
	}
	for id, a := range arts {
		if h.articles[id] {
			continue
		}
		hide := h.questions[id]
		if !h.variants && len(hide) == 0 {
			continue
		}
		kept := make([]string, 0, len(a.qs))
		for i, q := range a.qs {
			switch {
			case h.variants && i > 0:
			case containsInt(hide, i):
				// Either id: the point of the published version, or of a store written before versioned ids.
				pointIDs = append(pointIDs, questionPointID(kb, id, a.a.Version, i), legacyPointID(kb, id, i))
			default:
				kept = append(kept, q)
			}
		}
		c := a.a
		c.Question, c.Variants = "", nil
		if len(kept) > 0 {
			c.Question, c.Variants = kept[0], kept[1:]
		}
		al, err := newArtLex(&c, e.Library.emb.Normalize, e.Library.sparse)
		if err != nil {
			return so, fmt.Errorf("article %s: %w", id, err)
		}
		changed[id] = al
	}
	so.lex = base.view(changed)
	so.exact = true
	so.exclude = nil
	if len(dropIDs) > 0 {
		sort.Strings(dropIDs)
		so.exclude = append(so.exclude, index.MatchAnyKeyword("article_id", dropIDs...))
	}
	if len(pointIDs) > 0 {
		so.exclude = append(so.exclude, index.HasID(pointIDs...))
	}
	if h.variants {
		so.exclude = append(so.exclude, index.MatchKeyword("kind", KindVariant))
	}
	return so, nil
}

func containsInt(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// probe is one question self-calibration asks.
type probe struct {
	text string
	// target is the article that answers it; "" when it is out of scope.
	target string
	// kind says where it came from: "variant", "pseudo:<generator>",
	// "oos" (a held-out article's question) or "oos:<generator>".
	kind string
	// group is the article it was made from: held-out ECE folds by it.
	group string
	// locale is that article's: the locale a customer asking it writes in
	// (a pseudo-question is made of normalized, simplified text).
	locale string
}

// probed is a probe's outcome: the features of its ranking and whether
// the top (or top three) candidate was its target.
type probed struct {
	probe
	sample Sample
}

// ask runs probes under search options so concurrently and returns their
// samples, in order. A probe that normalizes to nothing is left out.
func (e *Engine) ask(ctx context.Context, kb string, probes []probe, so SearchOptions) ([]probed, error) {
	out := make([]probed, len(probes))
	keep := make([]bool, len(probes))
	errs := make([]error, len(probes))
	conc := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	next := make(chan int)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := probes[i]
				f, rank, err := e.features(ctx, kb, p.text, p.locale, p.target, so)
				if errors.Is(err, ErrEmptyQuery) || errors.Is(err, ErrInvalidQuestion) {
					continue
				}
				if err != nil {
					errs[i] = fmt.Errorf("probe %q: %w", p.text, err)
					continue
				}
				out[i] = probed{probe: p, sample: Sample{Features: f, Correct: rank == 1, InTop3: rank >= 1 && rank <= 3}}
				keep[i] = true
			}
		}()
	}
	for i := range probes {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	res := out[:0]
	for i := range out {
		if keep[i] {
			res = append(res, out[i])
		}
	}
	return res, nil
}

// features retrieves a question's candidates as Ask does (canonical
// question, the customer's script) and returns the features of the
// ranking and the 1-based rank of target (0: absent or out of scope).
func (e *Engine) features(ctx context.Context, kb, question, locale, target string, so SearchOptions) (Features, int, error) {
	text := CanonicalQuestion(question)
	norm, err := e.Library.emb.Normalize(text)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrInvalidQuestion, err)
	}
	if norm == "" {
		return nil, 0, ErrEmptyQuery
	}
	so.Limit = 10
	cands, err := e.Library.Search(ctx, kb, text, so)
	if err != nil {
		return nil, 0, err
	}
	cands = preferLocale(cands, questionFamily(locale, question))
	rank := 0
	for i, c := range cands {
		if target != "" && c.ArticleID == target {
			rank = i + 1
			break
		}
	}
	return ExtractFeatures(norm, cands, 0), rank, nil
}
