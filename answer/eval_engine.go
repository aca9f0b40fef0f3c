package answer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// AskEvalOptions tunes Engine.Evaluate.
type AskEvalOptions struct {
	// Concurrency is how many questions are asked at once (default GOMAXPROCS×2).
	Concurrency int
	// CrossFit fits the calibration on one half of the queries and
	// measures on the other (both ways round), so every figure is out of
	// sample. Without it the KB's own (or the default) calibration is used.
	CrossFit bool
	// SweepThresholds are the answer thresholds of the sweep table (default 0.05 … 0.95).
	SweepThresholds []float64
	// Outcomes keeps each question's outcome in the report (Outcomes).
	Outcomes bool
}

// AskEvalReport is what Engine.Evaluate measures: the ranking figures of
// EvalReport over in-scope questions, plus the decisions over all of them.
type AskEvalReport struct {
	EvalReport
	OutOfScope int `json:"out_of_scope"`
	// Answered is the share of all questions answered.
	Answered float64 `json:"answered"`
	// AnswerPrecision is right answers ÷ answers.
	AnswerPrecision float64 `json:"answer_precision"`
	// AnswerCoverage is right answers ÷ in-scope questions.
	AnswerCoverage float64 `json:"answer_coverage"`
	ClarifyRate    float64 `json:"clarify_rate"`
	HandoffRate    float64 `json:"handoff_rate"`
	// OOSHandoffRecall is the share of out-of-scope questions handed off.
	OOSHandoffRecall float64 `json:"oos_handoff_recall"`
	// ECE is the expected calibration error of the confidence that the
	// top article is right (10 bins).
	ECE float64 `json:"ece"`
	// Reasons counts handoffs by reason.
	Reasons     map[HandoffReason]int `json:"handoff_reasons"`
	Calibration string                `json:"calibration"`
	Thresholds  Thresholds            `json:"thresholds"`
	Sweep       []SweepRow            `json:"sweep"`
	// Outcomes is each question's outcome, in query order, when
	// AskEvalOptions.Outcomes asks for them.
	Outcomes []QuestionOutcome `json:"-"`
}

// QuestionOutcome is what one labeled question got: the record to read
// when a figure needs explaining (jieda eval --outcomes).
type QuestionOutcome struct {
	Query    string   `json:"query"`
	Expect   string   `json:"expect"`
	Decision Decision `json:"decision"`
	Answered string   `json:"answered,omitempty"`
	// Verdict: "right" (the expected article answered), "wrong" (another
	// article answered, or an out-of-scope question answered), "missed"
	// (an in-scope question not answered) or "held" (an out-of-scope
	// question not answered).
	Verdict string        `json:"verdict"`
	Reason  HandoffReason `json:"reason,omitempty"`
	// Confidence is that the top article is right; Rank the expected
	// article's 1-based rank among the candidates (0: absent or out of scope).
	Confidence float64  `json:"confidence"`
	Rank       int      `json:"rank"`
	Top        string   `json:"top,omitempty"`
	Features   Features `json:"features,omitempty"`
}

// askResult is one question's outcome.
type askResult struct {
	rank     int // 1-based rank of the expected article among candidates; 0 if absent
	decision Decision
	answered string // article answered
	reason   HandoffReason
	conf     float64
	topRight bool
	features Features
	top      string // the top candidate's article
	ms       float64
}

// Evaluate asks every labeled question through AskTrace (the path of
// /v1/ask) and reports ranking, decision and calibration quality.
func (e *Engine) Evaluate(ctx context.Context, kb string, queries []LabeledQuery, opts AskEvalOptions) (AskEvalReport, error) {
	if len(queries) == 0 {
		return AskEvalReport{}, errors.New("no queries to evaluate")
	}
	st, _, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return AskEvalReport{}, err
	}
	all := make([]int, len(queries))
	for i := range all {
		all[i] = i
	}
	res := make([]askResult, len(queries))
	rep := AskEvalReport{Calibration: "default", Thresholds: st.ThresholdsFor("")}
	switch {
	case st.Calibration != nil:
		rep.Calibration = "kb settings"
	case st.SelfCalibrated() != nil:
		rep.Calibration = st.SelfCalibrated().Source
	}
	if err := e.askAll(ctx, kb, queries, all, res, opts.Concurrency); err != nil {
		return rep, err
	}
	if opts.CrossFit {
		var halves [2][]int
		for i, q := range queries {
			halves[queryHalf(q.Query)] = append(halves[queryHalf(q.Query)], i)
		}
		defer func() { _, _ = e.Settings.Put(context.WithoutCancel(ctx), st) }()
		for fold := range 2 {
			train, test := halves[fold], halves[1-fold]
			samples := make([]Sample, len(train))
			for j, i := range train {
				samples[j] = Sample{Features: res[i].features, Correct: res[i].topRight, InTop3: res[i].rank >= 1 && res[i].rank <= 3}
			}
			cal, err := FitBoth(samples, FitOptions{})
			if err != nil {
				return rep, fmt.Errorf("cross-fitting calibration: %w", err)
			}
			cal.Source = "eval cross-fit"
			fst := st
			fst.Calibration = cal
			if _, err := e.Settings.Put(ctx, fst); err != nil {
				return rep, err
			}
			if err := e.askAll(ctx, kb, queries, test, res, opts.Concurrency); err != nil {
				return rep, err
			}
		}
		rep.Calibration = "cross-fit (2 folds: fitted on one half, measured on the other)"
	}
	rep.summarize(queries, res, opts.SweepThresholds)
	if opts.Outcomes {
		rep.Outcomes = outcomes(queries, res)
	}
	return rep, nil
}

func verdict(expect string, r askResult) string {
	switch {
	case r.decision == DecisionAnswer && r.answered == expect:
		return "right"
	case r.decision == DecisionAnswer:
		return "wrong"
	case expect != "":
		return "missed"
	default:
		return "held"
	}
}

func outcomes(queries []LabeledQuery, res []askResult) []QuestionOutcome {
	out := make([]QuestionOutcome, len(queries))
	for i, q := range queries {
		r := res[i]
		out[i] = QuestionOutcome{
			Query: q.Query, Expect: q.Expect, Decision: r.decision, Answered: r.answered,
			Verdict:    verdict(q.Expect, r),
			Confidence: r.conf, Rank: r.rank, Top: r.top, Features: r.features,
		}
		if r.decision == DecisionHandoff {
			out[i].Reason = r.reason
		}
	}
	return out
}

// askAll asks queries[idx] concurrently, filling res.
func (e *Engine) askAll(ctx context.Context, kb string, queries []LabeledQuery, idx []int, res []askResult, conc int) error {
	if conc <= 0 {
		conc = 2 * runtime.GOMAXPROCS(0)
	}
	errs := make([]error, len(queries))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for _, i := range idx {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			q := queries[i]
			start := time.Now()
			resp, tr, err := e.AskTrace(ctx, AskRequest{KB: kb, Question: q.Query})
			r := askResult{ms: float64(time.Since(start).Microseconds()) / 1000, decision: DecisionHandoff, reason: ReasonOutOfScope}
			switch {
			case errors.Is(err, ErrEmptyQuery):
				// nothing to search: counted as an out-of-scope handoff
			case err != nil:
				errs[i] = fmt.Errorf("query %d %q: %w", i, q.Query, err)
				return
			default:
				r.decision, r.conf, r.features = resp.Decision, resp.Confidence, tr.Features
				if resp.Answer != nil {
					r.answered = resp.Answer.ArticleID
				}
				if resp.Handoff != nil {
					r.reason = resp.Handoff.Reason
				}
				for k, c := range tr.Candidates {
					if c.ArticleID == q.Expect {
						r.rank = k + 1
						break
					}
				}
				if len(tr.Candidates) > 0 {
					r.top = tr.Candidates[0].ArticleID
				}
				r.topRight = r.top != "" && r.top == q.Expect
			}
			res[i] = r
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// DefaultSweep are the thresholds of the sweep table.
var DefaultSweep = []float64{0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95}

func (rep *AskEvalReport) summarize(queries []LabeledQuery, res []askResult, sweep []float64) {
	rep.Queries = len(queries)
	rep.Reasons = map[HandoffReason]int{}
	var answered, right, clarify, handoff, oosHandoff int
	prob := make([]float64, len(res))
	topRight := make([]bool, len(res))
	inScope := make([]bool, len(res))
	lat := make([]float64, len(res))
	for i, q := range queries {
		r := res[i]
		prob[i], topRight[i], inScope[i], lat[i] = r.conf, r.topRight, q.Expect != "", r.ms
		switch r.decision {
		case DecisionAnswer:
			answered++
			if r.answered == q.Expect {
				right++
			}
		case DecisionClarify:
			clarify++
		case DecisionHandoff:
			handoff++
			rep.Reasons[r.reason]++
		}
		if q.Expect == "" {
			rep.OutOfScope++
			if r.decision == DecisionHandoff {
				oosHandoff++
			}
			continue
		}
		rep.InScope++
		if k := r.rank; k >= 1 && k <= 10 {
			if k == 1 {
				rep.Hit1++
			}
			if k <= 3 {
				rep.Hit3++
			}
			rep.MRR10 += 1 / float64(k)
			rep.NDCG10 += 1 / math.Log2(float64(k)+1)
		}
	}
	n := float64(len(queries))
	if rep.InScope > 0 {
		m := float64(rep.InScope)
		rep.Hit1, rep.Hit3, rep.MRR10, rep.NDCG10 = rep.Hit1/m, rep.Hit3/m, rep.MRR10/m, rep.NDCG10/m
		rep.AnswerCoverage = float64(right) / m
	}
	rep.Answered, rep.ClarifyRate, rep.HandoffRate = float64(answered)/n, float64(clarify)/n, float64(handoff)/n
	if answered > 0 {
		rep.AnswerPrecision = float64(right) / float64(answered)
	}
	if rep.OutOfScope > 0 {
		rep.OOSHandoffRecall = float64(oosHandoff) / float64(rep.OutOfScope)
	}
	rep.ECE = ECE(prob, topRight, 10)
	if len(sweep) == 0 {
		sweep = DefaultSweep
	}
	rep.Sweep = Sweep(prob, topRight, inScope, sweep)
	slices.Sort(lat)
	rep.P50ms, rep.P99ms = percentile(lat, 0.50), percentile(lat, 0.99)
}

// CalibrationSamples asks every labeled question and returns its features
// and whether the top article was right, for Fit.
func (e *Engine) CalibrationSamples(ctx context.Context, kb string, queries []LabeledQuery, conc int) ([]Sample, error) {
	idx := make([]int, len(queries))
	for i := range idx {
		idx[i] = i
	}
	res := make([]askResult, len(queries))
	if err := e.askAll(ctx, kb, queries, idx, res, conc); err != nil {
		return nil, err
	}
	out := make([]Sample, len(res))
	for i, r := range res {
		out[i] = Sample{Features: r.features, Correct: r.topRight, InTop3: r.rank >= 1 && r.rank <= 3}
		if out[i].Features == nil {
			out[i].Features = ExtractFeatures("", nil, 0)
		}
	}
	return out, nil
}
