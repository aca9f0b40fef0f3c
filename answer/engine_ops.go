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
func (k *KB) Normalize(text string) (string, error) { return k.emb.Normalize(text) }

// ImportArticles upserts articles into kb (see KB.Import) and makes kb
// known with default settings when it is new. st, when set, receives the counts.
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
	return e.notifyChanges(ctx, kb, before, ids)
}

// ResolveHandoff closes a handoff with the agent's reply (and wakes the
// webhook deliverer for its "handoff.resolved" event). The article a
// resolution names must exist in the handoff's KB (else ErrInvalidHandoff).
func (e *Engine) ResolveHandoff(ctx context.Context, id string, r Resolution) (Handoff, error) {
	if r.ArticleID != "" {
		ho, err := e.Handoffs.Get(ctx, id)
		if err != nil {
			return ho, err
		}
		if _, err := e.KB.Article(ctx, ho.KB, r.ArticleID); errors.Is(err, ErrArticleNotFound) {
			return Handoff{}, fmt.Errorf("%w: article_id %q is not an article of knowledge base %s", ErrInvalidHandoff, r.ArticleID, ho.KB)
		} else if err != nil {
			return Handoff{}, err
		}
	}
	h, err := e.Handoffs.Resolve(ctx, id, r)
	if err != nil {
		return h, err
	}
	e.notify(h.ID)
	return h, nil
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
		n, err := e.KB.Sweep(ctx, kb)
		mu.Unlock()
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
