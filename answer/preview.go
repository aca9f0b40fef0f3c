package answer

import (
	"cmp"
	"context"
	"math"
	"slices"
)

type previewKey struct{}

func isPreview(ctx context.Context) bool { v, _ := ctx.Value(previewKey{}).(bool); return v }

// Preview is AskTrace without side effects, for an editor trying
// questions: the same decision, but no handoff is created (a handoff
// decision names its reason and has no id), nothing is logged, no
// conversation is saved and no webhook fires.
func (e *Engine) Preview(ctx context.Context, req AskRequest) (*AskResponse, *Trace, error) {
	return e.AskTrace(context.WithValue(ctx, previewKey{}, true), req)
}

// Contribution is one feature's share of a confidence: its value and
// what it added to the log-odds.
type Contribution struct {
	Feature string  `json:"feature"`
	Value   float64 `json:"value"`
	LogOdds float64 `json:"log_odds"`
}

// Contributions explains Probability(f): each feature's addition to the
// log-odds (the bias excluded), largest effect first.
func (c *Calibration) Contributions(f Features) []Contribution {
	out := make([]Contribution, 0, len(c.Features)+1)
	for i, name := range c.Features {
		out = append(out, Contribution{Feature: name, Value: f[name], LogOdds: c.Weights[i] * (f[name] - c.Mean[i]) / c.Std[i]})
	}
	if c.FeedbackWeight != 0 {
		out = append(out, Contribution{Feature: "feedback", Value: f["feedback"], LogOdds: c.FeedbackWeight * f["feedback"]})
	}
	slices.SortStableFunc(out, func(a, b Contribution) int { return cmp.Compare(math.Abs(b.LogOdds), math.Abs(a.LogOdds)) })
	return out
}
