package answer

import (
	"fmt"
	"hash/fnv"
	"time"
)

// queryHalf puts a query in half 0 or 1 by a hash of its text, so the
// same question lands in the same half in every run and tool (eval's
// cross-fit, calibrate's held-out report).
func queryHalf(query string) int {
	h := fnv.New32a()
	h.Write([]byte(query))
	return int(h.Sum32() % 2)
}

// HeldOutReport describes a calibration fitted on one half of labeled
// queries and measured on the other.
type HeldOutReport struct {
	Samples int `json:"samples"`
	// Right counts the samples whose top article was right.
	Right int `json:"right"`
	// HeldOutECE is the ECE on the held-out half.
	HeldOutECE float64 `json:"held_out_ece"`
	// Targets are the thresholds reaching 90, 95 and 98% precision on
	// the held-out half.
	Targets []PrecisionTarget `json:"thresholds"`
	// Prob and Right of each held-out sample, for ThresholdForPrecision.
	HeldOutProb  []float64 `json:"-"`
	HeldOutRight []bool    `json:"-"`
}

// PrecisionTarget is the threshold at which answering reaches Precision.
type PrecisionTarget struct {
	Precision float64 `json:"precision"`
	Threshold float64 `json:"threshold"`
}

// FitHeldOut fits a calibration on half of samples (queries[i] labels
// samples[i]; halves by queryHalf), measures it on the other half, then
// fits the calibration it returns on all of them, stamped at now.
func FitHeldOut(queries []LabeledQuery, samples []Sample, now time.Time) (HeldOutReport, *Calibration, error) {
	rep := HeldOutReport{Samples: len(samples)}
	if len(queries) != len(samples) {
		return rep, nil, fmt.Errorf("%d queries for %d samples", len(queries), len(samples))
	}
	var train, test []Sample
	for i, s := range samples {
		if s.Correct {
			rep.Right++
		}
		if queryHalf(queries[i].Query) == 0 {
			train = append(train, s)
		} else {
			test = append(test, s)
		}
	}
	half, err := FitBoth(train, FitOptions{})
	if err != nil {
		return rep, nil, err
	}
	rep.HeldOutProb, rep.HeldOutRight = make([]float64, len(test)), make([]bool, len(test))
	for i, s := range test {
		rep.HeldOutProb[i], rep.HeldOutRight[i] = half.Probability(s.Features), s.Correct
	}
	rep.HeldOutECE = ECE(rep.HeldOutProb, rep.HeldOutRight, 10)
	for _, p := range []float64{0.90, 0.95, 0.98} {
		rep.Targets = append(rep.Targets, PrecisionTarget{p, ThresholdForPrecision(rep.HeldOutProb, rep.HeldOutRight, p)})
	}
	cal, err := FitBoth(samples, FitOptions{})
	if err != nil {
		return rep, nil, err
	}
	cal.FittedAt = now.UTC().Truncate(time.Second)
	return rep, cal, nil
}
