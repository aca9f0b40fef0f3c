package answer

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// Autonomy is how far a KB's category may answer customers on its own.
type Autonomy string

// Autonomy modes.
const (
	// AutonomyAuto answers customers on its own when confident (the
	// decision tiers alone).
	AutonomyAuto Autonomy = "auto"
	// AutonomySuggest sends nothing to a customer on its own: every
	// question jieda would answer or clarify becomes a handoff carrying
	// its suggested answer; the agent's verdict on it is a label.
	AutonomySuggest Autonomy = "suggest"
	// AutonomyGraduated suggests until the agents' acceptances prove the
	// KB's target precision (the Wilson lower bound at 95% of the share
	// accepted reaches it), then answers on its own, and falls back to
	// suggesting when live precision (customer feedback, agents'
	// verdicts) is shown below it (the Wilson upper bound drops under it).
	AutonomyGraduated Autonomy = "graduated"
)

// DefaultAutonomy is the mode of a KB nobody configured: auto, because a
// self-calibrated KB's confidence holds its precision from the first day
// on KBs with variant questions (README, "Trust from day one"); a shop
// that wants agents to vet answers first sets graduated, per category
// where it matters (refunds, payments).
const DefaultAutonomy = AutonomyAuto

// DefaultTargetPrecision is the precision a graduated category must prove.
const DefaultTargetPrecision = 0.9

// Valid reports a known mode ("" counts as the default).
func (a Autonomy) Valid() bool {
	return a == "" || a == AutonomyAuto || a == AutonomySuggest || a == AutonomyGraduated
}

// AutonomyFor is the mode of a category: its own, else the KB's, else DefaultAutonomy.
func (s *Settings) AutonomyFor(category string) Autonomy {
	if a := s.CategoryAutonomy[category]; a != "" {
		return a
	}
	if s.Autonomy != "" {
		return s.Autonomy
	}
	return DefaultAutonomy
}

// Target is the KB's target precision (DefaultTargetPrecision when unset).
func (s *Settings) Target() float64 {
	if s.TargetPrecision > 0 {
		return s.TargetPrecision
	}
	return DefaultTargetPrecision
}

// Suggests reports whether questions of a category go to an agent as
// suggestions: always in suggest mode, until it graduates in graduated mode.
func (s *Settings) Suggests(category string) bool {
	switch s.AutonomyFor(category) {
	case AutonomySuggest:
		return true
	case AutonomyGraduated:
		return !s.evidence[category].Graduated
	}
	return false
}

// Evidence is what a category's graduation rests on.
type Evidence struct {
	// Accepted and Rejected count the agents' verdicts on suggested
	// answers (an edit counts as a rejection) since it last fell back.
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	// Graduated: it answers customers on its own (graduated mode).
	Graduated bool `json:"graduated"`
	// LiveRight and LiveWrong count, since it graduated, answers found
	// helpful or accepted, and answers found not helpful or rejected.
	LiveRight int `json:"live_right"`
	LiveWrong int `json:"live_wrong"`
	// ChangedAt is when it last graduated or fell back.
	ChangedAt time.Time `json:"changed_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// minLiveEvidence is the least live verdicts that can make a graduated
// category fall back.
const minLiveEvidence = 10

// WilsonBounds are the lower and upper bounds of the Wilson score
// interval at 95% for k successes in n trials ((0, 1) when n is 0).
func WilsonBounds(k, n int) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	const z = 1.959964
	p, fn := float64(k)/float64(n), float64(n)
	centre := p + z*z/(2*fn)
	half := z * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn))
	d := 1 + z*z/fn
	return max(0, (centre-half)/d), min(1, (centre+half)/d)
}

// step moves graduated evidence on: it graduates when the acceptances'
// lower bound reaches target, and falls back (starting its count again)
// when at least minLiveEvidence live verdicts' upper bound is below it.
func (ev *Evidence) step(target float64, now time.Time) {
	if !ev.Graduated {
		if lo, _ := WilsonBounds(ev.Accepted, ev.Accepted+ev.Rejected); lo >= target {
			ev.Graduated, ev.LiveRight, ev.LiveWrong, ev.ChangedAt = true, 0, 0, now
		}
		return
	}
	n := ev.LiveRight + ev.LiveWrong
	if _, hi := WilsonBounds(ev.LiveRight, n); n >= minLiveEvidence && hi < target {
		*ev = Evidence{ChangedAt: now}
	}
}

// autonomyPointID is the id of the point holding kb's autonomy evidence.
func autonomyPointID(kb string) string {
	return uuid.NewSHA1(pointNamespace, []byte("autonomy\x00"+kb)).String()
}

// putEvidence saves kb's autonomy evidence beside its settings.
func (s *SettingsStore) putEvidence(ctx context.Context, kb string, ev map[string]Evidence) error {
	js, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encoding autonomy evidence: %w", err)
	}
	p := index.Point{ID: autonomyPointID(kb), Payload: index.Payload{"autonomy": string(js)}}
	if err := s.store.Upsert(ctx, SettingsCollection, []index.Point{p}); err != nil {
		return fmt.Errorf("saving the autonomy evidence of %s: %w", kb, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cache[kb]; ok {
		c.s.evidence = ev
		s.cache[kb] = c
	}
	return nil
}

// Verdict kinds of an agent on a suggested answer.
const (
	SuggestionAccepted = "accepted"
	SuggestionEdited   = "edited"
	SuggestionRejected = "rejected"
)

// recordVerdict adds an agent's verdict on a suggestion, or a customer's
// on an answer (live), to a category's evidence and moves it on.
func (e *Engine) recordVerdict(ctx context.Context, kb, category string, right, live bool) error {
	mu := e.calLock("autonomy\x00" + kb)
	mu.Lock()
	defer mu.Unlock()
	st, _, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return err
	}
	evs := make(map[string]Evidence, len(st.evidence)+1)
	for c, ev := range st.evidence {
		evs[c] = ev
	}
	ev := evs[category]
	switch {
	case live || ev.Graduated:
		if right {
			ev.LiveRight++
		} else {
			ev.LiveWrong++
		}
	case right:
		ev.Accepted++
	default:
		ev.Rejected++
	}
	now := e.now().UTC()
	ev.UpdatedAt = now
	if st.AutonomyFor(category) == AutonomyGraduated {
		ev.step(st.Target(), now)
	}
	evs[strings.Clone(category)] = ev
	return e.Settings.putEvidence(ctx, kb, evs)
}

// CategoryAutonomy is one category's autonomy and its evidence.
type CategoryAutonomy struct {
	Category string   `json:"category"`
	Mode     Autonomy `json:"mode"`
	// Suggesting: its questions go to agents as suggestions now.
	Suggesting bool `json:"suggesting"`
	Evidence
	// AcceptedLower is the Wilson lower bound of the share of suggestions
	// accepted; LiveUpper the upper bound of live precision.
	AcceptedLower float64 `json:"accepted_lower"`
	LiveUpper     float64 `json:"live_upper"`
}

// AutonomyReport is a KB's autonomy per category.
type AutonomyReport struct {
	KB              string             `json:"kb"`
	Default         Autonomy           `json:"default"`
	TargetPrecision float64            `json:"target_precision"`
	Categories      []CategoryAutonomy `json:"categories"`
}

// Autonomy reports kb's autonomy per category (those of its articles, of
// its settings and of its evidence; "" is articles without a category).
func (e *Engine) Autonomy(ctx context.Context, kb string) (AutonomyReport, error) {
	if err := e.KnownKB(ctx, kb); err != nil {
		return AutonomyReport{}, err
	}
	st, _, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return AutonomyReport{}, err
	}
	rep := AutonomyReport{KB: kb, Default: st.AutonomyFor("\x00"), TargetPrecision: st.Target()}
	cats := map[string]bool{}
	for c := range st.CategoryAutonomy {
		cats[c] = true
	}
	for c := range st.evidence {
		cats[c] = true
	}
	q := ArticleQuery{Limit: 500}
	for {
		page, err := e.Library.ListArticles(ctx, kb, q)
		if err != nil {
			return rep, err
		}
		for _, a := range page.Articles {
			cats[a.Category] = true
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	names := make([]string, 0, len(cats))
	for c := range cats {
		names = append(names, c)
	}
	slices.Sort(names)
	for _, c := range names {
		ev := st.evidence[c]
		ca := CategoryAutonomy{Category: c, Mode: st.AutonomyFor(c), Suggesting: st.Suggests(c), Evidence: ev}
		ca.AcceptedLower, _ = WilsonBounds(ev.Accepted, ev.Accepted+ev.Rejected)
		_, ca.LiveUpper = WilsonBounds(ev.LiveRight, ev.LiveRight+ev.LiveWrong)
		rep.Categories = append(rep.Categories, ca)
	}
	return rep, nil
}
