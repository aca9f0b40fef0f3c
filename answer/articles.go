package answer

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/jieda/jieda/index"
)

// ArticlePage is one page of a KB's articles.
type ArticlePage struct {
	Articles []Article `json:"articles"`
	// Next is the cursor of the following page; empty on the last.
	Next string `json:"next,omitempty"`
}

// ArticleQuery selects articles to list.
type ArticleQuery struct {
	// Status, when set, keeps one status.
	Status Status
	// ReviewDueAt, when set, keeps articles whose review_by is at or before it.
	ReviewDueAt time.Time
	Cursor      string
	Limit       int // 1..500, default 100
}

// ListArticles pages through kb's articles (in store order, stable across pages).
func (k *Library) ListArticles(ctx context.Context, kb string, q ArticleQuery) (ArticlePage, error) {
	limit, cursor := cmp.Or(q.Limit, 100), q.Cursor
	limit = min(max(limit, 1), 500)
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb)}}
	if q.Status != "" {
		f.Must = append(f.Must, index.MatchKeyword("status", string(q.Status)))
	}
	if !q.ReviewDueAt.IsZero() {
		f.Must = append(f.Must, index.TimeRange("review_by", index.DatetimeRange{Lte: q.ReviewDueAt}))
	}
	page, err := k.store.Scroll(ctx, ArticlesCollection, index.ScrollRequest{
		Filter: f, Limit: limit, Cursor: cursor, With: index.With{Payload: true},
	})
	if err != nil {
		return ArticlePage{}, fmt.Errorf("listing articles: %w", err)
	}
	out := ArticlePage{Articles: make([]Article, 0, len(page.Points)), Next: page.Next}
	for _, r := range page.Points {
		sa, err := decodeStored(r.Payload)
		if err != nil {
			return ArticlePage{}, err
		}
		out.Articles = append(out.Articles, sa.art)
	}
	return out, nil
}

// DeleteArticle removes an article and its points from kb.
func (k *Library) DeleteArticle(ctx context.Context, kb, id string) error {
	m, err := k.getStored(ctx, kb, []string{id})
	if err != nil {
		return err
	}
	sa, ok := m[id]
	if !ok {
		return fmt.Errorf("%w: %s/%s", ErrArticleNotFound, kb, id)
	}
	// The document first: customers stop seeing the article at once (its
	// points no longer pass Search's gate); leftover points are swept.
	if err := k.store.Delete(ctx, ArticlesCollection, []string{articlePointID(kb, id)}); err != nil {
		return fmt.Errorf("deleting article: %w", err)
	}
	k.lexiconDelete(kb, []string{id})
	if err := k.store.Delete(ctx, PointsCollection, sa.pointIDs(kb)); err != nil {
		return fmt.Errorf("deleting article points: %w", err)
	}
	return nil
}
