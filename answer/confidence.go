package answer

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
	"unicode/utf8"
)

// Features are the signals confidence is computed from, for one question
// and its ranked candidates. Every value is finite.
type Features map[string]float64

// FeatureNames lists the features ExtractFeatures computes, in a fixed order.
var FeatureNames = []string{
	"dense_top",     // top article's best question cosine
	"lexical_top",   // log(1 + its best question BM25)
	"dense_margin",  // its cosine minus the best other article's
	"score_margin",  // (top score − runner-up score) / top score
	"agree",         // 1 when the top article also leads both legs alone
	"variants",      // log(1 + its questions retrieved by either leg)
	"query_len",     // log(1 + runes of the normalized question)
	"answer_dense",  // cosine of the question with its answer body
	"score_top",     // its aggregated score
	"lexical_share", // its best question BM25 / the sum over the top 5
	"coverage",      // share of the question's terms found in its questions
	"centroid",      // cosine of the question with its questions' centroid
	"q_overlap",     // best term overlap with one of its questions
	"a_coverage",    // share of the question's terms found in its answer
	"a_overlap",     // term overlap with its answer
	"prob",          // its softmax share of the rerank scores
	"prob_margin",   // its share minus the runner-up's
	"centroid_gap",  // its centroid cosine minus the runner-up's
	// Products and squares let the logistic model bend: a high centroid
	// cosine means more when the terms are covered too.
	"centroid_sq",     // centroid²
	"cov_x_centroid",  // coverage × centroid
	"prob_x_centroid", // prob × centroid
	"dense_sq",        // dense_top²
	"uncovered",       // 1 − coverage, squared: a question term no question of it has
	"miss_unigram",    // the rarest question character it has nowhere
	"miss_term",       // the rarest other question term it has nowhere
	"exact",           // 1 when the question is one of its questions (punctuation and spaces aside)
}

// ExtractFeatures computes Features for the top candidate of a ranking.
// norm is the normalized question; feedback is the top article's smoothed
// feedback balance in [-1, 1] (0 when none).
func ExtractFeatures(norm string, cands []Candidate, feedback float64) Features {
	f := make(Features, len(FeatureNames))
	for _, n := range FeatureNames {
		f[n] = 0
	}
	f["query_len"] = math.Log1p(float64(utf8.RuneCountInString(norm)))
	f["feedback"] = feedback
	if len(cands) == 0 {
		return f
	}
	top := cands[0]
	f["dense_top"] = top.DenseScore
	f["lexical_top"] = math.Log1p(max(top.LexicalScore, 0))
	f["variants"] = math.Log1p(float64(top.MatchedVariants))
	f["answer_dense"] = top.AnswerDense
	f["score_top"] = top.Score
	agree := 1.0
	otherDense, lexSum := 0.0, 0.0
	for i, c := range cands {
		if i > 0 {
			otherDense = max(otherDense, c.DenseScore)
			if c.DenseScore > top.DenseScore || c.LexicalScore > top.LexicalScore {
				agree = 0
			}
		}
		if i < 5 {
			lexSum += max(c.LexicalScore, 0)
		}
	}
	f["agree"] = agree
	f["coverage"], f["centroid"], f["q_overlap"] = top.Coverage, top.Centroid, top.QuestionOverlap
	f["a_coverage"], f["a_overlap"], f["prob"] = top.AnswerCoverage, top.AnswerOverlap, top.Prob
	f["prob_margin"] = top.Prob
	f["centroid_gap"] = top.Centroid
	if len(cands) > 1 {
		f["prob_margin"] -= cands[1].Prob
		f["centroid_gap"] -= cands[1].Centroid
	}
	f["centroid_sq"] = top.Centroid * top.Centroid
	f["cov_x_centroid"] = top.Coverage * top.Centroid
	f["prob_x_centroid"] = top.Prob * top.Centroid
	f["dense_sq"] = top.DenseScore * top.DenseScore
	f["uncovered"] = (1 - top.Coverage) * (1 - top.Coverage)
	f["miss_unigram"], f["miss_term"] = top.MissUnigram, top.MissTerm
	if k := matchKey(norm); k != "" && matchKey(top.Question) == k {
		f["exact"] = 1
	}
	f["dense_margin"] = top.DenseScore - otherDense
	if len(cands) > 1 && top.Score > 0 {
		f["score_margin"] = (top.Score - cands[1].Score) / top.Score
	} else {
		f["score_margin"] = 1
	}
	if lexSum > 0 {
		f["lexical_share"] = max(top.LexicalScore, 0) / lexSum
	}
	for k, v := range f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			f[k] = 0
		}
	}
	return f
}

// Calibration is a logistic model: P(top article answers the question) =
// σ(Bias + Σ Weights[i] · (x[i] − Mean[i]) / Std[i]) over the named features.
type Calibration struct {
	Features []string  `json:"features"`
	Weights  []float64 `json:"weights"`
	Mean     []float64 `json:"mean"`
	Std      []float64 `json:"std"`
	Bias     float64   `json:"bias"`
	// FeedbackWeight adds FeedbackWeight × the top article's feedback
	// balance (Features["feedback"], in (-1, 1)) to the log-odds: labeled
	// query sets carry no customer feedback, so its weight is a prior
	// (DefaultFeedbackWeight) rather than fitted.
	FeedbackWeight float64 `json:"feedback_weight"`
	// FittedAt, Samples and ECE describe the fit (informational).
	FittedAt time.Time `json:"fitted_at,omitzero"`
	Samples  int       `json:"samples,omitempty"`
	ECE      float64   `json:"ece,omitempty"`
	Source   string    `json:"source,omitempty"`
	// Clarify, when set, is a second model over the same features: the
	// probability that the right article is among the top three (what a
	// "did you mean" choice needs). Without it, clarify uses Probability.
	Clarify *Calibration `json:"clarify,omitempty"`
}

// Validate checks the model's shape and numbers.
func (c *Calibration) Validate() error {
	n := len(c.Features)
	if n == 0 {
		return errors.New("no features")
	}
	if len(c.Weights) != n || len(c.Mean) != n || len(c.Std) != n {
		return fmt.Errorf("features, weights, mean and std must have the same length (%d, %d, %d, %d)", n, len(c.Weights), len(c.Mean), len(c.Std))
	}
	for i, name := range c.Features {
		if !slices.Contains(FeatureNames, name) {
			return fmt.Errorf("unknown feature %q (known: %v)", name, FeatureNames)
		}
		for _, x := range []float64{c.Weights[i], c.Mean[i], c.Std[i]} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("feature %q has a non-finite parameter", name)
			}
		}
		if c.Std[i] <= 0 {
			return fmt.Errorf("feature %q: std must be positive", name)
		}
	}
	if math.IsNaN(c.Bias) || math.IsInf(c.Bias, 0) || math.IsNaN(c.FeedbackWeight) || math.IsInf(c.FeedbackWeight, 0) {
		return errors.New("non-finite bias or feedback weight")
	}
	if c.Clarify != nil {
		if c.Clarify.Clarify != nil {
			return errors.New("clarify: a clarify model has no clarify model of its own")
		}
		if err := c.Clarify.Validate(); err != nil {
			return fmt.Errorf("clarify: %w", err)
		}
	}
	return nil
}

// ClarifyProbability is the probability that the right article is among
// the top three candidates.
func (c *Calibration) ClarifyProbability(f Features) float64 {
	if c.Clarify != nil {
		return c.Clarify.Probability(f)
	}
	return c.Probability(f)
}

// Probability returns the calibrated confidence for f, in (0, 1).
func (c *Calibration) Probability(f Features) float64 {
	z := c.Bias + c.FeedbackWeight*f["feedback"]
	for i, name := range c.Features {
		z += c.Weights[i] * (f[name] - c.Mean[i]) / c.Std[i]
	}
	return sigmoid(z)
}

func sigmoid(z float64) float64 {
	p := 1 / (1 + math.Exp(-z))
	return min(max(p, 1e-4), 1-1e-4)
}

// DefaultFeedbackWeight is the log-odds one unit of feedback balance adds:
// ten helpful votes and none unhelpful (balance 0.67) turn a confidence of
// 0.80 into 0.91; the reverse into 0.62.
const DefaultFeedbackWeight = 1.5

// ECE is the expected calibration error over equal-width confidence bins:
// Σ_bins (n_bin / N) · |accuracy_bin − mean confidence_bin|.
func ECE(prob []float64, correct []bool, bins int) float64 {
	if len(prob) == 0 || bins <= 0 {
		return 0
	}
	type bin struct{ n, conf, acc float64 }
	bs := make([]bin, bins)
	for i, p := range prob {
		b := min(int(p*float64(bins)), bins-1)
		bs[b].n++
		bs[b].conf += p
		if correct[i] {
			bs[b].acc++
		}
	}
	e := 0.0
	for _, b := range bs {
		if b.n > 0 {
			e += b.n / float64(len(prob)) * math.Abs(b.acc/b.n-b.conf/b.n)
		}
	}
	return e
}

// SweepRow is precision and coverage when answering at one threshold.
type SweepRow struct {
	Threshold float64 `json:"threshold"`
	Answered  float64 `json:"answered"`  // share of all questions answered
	Precision float64 `json:"precision"` // right among answered
	Coverage  float64 `json:"coverage"`  // right answers ÷ in-scope questions
	// OOSHandoff is the share of out-of-scope questions below the threshold
	// (handed off or clarified rather than answered).
	OOSHandoff float64 `json:"oos_handoff"`
}

// Sweep computes precision/coverage at each threshold from per-question
// confidences; correct[i] says the top article was right, inScope[i]
// that the question has an answer in the KB.
func Sweep(prob []float64, correct, inScope []bool, thresholds []float64) []SweepRow {
	rows := make([]SweepRow, 0, len(thresholds))
	nIn := 0
	for _, in := range inScope {
		if in {
			nIn++
		}
	}
	nOut := len(prob) - nIn
	for _, t := range thresholds {
		var answered, right, oosBelow int
		for i, p := range prob {
			if p >= t {
				answered++
				if correct[i] {
					right++
				}
			} else if !inScope[i] {
				oosBelow++
			}
		}
		r := SweepRow{Threshold: t}
		if len(prob) > 0 {
			r.Answered = float64(answered) / float64(len(prob))
		}
		if answered > 0 {
			r.Precision = float64(right) / float64(answered)
		}
		if nIn > 0 {
			r.Coverage = float64(right) / float64(nIn)
		}
		if nOut > 0 {
			r.OOSHandoff = float64(oosBelow) / float64(nOut)
		}
		rows = append(rows, r)
	}
	return rows
}

// ThresholdForPrecision returns the lowest threshold whose precision on
// the samples reaches target (1 when none does).
func ThresholdForPrecision(prob []float64, correct []bool, target float64) float64 {
	idx := make([]int, len(prob))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return prob[idx[a]] > prob[idx[b]] })
	best, right := 1.0, 0
	for n, i := range idx {
		if correct[i] {
			right++
		}
		if float64(right)/float64(n+1) >= target && (n+1 == len(idx) || prob[idx[n+1]] < prob[i]) {
			best = prob[i]
		}
	}
	return best
}

//go:embed default_calibration.json
var defaultCalibrationJSON []byte

// DefaultCalibration is the calibration that ships, fitted by `jieda
// calibrate` on the sample KB's labeled questions with the builtin model.
// The returned value is shared: do not modify it.
var DefaultCalibration = sync.OnceValue(func() *Calibration {
	var c Calibration
	if err := json.Unmarshal(defaultCalibrationJSON, &c); err != nil {
		panic(fmt.Sprintf("answer: bad default_calibration.json: %v", err))
	}
	if err := c.Validate(); err != nil {
		panic(fmt.Sprintf("answer: bad default_calibration.json: %v", err))
	}
	return &c
})
