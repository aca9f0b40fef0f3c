package answer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jieda/jieda/index"
)

// maxInsightScan bounds the answer events and handoffs Insights reads.
const maxInsightScan = 100000

// DayCount is one day's decisions.
type DayCount struct {
	Day       string `json:"day"` // 2006-01-02, UTC
	Answered  int    `json:"answered"`
	Clarified int    `json:"clarified"`
	HandedOff int    `json:"handed_off"`
}

// ReasonCount is how many handoffs had one reason.
type ReasonCount struct {
	Reason HandoffReason `json:"reason"`
	Count  int           `json:"count"`
}

// ArticleInsight is how one article fared: answered with it, handed off
// while it was the top candidate, and its customers' feedback.
type ArticleInsight struct {
	ArticleID string `json:"article_id"`
	Answered  int    `json:"answered"`
	HandedOff int    `json:"handed_off"`
	Helpful   int    `json:"helpful"`
	Unhelpful int    `json:"unhelpful"`
}

// Insights is what happened to a KB's questions in a window.
type Insights struct {
	Since     time.Time        `json:"since"`
	Until     time.Time        `json:"until"`
	Questions int              `json:"questions"`
	Days      []DayCount       `json:"days"`
	Reasons   []ReasonCount    `json:"reasons"`
	Articles  []ArticleInsight `json:"articles"`
	// Truncated says the window held more than could be read.
	Truncated bool `json:"truncated,omitempty"`
}

// Insights reads kb's answer log and handoffs in [since, until): the
// decisions per day, the handoff reasons, and the top articles (at most
// limit) by use. Feedback counts are all-time.
func (e *Engine) Insights(ctx context.Context, kb string, since, until time.Time, limit int) (Insights, error) {
	in := Insights{Since: since, Until: until}
	window := index.TimeRange("created_at", index.DatetimeRange{Gte: since, Lt: until})
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb), window}}
	days := map[string]*DayCount{}
	arts := map[string]*ArticleInsight{}
	art := func(id string) *ArticleInsight {
		if arts[id] == nil {
			arts[id] = &ArticleInsight{ArticleID: id}
		}
		return arts[id]
	}
	reasons := map[HandoffReason]int{}
	n := 0
	err := index.ScrollAll(ctx, e.Library.store, EventsCollection, index.ScrollRequest{Filter: f, Limit: 1000, With: index.With{Payload: true}}, func(r index.Record) error {
		if n++; n > maxInsightScan {
			in.Truncated = true
			return errStopScroll
		}
		at, _ := time.Parse(time.RFC3339Nano, str(r.Payload["created_at"]))
		day := at.UTC().Format(time.DateOnly)
		if days[day] == nil {
			days[day] = &DayCount{Day: day}
		}
		in.Questions++
		switch Decision(str(r.Payload["decision"])) {
		case DecisionAnswer:
			days[day].Answered++
			if id := str(r.Payload["article_id"]); id != "" {
				art(id).Answered++
			}
		case DecisionClarify:
			days[day].Clarified++
		case DecisionHandoff:
			days[day].HandedOff++
			reasons[HandoffReason(str(r.Payload["reason"]))]++
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopScroll) && !errors.Is(err, index.ErrCollectionNotFound) {
		return in, fmt.Errorf("reading the answer log: %w", err)
	}
	n = 0
	err = index.ScrollAll(ctx, e.Library.store, HandoffsCollection, index.ScrollRequest{Filter: f, Limit: 500, With: index.With{Payload: true}}, func(r index.Record) error {
		if n++; n > maxInsightScan {
			in.Truncated = true
			return errStopScroll
		}
		h, err := decodeHandoff(r)
		if err != nil {
			return err
		}
		if len(h.Candidates) > 0 {
			art(h.Candidates[0].ArticleID).HandedOff++
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopScroll) && !errors.Is(err, index.ErrCollectionNotFound) {
		return in, fmt.Errorf("reading handoffs: %w", err)
	}
	for _, d := range days {
		in.Days = append(in.Days, *d)
	}
	slices.SortFunc(in.Days, func(a, b DayCount) int { return cmp.Compare(a.Day, b.Day) })
	for r, c := range reasons {
		in.Reasons = append(in.Reasons, ReasonCount{Reason: r, Count: c})
	}
	slices.SortFunc(in.Reasons, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	for _, a := range arts {
		in.Articles = append(in.Articles, *a)
	}
	slices.SortFunc(in.Articles, func(a, b ArticleInsight) int {
		return cmp.Or(cmp.Compare(b.Answered+b.HandedOff, a.Answered+a.HandedOff), cmp.Compare(a.ArticleID, b.ArticleID))
	})
	in.Articles = in.Articles[:min(len(in.Articles), limit)]
	for i := range in.Articles {
		c, err := e.Events.Counts(ctx, kb, in.Articles[i].ArticleID)
		if err != nil {
			return in, err
		}
		in.Articles[i].Helpful, in.Articles[i].Unhelpful = c.Helpful, c.Unhelpful
	}
	return in, nil
}

func str(v any) string { s, _ := v.(string); return s }
