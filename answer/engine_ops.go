package answer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Now is the engine's clock.
func (e *Engine) Now() time.Time { return e.now() }

// Normalize is the embedder's text normalization (what retrieval sees).
func (k *Library) Normalize(text string) (string, error) { return k.emb.Normalize(text) }

// ImportArticles upserts articles into kb (see KB.Import) and makes kb
// known with default settings when it is new. st, when set, receives the
// counts. When the KB is new or changed materially, it then calibrates
// itself in the background (see NeedsSelfCalibration, WaitCalibrations).
func (e *Engine) ImportArticles(ctx context.Context, kb string, arts []Article, st *ImportStats) error {
	if err := ValidateID(kb); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidKB, err)
	}
	return e.ImportArticlesWith(ctx, kb, arts, ImportOptions{}, st)
}

// ImportArticlesWith is ImportArticles with import options (progress, batch size).
func (e *Engine) ImportArticlesWith(ctx context.Context, kb string, arts []Article, opts ImportOptions, st *ImportStats) error {
	mu := e.writeLock(kb)
	mu.Lock()
	defer mu.Unlock()
	return e.importLocked(ctx, kb, arts, opts, st)
}

// importLocked is ImportArticlesWith with kb's write lock held.
func (e *Engine) importLocked(ctx context.Context, kb string, arts []Article, opts ImportOptions, st *ImportStats) error {
	var before map[string]Article
	ids := make([]string, len(arts))
	for i := range arts {
		ids[i] = arts[i].ID
	}
	if e.onChange != nil {
		var err error
		if before, err = e.Library.Articles(ctx, kb, ids); err != nil {
			return err
		}
	}
	s, err := e.Library.Import(ctx, kb, arts, opts)
	if st != nil {
		*st = s
	}
	if err != nil {
		return err
	}
	if err := e.Settings.Ensure(ctx, kb); err != nil {
		return err
	}
	if err := e.notifyChanges(ctx, kb, before, ids); err != nil {
		return err
	}
	if !opts.NoSelfCalibration {
		e.autoCalibrate(ctx, kb)
	}
	return nil
}

// ResolveHandoff closes a handoff with the agent's reply (and wakes the
// webhook deliverer for its "handoff.resolved" event). A resolution that
// names the right article (ArticleID, which must exist) or says the KB
// had none (NoAnswer) is also recorded as an outcome label
// (RecordOutcome), and so is the agent's verdict on a suggested answer
// (Suggestion, or read from ArticleID), which also counts toward its
// category's graduation (Autonomy).
func (e *Engine) ResolveHandoff(ctx context.Context, id string, r Resolution) (Handoff, error) {
	if r.ArticleID != "" {
		prev, err := e.Handoffs.Get(ctx, id)
		if err != nil {
			return prev, err
		}
		if _, err := e.Library.Article(ctx, prev.KB, r.ArticleID); errors.Is(err, ErrArticleNotFound) {
			return Handoff{}, fmt.Errorf("%w: article_id %q is not an article of knowledge base %s", ErrInvalidHandoff, r.ArticleID, prev.KB)
		} else if err != nil {
			return Handoff{}, err
		}
	}
	h, err := e.Handoffs.Resolve(ctx, id, r)
	if err != nil {
		return h, err
	}
	e.notify(h.ID)
	if s := h.Suggested; s != nil {
		verdict := r.Suggestion
		if verdict == "" && (r.ArticleID != "" || r.NoAnswer) {
			verdict = SuggestionRejected
			if r.ArticleID == s.ArticleID {
				verdict = SuggestionAccepted
			}
		}
		if verdict != "" {
			if err := e.recordVerdict(ctx, h.KB, h.Category, verdict == SuggestionAccepted, false); err != nil {
				e.logger.Warn("recording a verdict on a suggestion", "kb", h.KB, "handoff", h.ID, "err", err)
			}
			if r.ArticleID == "" && !r.NoAnswer {
				o := Outcome{KB: h.KB, Kind: OutcomeSuggestion, Question: h.Question, Locale: h.Locale, Key: "handoff:" + h.ID}
				if verdict == SuggestionAccepted {
					o.ArticleID = s.ArticleID
				} else {
					o.NotArticleID = s.ArticleID
				}
				if _, err := e.RecordOutcome(ctx, o); err != nil {
					e.logger.Warn("recording a suggestion's label", "kb", h.KB, "handoff", h.ID, "err", err)
				}
			}
		}
	}
	if r.ArticleID != "" || r.NoAnswer {
		o := Outcome{KB: h.KB, Kind: OutcomeResolved, Question: h.Question, Locale: h.Locale,
			ArticleID: r.ArticleID, NoAnswer: r.NoAnswer, Key: "handoff:" + h.ID}
		if _, err := e.RecordOutcome(ctx, o); err != nil {
			e.logger.Warn("recording a resolved handoff's label", "kb", h.KB, "handoff", h.ID, "err", err)
		}
	}
	return h, nil
}

// Feedback records a customer's verdict on an answer (EventLog.Feedback)
// and learns from it: an outcome label (at customer weight, capped per
// customer, who names the key or customer giving it) and live evidence of
// the answered article's category (Autonomy).
func (e *Engine) Feedback(ctx context.Context, in FeedbackInput, customer string, allowed func(kb string) bool) (Event, error) {
	ev, err := e.Events.Feedback(ctx, in, customer, allowed)
	if err != nil || ev.Decision != DecisionAnswer || ev.ArticleID == "" {
		return ev, err
	}
	art, err := e.Library.Article(ctx, ev.KB, ev.ArticleID)
	if err != nil {
		e.logger.Warn("feedback on an article that is gone", "kb", ev.KB, "article", ev.ArticleID, "err", err)
		return ev, nil
	}
	helpful := *in.Helpful
	if err := e.recordVerdict(ctx, ev.KB, art.Category, helpful, true); err != nil {
		e.logger.Warn("recording live evidence", "kb", ev.KB, "err", err)
	}
	if ev.Normalized != "" {
		o := Outcome{KB: ev.KB, Kind: OutcomeFeedback, Question: ev.Normalized, Key: "answer:" + ev.ID, Customer: customer}
		if helpful {
			o.ArticleID = ev.ArticleID
		} else {
			o.NotArticleID = ev.ArticleID
		}
		if _, err := e.RecordOutcome(ctx, o); err != nil {
			e.logger.Warn("recording feedback's label", "kb", ev.KB, "err", err)
		}
	}
	return ev, nil
}

// Sweep deletes, in every KB, the points no published article owns (see
// KB.Sweep), each KB under its write lock; it returns how many it deleted.
func (e *Engine) Sweep(ctx context.Context) (int, error) {
	kbs, err := e.Settings.List(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, kb := range kbs {
		mu := e.writeLock(kb)
		mu.Lock()
		n, err := e.Library.Sweep(ctx, kb)
		mu.Unlock()
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
