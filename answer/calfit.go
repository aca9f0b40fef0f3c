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
}

// FitOptions tunes Fit.
type FitOptions struct {
	// L2 is the ridge penalty on the standardized weights (default 1).
	L2 float64
	// Features to use (default FeatureNames).
	Features []string
	// Top3 fits P(right article among the top three) instead of P(top is right).
	Top3 bool
}

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

// Fit fits a Calibration to labeled samples by L2-regularized logistic
// regression (Newton's method on standardized features).
func Fit(samples []Sample, opts FitOptions) (*Calibration, error) {
	names := opts.Features
	if len(names) == 0 {
		names = FeatureNames
	}
	l2 := opts.L2
	if l2 <= 0 {
		l2 = 1
	}
	if len(samples) < 10 {
		return nil, fmt.Errorf("calibration needs at least 10 labeled questions, got %d", len(samples))
	}
	label := func(s Sample) bool { return s.Correct }
	if opts.Top3 {
		label = func(s Sample) bool { return s.InTop3 }
	}
	pos := 0
	for _, s := range samples {
		if label(s) {
			pos++
		}
	}
	if pos == 0 || pos == len(samples) {
		return nil, fmt.Errorf("calibration needs both right and wrong top answers (%d of %d right)", pos, len(samples))
	}
	d := len(names)
	c := &Calibration{Features: slices.Clone(names), Weights: make([]float64, d), Mean: make([]float64, d), Std: make([]float64, d), Samples: len(samples)}
	n := float64(len(samples))
	for j, name := range names {
		for _, s := range samples {
			c.Mean[j] += s.Features[name]
		}
		c.Mean[j] /= n
		for _, s := range samples {
			dx := s.Features[name] - c.Mean[j]
			c.Std[j] += dx * dx
		}
		c.Std[j] = math.Sqrt(c.Std[j] / n)
		if c.Std[j] < 1e-9 {
			c.Std[j] = 1 // constant feature: its weight stays ~0
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
	w := make([]float64, d+1)
	w[0] = math.Log(float64(pos) / float64(len(samples)-pos))
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
			r := p - y[i]
			h := max(p*(1-p), 1e-9)
			for j, vj := range row {
				grad[j] += r * vj
				for k := j; k < len(row); k++ {
					hess[j][k] += h * vj * row[k]
				}
			}
		}
		for j := 1; j <= d; j++ { // no penalty on the bias
			grad[j] += l2 * w[j]
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
		change := 0.0
		for j := range w {
			w[j] -= step[j]
			change = max(change, math.Abs(step[j]))
		}
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
