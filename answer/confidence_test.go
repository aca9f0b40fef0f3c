package answer

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFitRecoversCalibratedProbabilities draws labels from a known
// logistic model and checks Fit recovers probabilities close to it, with
// a small held-out ECE.
func TestFitRecoversCalibratedProbabilities(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	truth := func(f Features) float64 {
		return 1 / (1 + math.Exp(-(-1 + 4*f["dense_top"] - 2*f["query_len"] + 3*f["score_margin"])))
	}
	draw := func(n int) []Sample {
		out := make([]Sample, n)
		for i := range out {
			f := ExtractFeatures("", nil, 0)
			f["dense_top"] = rng.Float64()
			f["query_len"] = rng.Float64()
			f["score_margin"] = rng.Float64() * 0.5
			out[i] = Sample{Features: f, Correct: rng.Float64() < truth(f)}
		}
		return out
	}
	cal, err := Fit(draw(4000), FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	test := draw(4000)
	prob := make([]float64, len(test))
	correct := make([]bool, len(test))
	maxDiff := 0.0
	for i, s := range test {
		prob[i], correct[i] = cal.Probability(s.Features), s.Correct
		maxDiff = max(maxDiff, math.Abs(prob[i]-truth(s.Features)))
	}
	if maxDiff > 0.08 {
		t.Errorf("fitted probabilities differ from the truth by up to %.3f", maxDiff)
	}
	if e := ECE(prob, correct, 10); e > 0.03 {
		t.Errorf("held-out ECE %.3f > 0.03", e)
	}
}

func TestFitRejectsDegenerateData(t *testing.T) {
	var s []Sample
	for range 20 {
		s = append(s, Sample{Features: ExtractFeatures("x", nil, 0), Correct: true})
	}
	if _, err := Fit(s, FitOptions{}); err == nil {
		t.Error("all-correct samples: want an error")
	}
	if _, err := Fit(s[:3], FitOptions{}); err == nil {
		t.Error("3 samples: want an error")
	}
}

func TestECE(t *testing.T) {
	// perfectly calibrated: confidence 0.25 and a quarter right
	prob := []float64{0.25, 0.25, 0.25, 0.25}
	if e := ECE(prob, []bool{true, false, false, false}, 10); e > 1e-12 {
		t.Errorf("ECE = %v, want 0", e)
	}
	if e := ECE([]float64{0.9, 0.9}, []bool{false, false}, 10); math.Abs(e-0.9) > 1e-12 {
		t.Errorf("ECE = %v, want 0.9", e)
	}
}

func TestThresholdForPrecision(t *testing.T) {
	prob := []float64{0.95, 0.9, 0.8, 0.7, 0.6, 0.5}
	right := []bool{true, true, true, false, true, false}
	if got := ThresholdForPrecision(prob, right, 1); got != 0.8 {
		t.Errorf("precision 1: threshold %v, want 0.8", got)
	}
	if got := ThresholdForPrecision(prob, right, 0.8); got != 0.6 {
		t.Errorf("precision 0.8: threshold %v, want 0.6", got)
	}
}

func TestExtractFeatures(t *testing.T) {
	cands := []Candidate{
		{ArticleID: "a", DenseScore: 0.9, LexicalScore: 6, Score: 1.2, MatchedVariants: 3},
		{ArticleID: "b", DenseScore: 0.7, LexicalScore: 2, Score: 0.9},
	}
	f := ExtractFeatures("退货", cands, 0.5)
	for name, want := range map[string]float64{
		"dense_top": 0.9, "dense_margin": 0.2, "agree": 1, "score_margin": 0.25,
		"lexical_share": 0.75, "variants": math.Log1p(3), "query_len": math.Log1p(2),
	} {
		if math.Abs(f[name]-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, f[name], want)
		}
	}
	if f["feedback"] != 0.5 {
		t.Errorf("feedback = %v, want 0.5", f["feedback"])
	}
	if len(f) != len(FeatureNames)+1 { // + feedback
		t.Errorf("%d features, want %d", len(f), len(FeatureNames)+1)
	}
	if got := ExtractFeatures("x", nil, 0)["dense_top"]; got != 0 {
		t.Errorf("no candidates: dense_top %v", got)
	}
}

func TestDefaultCalibrationIsValid(t *testing.T) {
	if err := DefaultCalibration().Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestFitPriorShrinks: fitted toward a prior, little evidence stays near
// it and much evidence follows the data.
func TestFitPriorShrinks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	prior := DefaultCalibration()
	// the truth: only score_margin matters, strongly
	draw := func(n int) []Sample {
		out := make([]Sample, n)
		for i := range out {
			f := ExtractFeatures("", nil, 0)
			for j, name := range prior.Features {
				f[name] = prior.Mean[j] + prior.Std[j]*rng.NormFloat64()
			}
			z := 3 * (f["score_margin"] - prior.Mean[3]) / prior.Std[3]
			out[i] = Sample{Features: f, Correct: rng.Float64() < 1/(1+math.Exp(-z)), InTop3: true}
		}
		return out
	}
	dist := func(c *Calibration) float64 {
		d := math.Abs(c.Bias - prior.Bias)
		for j := range c.Weights {
			d += math.Abs(c.Weights[j] - prior.Weights[j])
		}
		return d
	}
	small, err := Fit(draw(20), FitOptions{Prior: prior})
	if err != nil {
		t.Fatal(err)
	}
	large, err := Fit(draw(5000), FitOptions{Prior: prior})
	if err != nil {
		t.Fatal(err)
	}
	if ds, dl := dist(small), dist(large); ds >= dl/3 {
		t.Errorf("distance from the prior: %.2f with 20 samples, %.2f with 5000; want the small fit much closer", ds, dl)
	}
	if w := large.Weights[3]; math.Abs(w-3) > 0.5 {
		t.Errorf("score_margin weight with 5000 samples = %.2f, want about 3", w)
	}
	if slices.Compare(large.Mean, prior.Mean) != 0 {
		t.Error("a fit with a prior standardizes with the prior's means")
	}
	// weights: a sample of weight 2 counts as two of weight 1
	s := draw(200)
	doubled := append(slices.Clone(s), s[:50]...)
	weighted := slices.Clone(s)
	for i := range 50 {
		weighted[i].Weight = 2
	}
	a, _ := Fit(doubled, FitOptions{})
	b, _ := Fit(weighted, FitOptions{})
	if math.Abs(a.Bias-b.Bias) > 1e-3 {
		t.Errorf("bias %.4f with duplicates, %.4f with weights", a.Bias, b.Bias)
	}
}
