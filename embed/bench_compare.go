package embed

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Comparison is what `jieda bench embed --model A --compare B` measures:
// both models benchmarked in alternating rounds of the same run, so that
// the ratios are not skewed by a machine whose load changes between runs.
type Comparison struct {
	// Base is the --model run and Other the --compare run, medians over rounds.
	Base  BenchResult `json:"base"`
	Other BenchResult `json:"other"`
	// Rounds are the per-round pairs.
	Rounds []ComparisonRound `json:"rounds"`
	// Ratio is the median over rounds of Other ÷ Base, per metric.
	Ratio ComparisonRatio `json:"ratio"`
}

// ComparisonRound is one round: each model benchmarked once.
type ComparisonRound struct {
	Base  BenchResult     `json:"base"`
	Other BenchResult     `json:"other"`
	Ratio ComparisonRatio `json:"ratio"`
}

// ComparisonRatio holds Other ÷ Base for the headline metrics: above 1
// means Other is faster for throughputs, and slower for latencies.
type ComparisonRatio struct {
	QueryQPS8    float64 `json:"query_qps_8"`
	QueryP50Ms   float64 `json:"query_p50_ms"`
	QueryP99Ms   float64 `json:"query_p99_ms"`
	PassagesPerS float64 `json:"passages_per_s"`
}

func ratioOf(base, other BenchResult) ComparisonRatio {
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return math.Round(a/b*1000) / 1000
	}
	return ComparisonRatio{
		QueryQPS8:    div(other.QueryQPS8, base.QueryQPS8),
		QueryP50Ms:   div(other.QueryP50Ms, base.QueryP50Ms),
		QueryP99Ms:   div(other.QueryP99Ms, base.QueryP99Ms),
		PassagesPerS: div(other.PassagesPerS, base.PassagesPerS),
	}
}

// CompareBench benchmarks base and other in rounds; each round runs both,
// base first in odd rounds and other first in even ones, so that a trend
// in the machine's load favours neither. Open both with CacheSize 0.
func CompareBench(ctx context.Context, base, other *Embedder, opts BenchOptions, rounds int) (Comparison, error) {
	var c Comparison
	if rounds < 1 {
		return c, fmt.Errorf("comparing models: rounds %d must be at least 1", rounds)
	}
	for r := range rounds {
		order := []*Embedder{base, other}
		if r%2 == 1 {
			order = []*Embedder{other, base}
		}
		var res [2]BenchResult
		for _, e := range order {
			b, err := RunBench(ctx, e, opts)
			if err != nil {
				return c, fmt.Errorf("round %d, %s: %w", r+1, e.info.Name, err)
			}
			if e == base {
				res[0] = b
			} else {
				res[1] = b
			}
		}
		c.Rounds = append(c.Rounds, ComparisonRound{Base: res[0], Other: res[1], Ratio: ratioOf(res[0], res[1])})
	}
	c.Base = medianResult(c.Rounds, func(r ComparisonRound) BenchResult { return r.Base })
	c.Other = medianResult(c.Rounds, func(r ComparisonRound) BenchResult { return r.Other })
	med := func(f func(ComparisonRatio) float64) float64 {
		xs := make([]float64, len(c.Rounds))
		for i, r := range c.Rounds {
			xs[i] = f(r.Ratio)
		}
		return median(xs)
	}
	c.Ratio = ComparisonRatio{
		QueryQPS8:    med(func(r ComparisonRatio) float64 { return r.QueryQPS8 }),
		QueryP50Ms:   med(func(r ComparisonRatio) float64 { return r.QueryP50Ms }),
		QueryP99Ms:   med(func(r ComparisonRatio) float64 { return r.QueryP99Ms }),
		PassagesPerS: med(func(r ComparisonRatio) float64 { return r.PassagesPerS }),
	}
	return c, nil
}

// medianResult is the first round's result with every measured figure
// replaced by its median over the rounds.
func medianResult(rounds []ComparisonRound, pick func(ComparisonRound) BenchResult) BenchResult {
	out := pick(rounds[0])
	fields := func(b *BenchResult) []*float64 {
		return []*float64{&b.QueryP50Ms, &b.QueryP99Ms, &b.QueryQPS8, &b.MeanBatch8, &b.PassagesPerS,
			&b.TokensPerS, &b.GFLOPS, &b.QueryGFLOPS, &b.PeakFraction}
	}
	dst := fields(&out)
	for i := range dst {
		xs := make([]float64, len(rounds))
		for j, r := range rounds {
			b := pick(r)
			xs[j] = *fields(&b)[i]
		}
		*dst[i] = median(xs)
	}
	return out
}

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return math.Round((s[n/2-1]+s[n/2])/2*1000) / 1000
}
