package answer

import (
	"context"
	"sync"
)

// articleCache holds decoded articles for the answer path, keyed by the
// lexicon entry (artLex) of the version they hold. A change to an article
// gives it a new entry (at once for this process's writes, at the next
// reload for another replica's), so a cached article is never served for
// a version Search did not rank. Bounded: a full cache drops an arbitrary
// entry (those of a reloaded lexicon are never asked for again).
type articleCache struct {
	mu sync.Mutex
	m  map[*artLex]Article
}

// articleCacheSize bounds the cache: the articles a question reads are
// its top three, so this covers the working set of a large KB's traffic
// at about 2 KB an article.
const articleCacheSize = 4096

func (c *articleCache) get(al *artLex) (Article, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[al]
	return a, ok
}

func (c *articleCache) put(al *artLex, a Article) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[*artLex]Article)
	}
	if len(c.m) >= articleCacheSize {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[al] = a
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
