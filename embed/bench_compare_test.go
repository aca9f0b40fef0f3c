package embed

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{2.9, 0.5, 3.16, 1.48, 2.87, 3.51}, 2.885},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %g, want %g", tt.in, got, tt.want)
		}
	}
}

func TestComparisonMedians(t *testing.T) {
	rounds := []ComparisonRound{
		{Base: BenchResult{Model: "a", QueryQPS8: 100, QueryP50Ms: 10, PassagesPerS: 5}, Other: BenchResult{Model: "b", QueryQPS8: 300, QueryP50Ms: 3, PassagesPerS: 10}},
		{Base: BenchResult{Model: "a", QueryQPS8: 50, QueryP50Ms: 20, PassagesPerS: 4}, Other: BenchResult{Model: "b", QueryQPS8: 100, QueryP50Ms: 5, PassagesPerS: 10}},
		{Base: BenchResult{Model: "a", QueryQPS8: 80, QueryP50Ms: 12, PassagesPerS: 5}, Other: BenchResult{Model: "b", QueryQPS8: 200, QueryP50Ms: 4, PassagesPerS: 9}},
	}
	for i := range rounds {
		rounds[i].Ratio = ratioOf(rounds[i].Base, rounds[i].Other)
	}
	want := []ComparisonRatio{
		{QueryQPS8: 3, QueryP50Ms: 0.3, PassagesPerS: 2},
		{QueryQPS8: 2, QueryP50Ms: 0.25, PassagesPerS: 2.5},
		{QueryQPS8: 2.5, QueryP50Ms: 0.333, PassagesPerS: 1.8},
	}
	for i, w := range want {
		if diff := cmp.Diff(w, rounds[i].Ratio); diff != "" {
			t.Errorf("round %d ratio (-want +got):\n%s", i, diff)
		}
	}
	base := medianResult(rounds, func(r ComparisonRound) BenchResult { return r.Base })
	if diff := cmp.Diff(BenchResult{Model: "a", QueryQPS8: 80, QueryP50Ms: 12, PassagesPerS: 5}, base); diff != "" {
		t.Errorf("base medians (-want +got):\n%s", diff)
	}
}
