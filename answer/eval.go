package answer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"
)

// LabeledQuery is one line of a labeled query set: Expect is the id of the
// article that answers Query, or "" when none does.
type LabeledQuery struct {
	Query  string `json:"query"`
	Expect string `json:"expect"`
}

// ReadQueriesFile reads a JSONL labeled query set; blank lines are skipped.
func ReadQueriesFile(path string) ([]LabeledQuery, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read-only
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	var qs []LabeledQuery
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var q LabeledQuery
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", path, n, err)
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return qs, nil
}

// EvalOptions tunes Evaluate.
type EvalOptions struct {
	Search SearchOptions
	// Concurrency is how many queries run at once (default GOMAXPROCS×2).
	Concurrency int
}

// EvalReport is what Evaluate measures. Ranking metrics are over in-scope
// queries (those with an expected article).
type EvalReport struct {
	Queries int     `json:"queries"`
	InScope int     `json:"in_scope"`
	Hit1    float64 `json:"hit1"`
	Hit3    float64 `json:"hit3"`
	MRR10   float64 `json:"mrr10"`
	NDCG10  float64 `json:"ndcg10"`
	P50ms   float64 `json:"p50_ms"`
	P99ms   float64 `json:"p99_ms"`
}

// Evaluate runs every query through Search concurrently and reports ranking
// quality and latency.
func (k *Library) Evaluate(ctx context.Context, kb string, queries []LabeledQuery, opts EvalOptions) (EvalReport, error) {
	conc := opts.Concurrency
	if conc <= 0 {
		conc = 2 * runtime.GOMAXPROCS(0)
	}
	so := opts.Search
	so.Limit = max(so.Limit, 10)
	ranks := make([]int, len(queries)) // 1-based rank of the expected article, 0 if absent
	lat := make([]float64, len(queries))
	errs := make([]error, len(queries))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, q := range queries {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			cands, err := k.Search(ctx, kb, q.Query, so)
			lat[i] = float64(time.Since(start).Microseconds()) / 1000
			if errors.Is(err, ErrEmptyQuery) {
				return // nothing to search: a handoff, never a hit
			}
			if err != nil {
				errs[i] = fmt.Errorf("query %d %q: %w", i, q.Query, err)
				return
			}
			for r, c := range cands {
				if c.ArticleID == q.Expect {
					ranks[i] = r + 1
					break
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return EvalReport{}, err
	}
	for _, err := range errs {
		if err != nil {
			return EvalReport{}, err
		}
	}
	rep := EvalReport{Queries: len(queries)}
	for i, q := range queries {
		if q.Expect == "" {
			continue
		}
		rep.InScope++
		r := ranks[i]
		if r == 0 || r > 10 {
			continue
		}
		if r == 1 {
			rep.Hit1++
		}
		if r <= 3 {
			rep.Hit3++
		}
		rep.MRR10 += 1 / float64(r)
		rep.NDCG10 += 1 / math.Log2(float64(r)+1)
	}
	if rep.InScope > 0 {
		n := float64(rep.InScope)
		rep.Hit1, rep.Hit3, rep.MRR10, rep.NDCG10 = rep.Hit1/n, rep.Hit3/n, rep.MRR10/n, rep.NDCG10/n
	}
	slices.Sort(lat)
	rep.P50ms, rep.P99ms = percentile(lat, 0.50), percentile(lat, 0.99)
	return rep, nil
}

// percentile of sorted xs by nearest rank.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
