package index

import (
	"cmp"
	"fmt"
	"slices"
)

// GroupHits groups ranked hits (best first) by their string and integer
// values at a payload key, as QueryGroups defines: a hit joins the group of
// each distinct value (arrays join several), each group keeps its best size
// hits, groups come in the order of their best hit, and groups sharing a
// best hit are ordered by CompareGroupKeys. values returns a hit's values
// at the key (see Values).
func GroupHits(ranked []ScoredPoint, size int, values func(ScoredPoint) []any) []*Group {
	var out []*Group
	byKey := map[any]*Group{}
	for _, hit := range ranked {
		seen := map[any]bool{}
		for _, v := range values(hit) {
			switch v.(type) {
			case string, int64:
			default:
				continue
			}
			if seen[v] {
				continue
			}
			seen[v] = true
			g, ok := byKey[v]
			if !ok {
				g = &Group{Key: v}
				byKey[v] = g
				out = append(out, g)
			}
			if len(g.Hits) < size {
				g.Hits = append(g.Hits, hit)
			}
		}
	}
	for i := 0; i < len(out); {
		j := i + 1
		for j < len(out) && out[j].Hits[0].ID == out[i].Hits[0].ID {
			j++
		}
		slices.SortFunc(out[i:j], func(a, b *Group) int { return CompareGroupKeys(a.Key, b.Key) })
		i = j
	}
	return out
}

// CompareGroupKeys orders group keys: integers before strings, each ascending.
func CompareGroupKeys(a, b any) int {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmp.Compare(x, y)
		}
		return -1
	case string:
		if y, ok := b.(string); ok {
			return cmp.Compare(x, y)
		}
		return 1
	}
	return 0
}

// GroupSizes validates a grouped query's group-by and returns the hits per
// group, the number of groups and the candidates each leg prefetches
// (default max(4·groups·size, 100), at most MaxLimit).
func GroupSizes(req QueryRequest, group GroupBy) (size, groups, prefetch int, err error) {
	if group.Key == "" {
		return 0, 0, 0, fmt.Errorf("%w: group-by without a key", ErrInvalidArgument)
	}
	if size, err = Limit("group size", group.Size, 1); err != nil {
		return 0, 0, 0, err
	}
	if groups, err = Limit("group limit", group.Limit, 10); err != nil {
		return 0, 0, 0, err
	}
	if prefetch, err = Limit("prefetch limit", req.PrefetchLimit, min(max(4*groups*size, 100), MaxLimit)); err != nil {
		return 0, 0, 0, err
	}
	return size, groups, prefetch, nil
}
