package answer

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// writeLock serializes the article writes of one KB in this process, so
// that a create's existence check and its write are one step.
func (e *Engine) writeLock(kb string) *sync.Mutex {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if e.writeLocks == nil {
		e.writeLocks = map[string]*sync.Mutex{}
	}
	m := e.writeLocks[kb]
	if m == nil {
		m = &sync.Mutex{}
		e.writeLocks[strings.Clone(kb)] = m
	}
	return m
}

// CreateArticle stores a new article in kb (making kb known): an id that
// exists is ErrArticleExists, an invalid article ErrInvalidArticle. The
// change is recorded as a "create" by the author in ctx's ChangeInfo.
func (e *Engine) CreateArticle(ctx context.Context, kb string, art Article) (Article, error) {
	saved, _, err := e.writeArticle(ctx, kb, art, true)
	return saved, err
}

// PutArticle creates or replaces the article art.ID in kb; created says
// which. The change is recorded as a "create" or an "edit".
func (e *Engine) PutArticle(ctx context.Context, kb string, art Article) (saved Article, created bool, err error) {
	return e.writeArticle(ctx, kb, art, false)
}

func (e *Engine) writeArticle(ctx context.Context, kb string, art Article, mustBeNew bool) (Article, bool, error) {
	if err := ValidateID(kb); err != nil {
		return Article{}, false, fmt.Errorf("%w: %w", ErrInvalidKB, err)
	}
	art.KB = kb
	if err := art.Validate(); err != nil {
		return Article{}, false, err
	}
	mu := e.writeLock(kb)
	mu.Lock()
	defer mu.Unlock()
	existing, err := e.Library.Articles(ctx, kb, []string{art.ID})
	if err != nil {
		return Article{}, false, err
	}
	_, exists := existing[art.ID]
	if mustBeNew && exists {
		return Article{}, false, fmt.Errorf("%w: %s in %s", ErrArticleExists, art.ID, kb)
	}
	info := ChangeInfoFrom(ctx)
	info.Action = "edit"
	if !exists {
		info.Action = "create"
	}
	ctx = WithChangeInfo(ctx, info)
	if err := e.importLocked(ctx, kb, []Article{art}, ImportOptions{}, nil); err != nil {
		return Article{}, false, err
	}
	saved, err := e.Library.Article(ctx, kb, art.ID)
	return saved, !exists, err
}
