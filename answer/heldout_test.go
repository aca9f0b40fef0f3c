package answer

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// heldOutSamples are n labeled queries whose top article is right with
// probability dense_top (so a calibration has something true to find).
func heldOutSamples(n int) ([]LabeledQuery, []Sample) {
	rng := rand.New(rand.NewPCG(1, 2))
	qs, ss := make([]LabeledQuery, n), make([]Sample, n)
	for i := range n {
		x := rng.Float64()
		qs[i] = LabeledQuery{Query: fmt.Sprintf("问题 %d", i)}
		right := rng.Float64() < x
		ss[i] = Sample{Features: Features{"dense_top": x, "score_margin": x / 2}, Correct: right, InTop3: right || rng.Float64() < 0.5}
	}
	return qs, ss
}

func TestFitHeldOut(t *testing.T) {
	qs, ss := heldOutSamples(2000)
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	rep, cal, err := FitHeldOut(qs, ss, now)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for _, s := range ss {
		if s.Correct {
			right++
		}
	}
	if rep.Samples != 2000 || rep.Right != right {
		t.Errorf("samples %d right %d, want 2000 and %d", rep.Samples, rep.Right, right)
	}
	// The held-out half is the queries queryHalf puts in half 1.
	want := 0
	for _, q := range qs {
		want += queryHalf(q.Query)
	}
	if len(rep.HeldOutProb) != want || want < 800 || want > 1200 {
		t.Errorf("%d held out, want %d (about half)", len(rep.HeldOutProb), want)
	}
	if rep.HeldOutECE > 0.06 {
		t.Errorf("held-out ECE %.3f on a calibrated-by-construction set, want ≤ 0.06", rep.HeldOutECE)
	}
	for _, tg := range rep.Targets {
		var n, ok int
		for i, p := range rep.HeldOutProb {
			if p >= tg.Threshold {
				n++
				if rep.HeldOutRight[i] {
					ok++
				}
			}
		}
		if n == 0 || float64(ok)/float64(n) < tg.Precision {
			t.Errorf("threshold %.3f for precision %.2f: %d/%d right on the held-out half", tg.Threshold, tg.Precision, ok, n)
		}
	}
	if !cal.FittedAt.Equal(now.Truncate(time.Second)) {
		t.Errorf("fitted at %v, want %v", cal.FittedAt, now.Truncate(time.Second))
	}
	if _, _, err := FitHeldOut(qs[:10], ss, now); err == nil {
		t.Error("queries and samples of different lengths were accepted")
	}
}
