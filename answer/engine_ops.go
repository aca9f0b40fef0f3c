package answer

import (
	"context"
	"fmt"
	"time"
)

// Now is the engine's clock.
func (e *Engine) Now() time.Time { return e.now() }

// Normalize is the embedder's text normalization (what retrieval sees).
func (k *KB) Normalize(text string) (string, error) { return k.emb.Normalize(text) }

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
	var before map[string]Article
	ids := make([]string, len(arts))
	for i := range arts {
		ids[i] = arts[i].ID
	}
	if e.OnChange != nil {
		var err error
		if before, err = e.KB.Articles(ctx, kb, ids); err != nil {
			return err
		}
	}
	s, err := e.KB.Import(ctx, kb, arts, opts)
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
// (RecordOutcome), and so is the agent's verdict on a suggested answer.
func (e *Engine) ResolveHandoff(ctx context.Context, id string, r Resolution) (Handoff, error) {
	if r.ArticleID != "" {
		prev, err := e.Handoffs.Get(ctx, id)
		if err != nil {
			return prev, err
		}
		if _, err := e.KB.Article(ctx, prev.KB, r.ArticleID); err != nil {
			return prev, fmt.Errorf("%w: article_id: %w", ErrInvalidHandoff, err)
		}
	}
	h, err := e.Handoffs.Resolve(ctx, id, r)
	if err != nil {
		return h, err
	}
	if e.Notify != nil {
		e.Notify(h.ID)
	}
	if r.ArticleID != "" || r.NoAnswer {
		o := Outcome{KB: h.KB, Kind: OutcomeResolved, Question: h.Question, Locale: h.Locale,
			ArticleID: r.ArticleID, NoAnswer: r.NoAnswer, Key: "handoff:" + h.ID}
		if _, err := e.RecordOutcome(ctx, o); err != nil {
			e.Logger.Warn("recording a resolved handoff's label", "kb", h.KB, "handoff", h.ID, "err", err)
		}
	}
	return h, nil
}
