package curate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
)

// Defaults and bounds of a knowledge-gap report.
const (
	// DefaultGapWindow is the report window when GapQuery.Since is zero.
	DefaultGapWindow = 7 * 24 * time.Hour
	// DefaultGapLimit and MaxGapLimit bound GapQuery.Limit.
	DefaultGapLimit = 20
	MaxGapLimit     = 200
	// DefaultGapMinCount is GapQuery.MinCount when it is 0.
	DefaultGapMinCount = 2
	// DefaultGapSimilarity is the cosine at which two unanswered questions
	// are one gap (GapQuery.Similarity when it is 0). It is a little looser
	// than curate.cluster_similarity (0.9): a gap report groups what
	// customers ask about, while a review cluster must share one answer.
	DefaultGapSimilarity = 0.85
	// MaxGapQuestions bounds the questions read per window: when a window
	// holds more, the most recent ones are kept and the report says it is
	// truncated. Clustering costs questions × gaps vector products.
	MaxGapQuestions = 5000
	// maxGapExamples is how many example questions a gap shows.
	maxGapExamples = 5
	// maxMedoid bounds the members the representative is chosen among.
	maxMedoid = 50
	// gapEncodeBatch is how many questions are embedded per call.
	gapEncodeBatch = 64
	// gapScrollPage is the scroll page size.
	gapScrollPage = 1000
)

// gapReasons are the handoff reasons that say the KB lacks an answer.
// customer_request and complaint are not knowledge gaps: the customer
// wanted a person, whatever the KB holds.
var gapReasons = []string{
	string(answer.ReasonLowConfidence), string(answer.ReasonOutOfScope),
	string(answer.ReasonAmbiguous), string(answer.ReasonExpiredAnswer),
}

// Reason keys of questions that come from answer events without a handoff.
const (
	// GapReasonClarify: jieda offered a "did you mean" choice.
	GapReasonClarify = "clarify"
	// GapReasonUnanswered: an event below the answer threshold, not
	// answered, with no handoff of its own.
	GapReasonUnanswered = "unanswered"
)

// GapQuery selects a knowledge-gap report.
type GapQuery struct {
	// KB is the knowledge base; required.
	KB string `json:"kb"`
	// Since and Until bound the window, [Since, Until). Until defaults to
	// now, Since to Until − 7 days. The previous period is the window of
	// the same length just before Since.
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Limit is the most gaps returned (default 20, at most 200).
	Limit int `json:"limit"`
	// MinCount drops gaps asked fewer times in the window (default 2).
	MinCount int `json:"min_count"`
	// Similarity is the cosine at which questions join one gap (default
	// DefaultGapSimilarity; (0, 1]).
	Similarity float64 `json:"similarity"`
}

// GapReport is the knowledge-gap report of a KB over a window.
type GapReport struct {
	KB    string    `json:"kb"`
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Questions counts the unanswered questions in the window (every gap,
	// shown or not); PreviousQuestions those of the previous period.
	Questions         int `json:"questions"`
	PreviousQuestions int `json:"previous_questions"`
	// Clusters counts the groups the window's questions fell into; Covered
	// those left out because a pending or approved candidate already
	// covers them (at curate.cluster_similarity).
	Clusters int `json:"clusters"`
	Covered  int `json:"covered"`
	// Truncated says a window held more than MaxGapQuestions questions:
	// only the most recent were read.
	Truncated bool `json:"truncated,omitempty"`
	// Gaps are ordered by count, most first; ties most recently asked first.
	Gaps []Gap `json:"gaps"`
}

// Gap is one thing customers ask that the KB does not answer.
type Gap struct {
	// Representative is the member question most similar to the others
	// (personal data scrubbed, as every text of the report).
	Representative string `json:"representative"`
	// Count is how many times it was asked in the window; Previous in the
	// period before.
	Count    int   `json:"count"`
	Previous int   `json:"previous"`
	Trend    Trend `json:"trend"`
	// Examples are up to 5 other distinct wordings, most recent first
	// (questions from answer events are in their normalized form:
	// simplified Chinese, lowercase Latin).
	Examples []string `json:"examples"`
	// Reasons counts the members by handoff reason (or "clarify",
	// "unanswered" for answer events without a handoff).
	Reasons map[string]int `json:"reasons"`
	// NearMiss is the article the KB would offer for the representative,
	// with its calibrated confidence; nil when retrieval finds none.
	NearMiss  *NearMiss `json:"near_miss,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Trend compares a gap's count with the previous period.
type Trend struct {
	// Delta is Count − Previous.
	Delta int `json:"delta"`
	// Ratio is Count / Previous when Previous > 0.
	Ratio float64 `json:"ratio,omitempty"`
	// New says nothing like it was asked in the previous period.
	New bool `json:"new,omitempty"`
}

// String is "new", or the delta and ratio: "+3 (×2.50)".
func (t Trend) String() string {
	if t.New {
		return "new"
	}
	sign := "+"
	switch {
	case t.Delta < 0:
		sign = "" // %d prints the minus
	case t.Delta == 0:
		sign = "±"
	}
	return fmt.Sprintf("%s%d (×%.2f)", sign, t.Delta, t.Ratio)
}

// NearMiss is the KB's best article for a gap's representative question.
type NearMiss struct {
	ArticleID string `json:"article_id"`
	// Question is the article's standard question.
	Question   string  `json:"question"`
	Confidence float64 `json:"confidence"`
}

// gapQuestion is one unanswered question read for a report.
type gapQuestion struct {
	id     string
	text   string // scrubbed
	reason string
	at     time.Time
	dense  []float32
}

// gapCluster is one group of questions: members in time order, the first
// one (the leader) decides who joins.
type gapCluster struct {
	leader   []float32
	members  []*gapQuestion
	previous int
	rep      *gapQuestion
}

// Gaps reports what customers of a KB asked in a window that the KB could
// not answer, grouped into gaps, with counts, the trend against the
// previous period of the same length, examples and the nearest article.
//
// Its questions are the window's handoffs with a knowledge reason
// (low_confidence, out_of_scope, ambiguous, expired_answer; not
// customer_request or complaint), and the answer events that were not
// answered and have no handoff of their own (a "did you mean" clarify, or
// a confidence under the KB's answer threshold); an event with a handoff
// is counted once, through its handoff. Questions are scrubbed of personal
// data, embedded, and grouped greedily in time order, oldest first: a
// question joins the group whose first question is the most similar, at
// cosine ≥ Similarity, or starts a new one. Questions of the previous
// period are matched to the window's groups by the same rule (those that
// match none are not reported). A group whose representative question is
// already covered by a pending or approved candidate (cosine ≥
// curate.cluster_similarity) is left out: it is in review or was promoted.
func (c *Curator) Gaps(ctx context.Context, q GapQuery) (GapReport, error) {
	q, err := c.gapDefaults(q)
	if err != nil {
		return GapReport{}, err
	}
	if err := c.eng.KnownKB(ctx, q.KB); err != nil {
		return GapReport{}, err
	}
	st, _, err := c.eng.Settings.Get(ctx, q.KB)
	if err != nil {
		return GapReport{}, err
	}
	threshold := st.Thresholds.Answer
	rep := GapReport{KB: q.KB, Since: q.Since, Until: q.Until, Gaps: []Gap{}}

	cur, trunc, err := c.gapQuestions(ctx, q.KB, q.Since, q.Until, threshold)
	if err != nil {
		return GapReport{}, err
	}
	prevSince := q.Since.Add(-q.Until.Sub(q.Since))
	prev, ptrunc, err := c.gapQuestions(ctx, q.KB, prevSince, q.Since, threshold)
	if err != nil {
		return GapReport{}, err
	}
	rep.Truncated = trunc || ptrunc
	if err := c.embedGapQuestions(ctx, cur); err != nil {
		return GapReport{}, err
	}
	rep.Questions, rep.PreviousQuestions = len(cur), len(prev)
	if len(cur) == 0 {
		return rep, nil
	}
	if err := c.embedGapQuestions(ctx, prev); err != nil {
		return GapReport{}, err
	}

	clusters := clusterGapQuestions(cur, q.Similarity)
	rep.Clusters = len(clusters)
	for _, p := range prev {
		if cl := nearestGapCluster(clusters, p.dense, q.Similarity); cl != nil {
			cl.previous++
		}
	}
	var kept []*gapCluster
	for _, cl := range clusters {
		if len(cl.members) < q.MinCount {
			continue
		}
		cl.rep = medoid(cl.members)
		covered, err := c.gapCovered(ctx, q.KB, cl.rep.dense)
		if err != nil {
			return GapReport{}, err
		}
		if covered {
			rep.Covered++
			continue
		}
		kept = append(kept, cl)
	}
	slices.SortStableFunc(kept, func(a, b *gapCluster) int {
		return cmp.Or(cmp.Compare(len(b.members), len(a.members)),
			b.members[len(b.members)-1].at.Compare(a.members[len(a.members)-1].at),
			strings.Compare(a.rep.text, b.rep.text))
	})
	for _, cl := range kept[:min(len(kept), q.Limit)] {
		g, err := c.gap(ctx, q.KB, cl)
		if err != nil {
			return GapReport{}, err
		}
		rep.Gaps = append(rep.Gaps, g)
	}
	return rep, nil
}

// gapDefaults fills in and checks a query's defaults.
func (c *Curator) gapDefaults(q GapQuery) (GapQuery, error) {
	var errs []error
	if err := answer.ValidateID(q.KB); err != nil {
		return q, fmt.Errorf("%w: %w", answer.ErrInvalidKB, err)
	}
	if q.Until.IsZero() {
		q.Until = c.now()
	}
	if q.Since.IsZero() {
		q.Since = q.Until.Add(-DefaultGapWindow)
	}
	q.Since, q.Until = q.Since.UTC(), q.Until.UTC()
	if !q.Since.Before(q.Until) {
		errs = append(errs, fmt.Errorf("since %s must be before until %s", q.Since.Format(time.RFC3339), q.Until.Format(time.RFC3339)))
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultGapLimit
	case q.Limit < 0 || q.Limit > MaxGapLimit:
		errs = append(errs, fmt.Errorf("limit %d must lie in [1, %d]", q.Limit, MaxGapLimit))
	}
	switch {
	case q.MinCount == 0:
		q.MinCount = DefaultGapMinCount
	case q.MinCount < 0:
		errs = append(errs, fmt.Errorf("min_count %d must be at least 1", q.MinCount))
	}
	switch {
	case q.Similarity == 0:
		q.Similarity = DefaultGapSimilarity
	case math.IsNaN(q.Similarity) || q.Similarity < 0 || q.Similarity > 1:
		errs = append(errs, fmt.Errorf("similarity %v must lie in (0, 1]", q.Similarity))
	}
	if len(errs) > 0 {
		return q, fmt.Errorf("%w: %w", ErrInvalidGapQuery, errors.Join(errs...))
	}
	return q, nil
}

// gapQuestions reads the unanswered questions of kb in [since, until),
// oldest first: at most MaxGapQuestions, the most recent (truncated says
// some were left out).
func (c *Curator) gapQuestions(ctx context.Context, kb string, since, until time.Time, threshold float64) (qs []*gapQuestion, truncated bool, err error) {
	window := index.TimeRange("created_at", index.DatetimeRange{Gte: since, Lt: until})
	hf := &index.Filter{Must: []index.Condition{
		index.MatchKeyword("kb", kb), window, index.MatchAnyKeyword("reason", gapReasons...),
	}}
	hs, htrunc, err := c.scrollRecent(ctx, answer.HandoffsCollection, hf, func(r index.Record) (*gapQuestion, error) {
		h, err := index.DecodeDoc[answer.Handoff](r, index.DocKey)
		if err != nil {
			return nil, err
		}
		return &gapQuestion{id: r.ID, text: h.Question, reason: string(h.Reason), at: payloadTime(r.Payload, "created_at")}, nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("reading handoffs: %w", err)
	}
	ef := &index.Filter{
		Must:    []index.Condition{index.MatchKeyword("kb", kb), window},
		MustNot: []index.Condition{index.MatchKeyword("decision", string(answer.DecisionAnswer))},
	}
	es, etrunc, err := c.scrollRecent(ctx, answer.EventsCollection, ef, func(r index.Record) (*gapQuestion, error) {
		if h, _ := r.Payload["handoff_id"].(string); h != "" {
			return nil, nil // counted through its handoff, if a knowledge gap
		}
		d, _ := r.Payload["decision"].(string)
		conf, _ := r.Payload["confidence"].(float64)
		reason := GapReasonClarify
		if d != string(answer.DecisionClarify) {
			if conf >= threshold {
				return nil, nil
			}
			reason = GapReasonUnanswered
		}
		text, _ := r.Payload["normalized"].(string)
		return &gapQuestion{id: r.ID, text: text, reason: reason, at: payloadTime(r.Payload, "created_at")}, nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("reading answer events: %w", err)
	}
	qs = append(hs, es...)
	// Most recent first, to keep the most recent; then back to oldest first.
	slices.SortFunc(qs, func(a, b *gapQuestion) int {
		return cmp.Or(b.at.Compare(a.at), strings.Compare(a.id, b.id))
	})
	truncated = htrunc || etrunc || len(qs) > MaxGapQuestions
	qs = qs[:min(len(qs), MaxGapQuestions)]
	slices.Reverse(qs)
	// Scrub personal data, and drop what no longer has text to embed.
	out := qs[:0]
	for _, q := range qs {
		q.text = strings.TrimSpace(c.Scrub(q.text))
		if n, err := embed.Normalize(q.text); err == nil && n != "" {
			out = append(out, q)
		}
	}
	return out, truncated, nil
}

// scrollRecent reads up to MaxGapQuestions matching points of col, most
// recent first, turning each into a question (nil: skip it).
func (c *Curator) scrollRecent(ctx context.Context, col string, f *index.Filter, conv func(index.Record) (*gapQuestion, error)) ([]*gapQuestion, bool, error) {
	var out []*gapQuestion
	req := index.ScrollRequest{
		Filter: f, Limit: gapScrollPage,
		OrderBy: &index.OrderBy{Key: "created_at", Direction: index.Desc},
		With:    index.With{Payload: true},
	}
	err := index.ScrollAll(ctx, c.store, col, req, func(r index.Record) error {
		q, err := conv(r)
		if err != nil || q == nil {
			return err
		}
		if len(out) == MaxGapQuestions {
			return errEnough
		}
		out = append(out, q)
		return nil
	})
	if errors.Is(err, errEnough) {
		return out, true, nil
	}
	return out, false, err
}

// errEnough stops a scroll that has read all it may keep.
var errEnough = errors.New("enough")

func payloadTime(p index.Payload, key string) time.Time {
	s, _ := p[key].(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// embedGapQuestions sets each question's dense vector, in batches.
func (c *Curator) embedGapQuestions(ctx context.Context, qs []*gapQuestion) error {
	for start := 0; start < len(qs); start += gapEncodeBatch {
		batch := qs[start:min(start+gapEncodeBatch, len(qs))]
		texts := make([]string, len(batch))
		for i, q := range batch {
			texts[i] = q.text
		}
		encs, err := c.eng.Library.Encode(ctx, texts, embed.RoleQuery)
		if err != nil {
			return fmt.Errorf("embedding gap questions: %w", err)
		}
		for i, q := range batch {
			q.dense = encs[i].Dense
		}
	}
	return nil
}

// clusterGapQuestions groups questions (oldest first) greedily: each joins
// the cluster whose leader is the most similar at cosine ≥ sim, or leads a
// new one. The result is in order of creation.
func clusterGapQuestions(qs []*gapQuestion, sim float64) []*gapCluster {
	var clusters []*gapCluster
	for _, q := range qs {
		if cl := nearestGapCluster(clusters, q.dense, sim); cl != nil {
			cl.members = append(cl.members, q)
			continue
		}
		clusters = append(clusters, &gapCluster{leader: q.dense, members: []*gapQuestion{q}})
	}
	return clusters
}

// nearestGapCluster is the cluster whose leader is the most similar to v
// at cosine ≥ sim (the earliest on a tie), or nil.
func nearestGapCluster(clusters []*gapCluster, v []float32, sim float64) *gapCluster {
	var best *gapCluster
	bestCos := sim
	for _, cl := range clusters {
		if cos := float64(dot32(v, cl.leader)); cos >= bestCos && (best == nil || cos > bestCos) {
			best, bestCos = cl, cos
		}
	}
	return best
}

// medoid is the member (among the first maxMedoid) with the highest total
// similarity to the others; the earliest on a tie.
func medoid(members []*gapQuestion) *gapQuestion {
	ms := members[:min(len(members), maxMedoid)]
	best, bestSum := ms[0], math.Inf(-1)
	for i, a := range ms {
		sum := 0.0
		for j, b := range ms {
			if i != j {
				sum += float64(dot32(a.dense, b.dense))
			}
		}
		if sum > bestSum+1e-9 {
			best, bestSum = a, sum
		}
	}
	return best
}

// gapCovered reports whether a pending or approved candidate of kb is at
// least curate.cluster_similarity close to v.
func (c *Curator) gapCovered(ctx context.Context, kb string, v []float32) (bool, error) {
	hits, err := c.store.Query(ctx, CandidatesCollection, index.QueryRequest{
		Dense: v, Limit: 1,
		Filter: &index.Filter{Must: []index.Condition{
			index.MatchKeyword("kb", kb), index.MatchAnyKeyword("status", StatusPending, StatusApproved),
		}},
	})
	if err != nil {
		return false, fmt.Errorf("searching candidates: %w", err)
	}
	return len(hits) == 1 && float64(hits[0].Score) >= c.cfg.ClusterSimilarity, nil
}

// gap builds the report entry of a cluster.
func (c *Curator) gap(ctx context.Context, kb string, cl *gapCluster) (Gap, error) {
	n := len(cl.members)
	g := Gap{
		Representative: cl.rep.text, Count: n, Previous: cl.previous,
		Examples: []string{}, Reasons: map[string]int{},
		FirstSeen: cl.members[0].at, LastSeen: cl.members[n-1].at,
	}
	g.Trend.Delta = g.Count - g.Previous
	if g.Previous > 0 {
		g.Trend.Ratio = float64(g.Count) / float64(g.Previous)
	} else {
		g.Trend.New = true
	}
	seen := map[string]bool{textKey(cl.rep.text): true}
	for i := n - 1; i >= 0; i-- {
		m := cl.members[i]
		g.Reasons[m.reason]++
		if k := textKey(m.text); len(g.Examples) < maxGapExamples && !seen[k] {
			seen[k] = true
			g.Examples = append(g.Examples, m.text)
		}
	}
	cands, conf, err := c.eng.Rank(ctx, kb, cl.rep.text)
	if errors.Is(err, answer.ErrEmptyQuery) || errors.Is(err, answer.ErrInvalidQuestion) {
		return g, nil
	}
	if err != nil {
		return Gap{}, fmt.Errorf("ranking gap %q: %w", cl.rep.text, err)
	}
	if len(cands) == 0 {
		return g, nil
	}
	nm := &NearMiss{ArticleID: cands[0].ArticleID, Question: cands[0].Question, Confidence: conf}
	art, err := c.eng.Library.Article(ctx, kb, nm.ArticleID)
	switch {
	case err == nil:
		nm.Question = art.Question
	case !errors.Is(err, answer.ErrArticleNotFound):
		return Gap{}, err
	}
	g.NearMiss = nm
	return g, nil
}

// dot32 is the dot product of two vectors of the same length in float32,
// unrolled by 8 with four accumulators (the hot loop of clustering; about
// 4× the float64 dot).
func dot32(a, b []float32) float32 {
	n := min(len(a), len(b))
	a, b = a[:n], b[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= n; i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += aa[0]*bb[0] + aa[4]*bb[4]
		s1 += aa[1]*bb[1] + aa[5]*bb[5]
		s2 += aa[2]*bb[2] + aa[6]*bb[6]
		s3 += aa[3]*bb[3] + aa[7]*bb[7]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}
