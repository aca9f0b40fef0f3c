package answer

import (
	"context"
	"sync"
)

// articleCache holds decoded articles for the answer path, keyed by the
// lexicon entry (artLex) of the version they hold. A change to an article
// gives it a new entry (at once for this process's writes, at the next
// reload for another replica's), so a cached article is never served for
// a version Search did not rank. Bounded in bytes: a full cache drops
// arbitrary entries (those of a reloaded lexicon are never asked for
// again).
type articleCache struct {
	mu    sync.Mutex
	m     map[*artLex]Article
	bytes int // the texts' sizes (articleSize) of the entries in m
}

// articleCacheBytes bounds the cache: the articles a question reads are
// its top three, so a few thousand typical articles (a few KB each) hold
// a large KB's working set. An article over a 64th of it (512 KB: near
// the limits of 500 variants and a 20,000-character answer) is read from
// the store each time instead.
const articleCacheBytes = 32 << 20

// articleSize approximates what an article holds in memory.
func articleSize(a *Article) int {
	n := 256 + len(a.ID) + len(a.Question) + len(a.Answer) + len(a.Category) + len(a.Locale)
	for _, v := range a.Variants {
		n += 16 + len(v)
	}
	for k, v := range a.Scope {
		n += 32 + len(k) + len(v)
	}
	return n
}

func (c *articleCache) get(al *artLex) (Article, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[al]
	return a, ok
}

func (c *articleCache) put(al *artLex, a Article) {
	size := articleSize(&a)
	if size > articleCacheBytes/64 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[*artLex]Article)
	}
	if old, ok := c.m[al]; ok {
		c.bytes -= articleSize(&old)
	}
	for k, old := range c.m {
		if c.bytes+size <= articleCacheBytes {
			break
		}
		c.bytes -= articleSize(&old)
		delete(c.m, k)
	}
	c.m[al] = a
	c.bytes += size
}

// rankedArticles returns the stored articles of ids as Search ranked them:
// from the cache where kb's lexicon holds the same version, else read
// from the store (and cached when the versions agree). Callers must not
// modify the articles' slices and maps: they are shared.
func (k *Library) rankedArticles(ctx context.Context, kb string, ids []string) (map[string]Article, error) {
	lex, err := k.lexicon(ctx, kb)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Article, len(ids))
	var missing []string
	for _, id := range ids {
		if al := lex.arts[id]; al != nil {
			if a, ok := k.cache.get(al); ok {
				out[id] = a
				continue
			}
		}
		missing = append(missing, id)
	}
	if len(missing) == 0 {
		return out, nil
	}
	read, err := k.Articles(ctx, kb, missing)
	if err != nil {
		return nil, err
	}
	for id, a := range read {
		out[id] = a
		if al := lex.arts[id]; al != nil && al.version == a.Version {
			k.cache.put(al, a)
		}
	}
	return out, nil
}
