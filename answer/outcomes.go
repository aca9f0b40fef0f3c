package answer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// Every outcome is a label: a handoff an agent resolves by naming the
// article that answers it (or saying the KB had none), a clarify option
// the customer picks, feedback on an answer, a question an editor approves
// as a variant, an agent's verdict on a suggested answer. RecordOutcome
// keeps each as a labeled calibration example of its KB (the question
// scrubbed, the features of its ranking now); refits run every
// RefitEvery labels and on demand (Refit), with the KB's
// self-calibration as the prior, so the labels take over in proportion
// to their number.

// OutcomeKind is what an outcome label came from.
type OutcomeKind string

// Outcome kinds.
const (
	// OutcomeResolved: an agent resolved a handoff naming the right
	// article (ArticleID) or saying the KB had no answer (NoAnswer).
	OutcomeResolved OutcomeKind = "resolved"
	// OutcomeClarify: the customer picked a clarify option (ArticleID).
	OutcomeClarify OutcomeKind = "clarify"
	// OutcomeFeedback: a customer marked an answer helpful (ArticleID) or
	// not helpful (NotArticleID).
	OutcomeFeedback OutcomeKind = "feedback"
	// OutcomeVariant: an editor approved the question as a variant of ArticleID.
	OutcomeVariant OutcomeKind = "variant"
	// OutcomeSuggestion: an agent accepted (ArticleID), edited or rejected
	// (NotArticleID) the answer jieda suggested (see Autonomy).
	OutcomeSuggestion OutcomeKind = "suggestion"
)

// OutcomeKinds lists every kind.
var OutcomeKinds = []OutcomeKind{OutcomeResolved, OutcomeClarify, OutcomeFeedback, OutcomeVariant, OutcomeSuggestion}

// Limits and weights of outcome labels.
const (
	// MaxOutcomes is how many outcome labels a KB keeps; the oldest go first.
	MaxOutcomes = 5000
	// RefitEvery is how many new labels start a background refit.
	RefitEvery = 25
	// CustomerLabelWeight is the weight of a label a customer gave
	// (feedback, a clarify pick): customers are noisier than agents.
	CustomerLabelWeight = 0.5
	// MaxLabelsPerCustomer caps the labels one customer (or API key) gives
	// a KB, so that no one can poison its calibration.
	MaxLabelsPerCustomer = 20
)

// Outcome is one labeled question from what agents, customers or editors did.
type Outcome struct {
	KB   string      `json:"kb"`
	Kind OutcomeKind `json:"kind"`
	// Question is the customer's question; personal data is scrubbed
	// (the engine's scrubber) before it is kept.
	Question string `json:"question"`
	Locale   string `json:"locale,omitempty"`
	// ArticleID is the article that answers the question; NoAnswer says
	// the KB had none; NotArticleID is an article that does not answer it.
	// Exactly one is set.
	ArticleID    string `json:"article_id,omitempty"`
	NoAnswer     bool   `json:"no_answer,omitempty"`
	NotArticleID string `json:"not_article_id,omitempty"`
	// Key names the event the label came from (a handoff or answer id): a
	// later outcome with the same key replaces the earlier one.
	Key string `json:"key,omitempty"`
	// Customer names who gave a customer label (their labels are capped).
	Customer string `json:"customer,omitempty"`
}

// OutcomeResult is what RecordOutcome kept.
type OutcomeResult struct {
	// Recorded is false when the label says nothing about the KB's ranking
	// now (an article said not to answer is no longer the top one), or
	// its customer gave MaxLabelsPerCustomer already.
	Recorded bool    `json:"recorded"`
	Weight   float64 `json:"weight"`
	// TopRight says whether the KB's top article for the question is now
	// the right one; Category is the top article's category.
	TopRight bool   `json:"top_right"`
	Category string `json:"category,omitempty"`
	// Refit is true when the label started a refit of the calibration.
	Refit bool `json:"refit"`
}

// validate checks an outcome.
func (o *Outcome) validate() error {
	var errs []string
	if !slices.Contains(OutcomeKinds, o.Kind) {
		errs = append(errs, fmt.Sprintf("kind %q must be one of %v", o.Kind, OutcomeKinds))
	}
	if strings.TrimSpace(o.Question) == "" || !utf8.ValidString(o.Question) || utf8.RuneCountInString(o.Question) > MaxQuestionRunes*4 {
		errs = append(errs, "question must be valid UTF-8, non-empty and not too long")
	}
	set := 0
	for _, b := range []bool{o.ArticleID != "", o.NoAnswer, o.NotArticleID != ""} {
		if b {
			set++
		}
	}
	if set != 1 {
		errs = append(errs, "exactly one of article_id, no_answer and not_article_id must be set")
	}
	for _, f := range []string{o.Key, o.Customer, o.Locale} {
		if len(f) > maxHandoffField || !utf8.ValidString(f) {
			errs = append(errs, "key, customer and locale must be valid UTF-8 of at most 256 bytes")
			break
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidOutcome, strings.Join(errs, "; "))
	}
	return nil
}

// customerKind reports a label a customer gave.
func (k OutcomeKind) customer() bool { return k == OutcomeClarify || k == OutcomeFeedback }

// RecordOutcome keeps an outcome as a labeled example of its KB: the
// features of the question's ranking in the KB now, labeled with whether
// the top article (and the top three) hold the right one. It starts a
// background refit every RefitEvery labels.
func (e *Engine) RecordOutcome(ctx context.Context, o Outcome) (OutcomeResult, error) {
	var res OutcomeResult
	if err := e.KnownKB(ctx, o.KB); err != nil {
		return res, err
	}
	if err := o.validate(); err != nil {
		return res, err
	}
	for _, id := range []string{o.ArticleID, o.NotArticleID} {
		if id != "" {
			if _, err := e.Library.Article(ctx, o.KB, id); err != nil {
				return res, err
			}
		}
	}
	target := cmpOr(o.ArticleID, o.NotArticleID)
	f, rank, top, err := e.outcomeFeatures(ctx, o.KB, o.Question, o.Locale, target)
	if err != nil {
		return res, err
	}
	res.Category = top.Category
	ex := storedExample{F: encodeFeatures(f), Weight: 1}
	switch {
	case o.ArticleID != "":
		ex.Right, ex.Top3 = rank == 1, rank >= 1 && rank <= 3
	case o.NoAnswer:
		ex.OOS = true
	default: // NotArticleID: a label only while that article is the top one
		if rank != 1 {
			return res, nil
		}
		ex.Top3 = false
	}
	res.TopRight = ex.Right
	if o.Kind.customer() {
		ex.Weight = CustomerLabelWeight
		if o.Customer != "" {
			n, err := e.examples.store.Count(ctx, ExamplesCollection, &index.Filter{Must: []index.Condition{
				index.MatchKeyword("kb", o.KB), index.MatchKeyword("kind", exampleOutcome), index.MatchKeyword("customer", o.Customer)}})
			if err != nil {
				return res, fmt.Errorf("counting labels: %w", err)
			}
			if n >= MaxLabelsPerCustomer {
				return res, nil
			}
		}
	}
	question := o.Question
	question = e.scrub(question)
	if err := e.examples.putOutcome(ctx, o, question, ex, res.Category); err != nil {
		return res, err
	}
	res.Recorded, res.Weight = true, ex.Weight
	e.cal.mu.Lock()
	if e.cal.outcomes == nil {
		e.cal.outcomes = map[string]int{}
	}
	e.cal.outcomes[strings.Clone(o.KB)]++
	due := e.cal.outcomes[o.KB] >= RefitEvery
	e.cal.mu.Unlock()
	if due {
		e.startRefit(ctx, o.KB)
		res.Refit = true
	}
	return res, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// outcomeFeatures ranks a question as Ask does and returns the features,
// target's rank (0: absent) and the top candidate.
func (e *Engine) outcomeFeatures(ctx context.Context, kb, question, locale, target string) (Features, int, Candidate, error) {
	text := CanonicalQuestion(question)
	norm, err := e.Library.emb.Normalize(text)
	if err != nil || norm == "" {
		return nil, 0, Candidate{}, fmt.Errorf("%w: the question is empty or not valid text", ErrInvalidOutcome)
	}
	so := e.search
	so.Limit = 10
	cands, err := e.Library.Search(ctx, kb, text, so)
	if err != nil {
		return nil, 0, Candidate{}, err
	}
	cands = preferLocale(cands, questionFamily(locale, question))
	rank := 0
	for i, c := range cands {
		if c.ArticleID == target {
			rank = i + 1
			break
		}
	}
	var top Candidate
	if len(cands) > 0 {
		top = cands[0]
	}
	return ExtractFeatures(norm, cands, 0), rank, top, nil
}

// outcomeDoc is one outcome label as stored.
type outcomeDoc struct {
	Names     []string      `json:"names"`
	Example   storedExample `json:"example"`
	Question  string        `json:"question"`
	ArticleID string        `json:"article_id,omitempty"`
	NoAnswer  bool          `json:"no_answer,omitempty"`
}

// putOutcome stores a label and drops the oldest beyond MaxOutcomes.
func (s *exampleStore) putOutcome(ctx context.Context, o Outcome, question string, ex storedExample, category string) error {
	doc := outcomeDoc{Names: FeatureNames, Example: ex, Question: question, ArticleID: cmpOr(o.ArticleID, o.NotArticleID), NoAnswer: o.NoAnswer}
	js, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encoding outcome: %w", err)
	}
	key := o.Key
	if key == "" {
		key = uuid.NewString()
	}
	p := index.Payload{"kb": o.KB, "kind": exampleOutcome, "source": string(o.Kind), "category": category,
		"at": s.now().UTC().Format(time.RFC3339Nano), "data": string(js)}
	if o.Customer != "" && o.Kind.customer() {
		p["customer"] = o.Customer
	}
	if err := s.store.Upsert(ctx, ExamplesCollection, []index.Point{{ID: examplePointID(o.KB, exampleOutcome, key), Payload: p}}); err != nil {
		return fmt.Errorf("saving outcome: %w", err)
	}
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", o.KB), index.MatchKeyword("kind", exampleOutcome)}}
	n, err := s.store.Count(ctx, ExamplesCollection, f)
	if err != nil || n <= s.maxOutcomes {
		return err
	}
	page, err := s.store.Scroll(ctx, ExamplesCollection, index.ScrollRequest{Filter: f, Limit: n - s.maxOutcomes,
		OrderBy: &index.OrderBy{Key: "at", Direction: index.Asc}})
	if err != nil {
		return fmt.Errorf("reading old outcomes: %w", err)
	}
	ids := make([]string, len(page.Points))
	for i, r := range page.Points {
		ids[i] = r.ID
	}
	if err := s.store.Delete(ctx, ExamplesCollection, ids); err != nil {
		return fmt.Errorf("dropping old outcomes: %w", err)
	}
	return nil
}

// outcomeSamples reads kb's outcome labels as calibration samples.
func (s *exampleStore) outcomeSamples(ctx context.Context, kb string) ([]Sample, error) {
	var out []Sample
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb), index.MatchKeyword("kind", exampleOutcome)}}
	err := s.each(ctx, f, func(r index.Record) error {
		var doc outcomeDoc
		js, _ := r.Payload["data"].(string)
		if err := json.Unmarshal([]byte(js), &doc); err != nil {
			return fmt.Errorf("decoding outcome %s: %w", r.ID, err)
		}
		x := doc.Example
		if x.Weight <= 0 {
			return nil
		}
		out = append(out, Sample{Features: decodeFeatures(doc.Names, x.F), Correct: x.Right, InTop3: x.Top3, Weight: x.Weight})
		return nil
	})
	return out, err
}

// OutcomeCount is how many outcome labels kb keeps.
func (e *Engine) OutcomeCount(ctx context.Context, kb string) (int, error) {
	return e.examples.store.Count(ctx, ExamplesCollection, &index.Filter{Must: []index.Condition{
		index.MatchKeyword("kb", kb), index.MatchKeyword("kind", exampleOutcome)}})
}

// resetOutcomeCount marks kb's outcomes as fitted.
func (e *Engine) resetOutcomeCount(kb string) {
	e.cal.mu.Lock()
	defer e.cal.mu.Unlock()
	delete(e.cal.outcomes, kb)
}

// Refit fits kb's calibration again on its stored self-calibration
// examples and outcome labels (no new probes: a second or so), and saves it.
func (e *Engine) Refit(ctx context.Context, kb string) (SelfCalibration, error) {
	if err := e.KnownKB(ctx, kb); err != nil {
		return SelfCalibration{}, err
	}
	mu := e.calLock(kb)
	mu.Lock()
	defer mu.Unlock()
	st, _, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return SelfCalibration{}, err
	}
	if st.SelfCalibration == nil {
		return e.selfCalibrate(ctx, kb)
	}
	start := time.Now()
	rep := *st.SelfCalibration
	ex, err := e.examples.loadSelf(ctx, kb)
	if err != nil {
		return rep, err
	}
	outcomes, err := e.examples.outcomeSamples(ctx, kb)
	if err != nil {
		return rep, err
	}
	e.resetOutcomeCount(kb)
	cal := e.refit(kb, ex, outcomes, &rep, st.Target())
	rep.RefitMS = time.Since(start).Milliseconds()
	return rep, e.saveSelfReport(ctx, kb, rep, cal)
}

// startRefit runs Refit in the background.
func (e *Engine) startRefit(ctx context.Context, kb string) {
	kb = strings.Clone(kb)
	e.cal.wg.Add(1)
	ctx, cancel := e.background(ctx)
	go func() {
		defer e.cal.wg.Done()
		defer cancel()
		if _, err := e.Refit(ctx, kb); err != nil {
			e.logger.Warn("refitting the calibration on outcomes", "kb", kb, "err", err)
		}
	}()
}
