package curate

import (
	"maps"
	"slices"
)

// CachedKBs lists, per in-memory map the curator keeps by KB name
// ("thresholds", "locks"), the KB names it holds, sorted (diagnostics and
// tests; see answer.Engine.CachedKBs).
func (c *Curator) CachedKBs() map[string][]string {
	out := map[string][]string{}
	c.kbt.mu.Lock()
	out["thresholds"] = slices.Sorted(maps.Keys(c.kbt.cache))
	c.kbt.mu.Unlock()
	c.locksMu.Lock()
	out["locks"] = slices.Sorted(maps.Keys(c.locks))
	c.locksMu.Unlock()
	return out
}
