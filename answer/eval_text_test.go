package answer

import (
	"strings"
	"testing"
)

func TestAskEvalReportWriteText(t *testing.T) {
	rep := AskEvalReport{OutOfScope: 2, AnswerPrecision: 0.9, Calibration: "self-calibration",
		Reasons: map[HandoffReason]int{ReasonLowConfidence: 3, ReasonOutOfScope: 1},
		Sweep:   []SweepRow{{Threshold: 0.5, Answered: 0.6, Precision: 0.8, Coverage: 0.55, OOSHandoff: 0.5}}}
	rep.Queries, rep.InScope, rep.Hit1 = 10, 8, 0.75
	var b strings.Builder
	rep.WriteText(&b)
	for _, want := range []string{
		"queries             10 (8 in scope, 2 out of scope)\n",
		"hit1                0.750\n",
		"answer_precision    0.900\n",
		"calibration         self-calibration\n",
		"handoff reasons     low_confidence 3, out_of_scope 1\n",
		"       0.50     0.600      0.800     0.550        0.500\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in:\n%s", want, b.String())
		}
	}
}
