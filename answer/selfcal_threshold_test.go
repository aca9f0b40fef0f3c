package answer

import "testing"

// TestAnswerThreshold picks the least threshold on the grid whose held-out
// answers meet the target precision while handing off enough of the
// out-of-scope examples, and none when no threshold does.
func TestAnswerThreshold(t *testing.T) {
	type ex struct {
		p     float64
		right bool
		oos   bool
		w     float64
	}
	run := func(exs []ex, target float64) float64 {
		var prob, weight []float64
		var right, oos []bool
		for _, e := range exs {
			prob, right, oos, weight = append(prob, e.p), append(right, e.right), append(oos, e.oos), append(weight, e.w)
		}
		return answerThreshold(prob, right, oos, weight, target)
	}
	for _, tt := range []struct {
		name   string
		exs    []ex
		target float64
		want   float64
	}{
		{"separable", []ex{{0.9, true, false, 1}, {0.6, true, false, 1}, {0.3, false, true, 1}}, 0.9, 0.50},
		{"a wrong answer at 0.7 needs 0.75", []ex{{0.9, true, false, 1}, {0.8, true, false, 1}, {0.7, false, false, 1}, {0.2, false, true, 1}}, 0.9, 0.75},
		{"weights count", []ex{{0.9, true, false, 1}, {0.7, false, false, 0.05}, {0.2, false, true, 1}}, 0.9, 0.50},
		{"out of scope must be handed off", []ex{{0.95, true, false, 10}, {0.6, false, true, 1}, {0.3, false, true, 4}}, 0.5, 0.65},
		{"never precise enough", []ex{{0.99, false, false, 1}, {0.96, true, false, 1}, {0.2, false, true, 1}}, 0.9, 0},
		{"nothing answered", []ex{{0.3, true, false, 1}, {0.2, false, true, 1}}, 0.9, 0},
	} {
		if got := run(tt.exs, tt.target); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestThresholdsForSelfCalibrated applies a self-calibrated answer
// threshold only where the KB answers on its self-calibration with the
// default threshold.
func TestThresholdsForSelfCalibrated(t *testing.T) {
	self := &SelfCalibration{AnswerThreshold: 0.75}
	st := DefaultSettings("shop")
	st.SelfCalibration, st.selfCal = self, DefaultCalibration()
	if got := st.ThresholdsFor("billing").Answer; got != 0.75 {
		t.Errorf("default threshold, self-calibrated: answer at %v, want 0.75", got)
	}
	own := st
	own.Thresholds.Answer = 0.9
	if got := own.ThresholdsFor("billing").Answer; got != 0.9 {
		t.Errorf("the shop's own threshold: answer at %v, want 0.9", got)
	}
	labeled := st
	labeled.Calibration = DefaultCalibration()
	if got := labeled.ThresholdsFor("billing").Answer; got != 0.85 {
		t.Errorf("a labeled calibration: answer at %v, want the default 0.85", got)
	}
	cat := st
	cat.Categories = map[string]Thresholds{"refunds": {Answer: 0.95, Clarify: 0.95, OutOfScope: 0.15, ClarifyRatio: 0.8}}
	if got := cat.ThresholdsFor("refunds").Answer; got != 0.95 {
		t.Errorf("a category's own thresholds: answer at %v, want 0.95", got)
	}
	none := st
	none.SelfCalibration = &SelfCalibration{}
	if got := none.ThresholdsFor("billing").Answer; got != 0.85 {
		t.Errorf("no self-calibrated threshold: answer at %v, want 0.85", got)
	}
}
