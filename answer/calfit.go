package answer

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Sample is one labeled question for calibration: its features, whether
// the top article was the right one, and whether the right one was among
// the top three.
type Sample struct {
	Features Features
	Correct  bool
	InTop3   bool
	// Weight is how much the sample counts in a fit (0 counts as 1).
	Weight float64 `json:"weight,omitempty"`
}

func (s Sample) weight() float64 {
	if s.Weight > 0 {
		return s.Weight
	}
	return 1
}

// FitOptions tunes Fit.
type FitOptions struct {
	// L2 is the ridge penalty on the standardized weights (default 1);
	// unused with a Prior.
	L2 float64
	// Features to use (default FeatureNames, or the Prior's).
	Features []string
	// Top3 fits P(right article among the top three) instead of P(top is right).
	Top3 bool
	// Prior, when set, is the model the fit shrinks toward: features are
	// standardized with its means and deviations, and its bias and weights
	// are the centre of a Gaussian penalty of PriorStrength, so a fit on
	// little evidence stays close to it and one on much evidence follows
	// the data (a maximum a posteriori fit). With Top3 the prior's Clarify
	// model is the centre (the prior itself when it has none).
	Prior *Calibration
	// PriorStrength is the penalty on the squared distance from the prior,
	// per standardized weight (default DefaultPriorStrength).
	PriorStrength float64
}

// DefaultPriorStrength weighs the shipped prior in a fit: the penalty
// λ/2·Σ(w − w_prior)² equals the curvature of the log-likelihood of about
// λ / (p(1−p)) ≈ 4λ to 10λ examples, so a KB whose examples number a few
// hundred is still held half-way to the prior, and one with thousands is
// fitted by its own. A tiny KB thus stays with the shipped model and its
// thresholds: conservative, as it was fitted to answer only when right.
const DefaultPriorStrength = 25.0

// FitBoth fits the answer model and, as its Clarify, the top-three model.
func FitBoth(samples []Sample, opts FitOptions) (*Calibration, error) {
	c, err := Fit(samples, opts)
	if err != nil {
		return nil, err
	}
	opts.Top3 = true
	if c.Clarify, err = Fit(samples, opts); err != nil {
		return nil, fmt.Errorf("clarify model: %w", err)
	}
	return c, nil
}

// Fit fits a Calibration to labeled samples by regularized, weighted
// logistic regression (Newton's method on standardized features): L2
// toward zero, or toward opts.Prior.
func Fit(samples []Sample, opts FitOptions) (*Calibration, error) {
	prior := opts.Prior
	if prior != nil && opts.Top3 && prior.Clarify != nil {
		prior = prior.Clarify
	}
	names := opts.Features
	switch {
	case prior != nil:
		names = prior.Features
	case len(names) == 0:
		names = FeatureNames
	}
	l2 := opts.L2
	if l2 <= 0 {
		l2 = 1
	}
	if prior != nil {
		l2 = opts.PriorStrength
		if l2 <= 0 {
			l2 = DefaultPriorStrength
		}
	}
	if len(samples) < 10 {
		return nil, fmt.Errorf("calibration needs at least 10 labeled questions, got %d", len(samples))
	}
	label := func(s Sample) bool { return s.Correct }
	if opts.Top3 {
		label = func(s Sample) bool { return s.InTop3 }
	}
	var pos, total float64
	for _, s := range samples {
		total += s.weight()
		if label(s) {
			pos += s.weight()
		}
	}
	if pos == 0 || pos == total {
		return nil, fmt.Errorf("calibration needs both right and wrong top answers (%.0f of %.0f right)", pos, total)
	}
	d := len(names)
	c := &Calibration{Features: slices.Clone(names), Weights: make([]float64, d), Mean: make([]float64, d), Std: make([]float64, d), Samples: len(samples)}
	if prior != nil {
		copy(c.Mean, prior.Mean)
		copy(c.Std, prior.Std)
	} else {
		for j, name := range names {
			for _, s := range samples {
				c.Mean[j] += s.weight() * s.Features[name]
			}
			c.Mean[j] /= total
			for _, s := range samples {
				dx := s.Features[name] - c.Mean[j]
				c.Std[j] += s.weight() * dx * dx
			}
			c.Std[j] = math.Sqrt(c.Std[j] / total)
			if c.Std[j] < 1e-9 {
				c.Std[j] = 1 // constant feature: its weight stays ~0
			}
		}
	}
	// x rows with a leading 1 for the bias.
	x := make([][]float64, len(samples))
	y := make([]float64, len(samples))
	for i, s := range samples {
		row := make([]float64, d+1)
		row[0] = 1
		for j, name := range names {
			row[j+1] = (s.Features[name] - c.Mean[j]) / c.Std[j]
		}
		x[i] = row
		if label(s) {
			y[i] = 1
		}
	}
	// centre: the prior's parameters, or zero weights (the bias free).
	centre := make([]float64, d+1)
	w := make([]float64, d+1)
	if prior != nil {
		centre[0] = prior.Bias
		copy(centre[1:], prior.Weights)
		copy(w, centre)
	} else {
		w[0] = math.Log(pos / (total - pos))
	}
	first := 1 // no penalty on the bias without a prior
	if prior != nil {
		first = 0
	}
	// objective is the penalized negative log-likelihood.
	objective := func(w []float64) float64 {
		o := 0.0
		for i, row := range x {
			z := 0.0
			for j, v := range row {
				z += w[j] * v
			}
			// log(1+e^z) − y·z, computed stably
			o += samples[i].weight() * (math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z))) - y[i]*z)
		}
		for j := first; j <= d; j++ {
			o += l2 / 2 * (w[j] - centre[j]) * (w[j] - centre[j])
		}
		return o
	}
	for iter := 0; iter < 100; iter++ {
		grad := make([]float64, d+1)
		hess := make([][]float64, d+1)
		for j := range hess {
			hess[j] = make([]float64, d+1)
		}
		for i, row := range x {
			z := 0.0
			for j, v := range row {
				z += w[j] * v
			}
			p := 1 / (1 + math.Exp(-z))
			sw := samples[i].weight()
			r := sw * (p - y[i])
			h := sw * max(p*(1-p), 1e-9)
			for j, vj := range row {
				grad[j] += r * vj
				for k := j; k < len(row); k++ {
					hess[j][k] += h * vj * row[k]
				}
			}
		}
		for j := first; j <= d; j++ {
			grad[j] += l2 * (w[j] - centre[j])
			hess[j][j] += l2
		}
		for j := range hess {
			for k := 0; k < j; k++ {
				hess[j][k] = hess[k][j]
			}
		}
		step, err := solve(hess, grad)
		if err != nil {
			return nil, fmt.Errorf("fitting calibration: %w", err)
		}
		// damped Newton: halve the step until the objective does not rise
		// (a start far from the optimum, as a prior can be, overshoots)
		before := objective(w)
		next := make([]float64, len(w))
		t := 1.0
		for ; t > 1e-6; t /= 2 {
			for j := range w {
				next[j] = w[j] - t*step[j]
			}
			if objective(next) <= before+1e-12 {
				break
			}
		}
		change := 0.0
		for j := range w {
			change = max(change, math.Abs(next[j]-w[j]))
		}
		copy(w, next)
		if change < 1e-8 {
			break
		}
	}
	c.Bias = w[0]
	copy(c.Weights, w[1:])
	c.FeedbackWeight = DefaultFeedbackWeight
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("fitting calibration: %w", err)
	}
	y2 := make([]bool, len(samples))
	for i, s := range samples {
		y2[i] = label(s)
	}
	c.ECE = ECE(c.predict(samples), y2, 10)
	return c, nil
}

func (c *Calibration) predict(samples []Sample) []float64 {
	p := make([]float64, len(samples))
	for i, s := range samples {
		p[i] = c.Probability(s.Features)
	}
	return p
}

// solve solves a·x = b by Gaussian elimination with partial pivoting.
func solve(a [][]float64, b []float64) ([]float64, error) {
	n := len(b)
	m := make([][]float64, n)
	for i := range a {
		m[i] = append(slices.Clone(a[i]), b[i])
	}
	for col := 0; col < n; col++ {
		piv := col
		for r := col + 1; r < n; r++ {
			if math.Abs(m[r][col]) > math.Abs(m[piv][col]) {
				piv = r
			}
		}
		if math.Abs(m[piv][col]) < 1e-12 {
			return nil, errors.New("singular system")
		}
		m[col], m[piv] = m[piv], m[col]
		for r := col + 1; r < n; r++ {
			f := m[r][col] / m[col][col]
			for k := col; k <= n; k++ {
				m[r][k] -= f * m[col][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x, nil
}
