package answer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/jieda/jieda/index"
)

// errStopScroll ends a scroll early.
var errStopScroll = errors.New("enough")

// maxOutcomeScan bounds how many resolved handoffs LabeledOutcomes reads.
const maxOutcomeScan = 20000

// LabeledOutcomes are kb's resolved handoffs that agents labeled, as
// labeled questions: the question and the article the reply came from
// (Expect), or Expect "" when the agent said the KB had no answer. Newest
// first, at most limit.
func (e *Engine) LabeledOutcomes(ctx context.Context, kb string, limit int) ([]LabeledQuery, error) {
	type labeled struct {
		q  LabeledQuery
		at int64
	}
	var all []labeled
	scanned := 0
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb), index.MatchKeyword("status", string(HandoffResolved))}}
	err := index.ScrollAll(ctx, e.Library.store, HandoffsCollection, index.ScrollRequest{Filter: f, Limit: 500, With: index.With{Payload: true}}, func(r index.Record) error {
		if scanned++; scanned > maxOutcomeScan {
			return errStopScroll
		}
		h, err := decodeHandoff(r)
		if err != nil {
			return err
		}
		if res := h.Resolution; res != nil && (res.ArticleID != "" || res.NoAnswer) {
			all = append(all, labeled{LabeledQuery{Query: h.Question, Expect: res.ArticleID}, res.ResolvedAt.UnixNano()})
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopScroll) && !errors.Is(err, index.ErrCollectionNotFound) {
		return nil, fmt.Errorf("reading resolved handoffs: %w", err)
	}
	slices.SortStableFunc(all, func(a, b labeled) int { return cmp.Compare(b.at, a.at) })
	out := make([]LabeledQuery, 0, min(len(all), limit))
	for _, l := range all[:min(len(all), limit)] {
		out = append(out, l.q)
	}
	return out, nil
}

// ReliabilityBin is one bar of a reliability diagram: the questions
// whose confidence fell in [Lo, Hi), their mean confidence and how often
// the top article was right.
type ReliabilityBin struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Count      int     `json:"count"`
	Confidence float64 `json:"confidence"`
	Accuracy   float64 `json:"accuracy"`
}

// CalibrationCurve is how a KB's confidence behaves on labeled questions:
// a reliability diagram and precision, coverage and out-of-scope
// handoffs per answer threshold, for the KB and for each category (the
// category of a question's top article, whose thresholds it meets).
type CalibrationCurve struct {
	Examples    int                      `json:"examples"`
	InScope     int                      `json:"in_scope"`
	ECE         float64                  `json:"ece"`
	Reliability []ReliabilityBin         `json:"reliability"`
	Sweep       []SweepRow               `json:"sweep"`
	Categories  map[string]CategoryCurve `json:"categories,omitempty"`
}

// CategoryCurve is the sweep of one category's questions.
type CategoryCurve struct {
	Examples int        `json:"examples"`
	Sweep    []SweepRow `json:"sweep"`
}

// CalibrationCurve ranks every example as a customer's question would be
// (Rank: nothing is logged or handed off) and measures the KB's
// confidence against the labels at each of thresholds (nil: DefaultSweep).
func (e *Engine) CalibrationCurve(ctx context.Context, kb string, examples []LabeledQuery, thresholds []float64) (CalibrationCurve, error) {
	if thresholds == nil {
		thresholds = DefaultSweep
	}
	n := len(examples)
	prob, correct, inScope := make([]float64, n), make([]bool, n), make([]bool, n)
	cats := make([]string, n)
	errs := make([]error, n)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, q := range examples {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			cands, conf, err := e.Rank(ctx, kb, q.Query)
			if errors.Is(err, ErrEmptyQuery) {
				err = nil
			}
			errs[i] = err
			prob[i], inScope[i] = conf, q.Expect != ""
			if len(cands) > 0 {
				correct[i], cats[i] = cands[0].ArticleID == q.Expect, cands[0].Category
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return CalibrationCurve{}, err
	}
	c := CalibrationCurve{Examples: n, ECE: ECE(prob, correct, 10), Sweep: Sweep(prob, correct, inScope, thresholds), Categories: map[string]CategoryCurve{}}
	for _, in := range inScope {
		if in {
			c.InScope++
		}
	}
	c.Reliability = reliability(prob, correct, 10)
	byCat := map[string][]int{}
	for i, cat := range cats {
		if cat != "" {
			byCat[cat] = append(byCat[cat], i)
		}
	}
	for cat, idx := range byCat {
		p, r, in := make([]float64, len(idx)), make([]bool, len(idx)), make([]bool, len(idx))
		for j, i := range idx {
			p[j], r[j], in[j] = prob[i], correct[i], inScope[i]
		}
		c.Categories[cat] = CategoryCurve{Examples: len(idx), Sweep: Sweep(p, r, in, thresholds)}
	}
	return c, nil
}

// reliability bins confidences into bins equal-width bins.
func reliability(prob []float64, correct []bool, bins int) []ReliabilityBin {
	out := make([]ReliabilityBin, bins)
	for b := range out {
		out[b].Lo, out[b].Hi = float64(b)/float64(bins), float64(b+1)/float64(bins)
	}
	for i, p := range prob {
		b := min(int(p*float64(bins)), bins-1)
		out[b].Count++
		out[b].Confidence += p
		if correct[i] {
			out[b].Accuracy++
		}
	}
	for b := range out {
		if n := float64(out[b].Count); n > 0 {
			out[b].Confidence /= n
			out[b].Accuracy /= n
		}
	}
	return out
}
