package answer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// LearnReport is what a replay of labeled questions as live traffic
// taught a KB (Engine.Replay; jieda eval --learn-from).
type LearnReport struct {
	// Replayed questions, and what jieda did with them.
	Replayed  int `json:"replayed"`
	Answered  int `json:"answered"`
	Clarified int `json:"clarified"`
	Handoffs  int `json:"handoffs"`
	// Labels counts the outcome labels given, by kind of outcome:
	// resolved (an agent named the article), no_answer (an agent said the
	// KB had none), clarify (the customer picked the right option).
	Labels map[string]int `json:"labels"`
	// Stored is how many outcome labels the KB keeps afterwards.
	Stored int `json:"stored"`
	// Calibration is the source of the KB's calibration afterwards.
	Calibration string `json:"calibration"`
}

// Replay asks labeled questions one after the other as live traffic, each
// in a conversation of its own, and plays the people around jieda: an
// agent resolves every handoff with the expected article (or says the KB
// had no answer), and a customer offered a clarify picks the expected
// article when it is offered (sending its question back) and is otherwise
// handed to an agent, who resolves it. Nothing is learned from questions
// answered outright. At the end the KB's calibration is refitted on what
// was learned.
func (e *Engine) Replay(ctx context.Context, kb string, queries []LabeledQuery) (LearnReport, error) {
	rep := LearnReport{Labels: map[string]int{}}
	for i, q := range queries {
		// A refit the labels before started is done before the next
		// question, as live traffic (questions minutes apart, a refit
		// under a second) finds it; without the wait what the replay
		// learned depended on timing and moved from run to run.
		if err := e.WaitCalibrations(ctx); err != nil {
			return rep, err
		}
		conv := &Conversation{ID: "replay-" + strconv.Itoa(i)}
		resp, err := e.Ask(ctx, AskRequest{KB: kb, Question: q.Query, Conversation: conv})
		if errors.Is(err, ErrEmptyQuery) {
			continue
		}
		if err != nil {
			return rep, fmt.Errorf("replaying %q: %w", q.Query, err)
		}
		rep.Replayed++
		switch resp.Decision {
		case DecisionAnswer:
			rep.Answered++
		case DecisionClarify:
			rep.Clarified++
			pick := slices.IndexFunc(resp.Clarify, func(o ClarifyOption) bool { return q.Expect != "" && o.ArticleID == q.Expect })
			if pick >= 0 {
				if _, err := e.Ask(ctx, AskRequest{KB: kb, Question: resp.Clarify[pick].Question, Conversation: conv}); err != nil {
					return rep, fmt.Errorf("replaying a clarify pick: %w", err)
				}
				rep.Labels["clarify"]++
				continue
			}
			// not offered: the customer asks for a person; an agent resolves it
			o := Outcome{KB: kb, Kind: OutcomeResolved, Question: q.Query, ArticleID: q.Expect, NoAnswer: q.Expect == "", Key: "replay:" + conv.ID}
			if _, err := e.RecordOutcome(ctx, o); err != nil {
				return rep, err
			}
			rep.Labels[label(q)]++
		case DecisionHandoff:
			rep.Handoffs++
			r := Resolution{Reply: "(replayed)", Agent: "replay", ArticleID: q.Expect, NoAnswer: q.Expect == ""}
			if _, err := e.ResolveHandoff(ctx, resp.Handoff.ID, r); err != nil {
				return rep, fmt.Errorf("resolving a replayed handoff: %w", err)
			}
			rep.Labels[label(q)]++
		}
	}
	if err := e.WaitCalibrations(ctx); err != nil {
		return rep, err
	}
	if _, err := e.Refit(ctx, kb); err != nil {
		return rep, err
	}
	n, err := e.OutcomeCount(ctx, kb)
	if err != nil {
		return rep, err
	}
	rep.Stored = n
	st, _, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return rep, err
	}
	rep.Calibration = st.CalibrationOrDefault().Source
	return rep, nil
}

func label(q LabeledQuery) string {
	if q.Expect == "" {
		return "no_answer"
	}
	return "resolved"
}
