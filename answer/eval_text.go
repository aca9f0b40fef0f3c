package answer

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints the report as `jieda eval` shows it: one metric a line,
// the handoff reasons, then the threshold sweep.
func (rep AskEvalReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "queries             %d (%d in scope, %d out of scope)\n", rep.Queries, rep.InScope, rep.OutOfScope)
	fmt.Fprintf(w, "hit1                %.3f\nhit3                %.3f\nmrr10               %.3f\nndcg10              %.3f\n", rep.Hit1, rep.Hit3, rep.MRR10, rep.NDCG10)
	fmt.Fprintf(w, "answered            %.3f\nanswer_precision    %.3f\nanswer_coverage     %.3f\n", rep.Answered, rep.AnswerPrecision, rep.AnswerCoverage)
	fmt.Fprintf(w, "clarify_rate        %.3f\nhandoff_rate        %.3f\noos_handoff_recall  %.3f\n", rep.ClarifyRate, rep.HandoffRate, rep.OOSHandoffRecall)
	fmt.Fprintf(w, "ece                 %.3f\np50_ms              %.2f\np99_ms              %.2f\n", rep.ECE, rep.P50ms, rep.P99ms)
	fmt.Fprintf(w, "calibration         %s\n", rep.Calibration)
	fmt.Fprintf(w, "thresholds          answer %.2f, clarify %.2f, out_of_scope %.2f\n", rep.Thresholds.Answer, rep.Thresholds.Clarify, rep.Thresholds.OutOfScope)
	reasons := make([]string, 0, len(rep.Reasons))
	for _, r := range HandoffReasons {
		if n := rep.Reasons[r]; n > 0 {
			reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
		}
	}
	fmt.Fprintf(w, "handoff reasons     %s\n\n", strings.Join(reasons, ", "))
	fmt.Fprintln(w, "threshold sweep (answer when confidence ≥ threshold):")
	fmt.Fprintln(w, "  threshold  answered  precision  coverage  oos_handoff")
	for _, r := range rep.Sweep {
		fmt.Fprintf(w, "  %9.2f  %8.3f  %9.3f  %8.3f  %11.3f\n", r.Threshold, r.Answered, r.Precision, r.Coverage, r.OOSHandoff)
	}
}
