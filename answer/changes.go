package answer

import (
	"context"
	"fmt"
)

// ArticleChange is one article written or deleted through the Engine:
// Before is nil for a new article, After nil for a deleted one.
type ArticleChange struct {
	Before *Article
	After  *Article
}

// ChangeInfo says who changed articles and why; it travels in the
// context of the call that changes them (see WithChangeInfo).
type ChangeInfo struct {
	// Author is who made the change: an API key id, "cli", a person's name.
	Author string `json:"author,omitempty"`
	// Action names the kind of change: import, create, edit, delete,
	// promote, rollback.
	Action string `json:"action,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Source names what the change came from, e.g. a promoted candidate's id.
	Source string `json:"source,omitempty"`
}

type changeInfoKey struct{}

// WithChangeInfo returns ctx carrying info for the article changes made under it.
func WithChangeInfo(ctx context.Context, info ChangeInfo) context.Context {
	return context.WithValue(ctx, changeInfoKey{}, info)
}

// ChangeInfoFrom returns the ChangeInfo ctx carries (zero when none).
func ChangeInfoFrom(ctx context.Context) ChangeInfo {
	info, _ := ctx.Value(changeInfoKey{}).(ChangeInfo)
	return info
}

// Articles returns the stored articles of kb among ids (absent ids are left out).
func (k *Library) Articles(ctx context.Context, kb string, ids []string) (map[string]Article, error) {
	m, err := k.getStored(ctx, kb, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Article, len(m))
	for id, sa := range m {
		out[id] = sa.art
	}
	return out, nil
}

// notifyChanges reports the articles an import changed to OnChange.
func (e *Engine) notifyChanges(ctx context.Context, kb string, before map[string]Article, ids []string) error {
	if e.onChange == nil {
		return nil
	}
	after, err := e.Library.Articles(ctx, kb, ids)
	if err != nil {
		return err
	}
	var changes []ArticleChange
	for _, id := range ids {
		a, ok := after[id]
		if !ok {
			continue
		}
		b, existed := before[id]
		if existed && b.Version == a.Version {
			continue // unchanged
		}
		ch := ArticleChange{After: &a}
		if existed {
			ch.Before = &b
		}
		changes = append(changes, ch)
	}
	if len(changes) == 0 {
		return nil
	}
	if err := e.onChange(ctx, kb, changes); err != nil {
		return fmt.Errorf("recording article changes: %w", err)
	}
	return nil
}

// DeleteArticle removes an article (see KB.DeleteArticle) and reports it to OnChange.
func (e *Engine) DeleteArticle(ctx context.Context, kb, id string) error {
	mu := e.writeLock(kb)
	mu.Lock()
	defer mu.Unlock()
	before, err := e.Library.Article(ctx, kb, id)
	if err != nil {
		return err
	}
	if err := e.Library.DeleteArticle(ctx, kb, id); err != nil {
		return err
	}
	if e.onChange != nil {
		if err := e.onChange(ctx, kb, []ArticleChange{{Before: &before}}); err != nil {
			return err
		}
	}
	e.autoCalibrate(ctx, kb)
	return nil
}

// Rank retrieves kb's candidates for a question (in the customer's
// locale, as Ask does) and the calibrated confidence that the top one
// answers it. Nothing is logged or handed off.
func (e *Engine) Rank(ctx context.Context, kb, question string) ([]Candidate, float64, error) {
	st, _, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return nil, 0, err
	}
	norm, err := e.Library.emb.Normalize(question)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrInvalidQuestion, err)
	}
	if norm == "" {
		return nil, 0, ErrEmptyQuery
	}
	so := e.search
	so.Limit = 10
	cands, err := e.Library.Search(ctx, kb, question, so)
	if err != nil {
		return nil, 0, err
	}
	cands = preferLocale(cands, questionFamily("", question))
	tr := &Trace{}
	conf := e.confidence(ctx, kb, norm, cands, st.CalibrationOrDefault(), tr)
	return cands, conf, nil
}
