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
// known with default settings when it is new. st, when set, receives the counts.
func (e *Engine) ImportArticles(ctx context.Context, kb string, arts []Article, st *ImportStats) error {
	if err := ValidateID(kb); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidKB, err)
	}
	s, err := e.KB.Import(ctx, kb, arts, ImportOptions{})
	if st != nil {
		*st = s
	}
	if err != nil {
		return err
	}
	return e.Settings.Ensure(ctx, kb)
}

// ResolveHandoff closes a handoff with the agent's reply and tells
// OnResolve (curation) about it.
func (e *Engine) ResolveHandoff(ctx context.Context, id string, r Resolution) (Handoff, error) {
	h, err := e.Handoffs.Resolve(ctx, id, r)
	if err != nil {
		return h, err
	}
	if e.Notify != nil {
		e.Notify(h.ID)
	}
	if e.OnResolve != nil {
		e.OnResolve(ctx, h)
	}
	return h, nil
}
