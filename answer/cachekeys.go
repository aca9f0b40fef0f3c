package answer

import (
	"maps"
	"slices"
)

// CachedKBs lists, per in-memory cache the engine keeps by KB name
// ("known", "lexicons", "settings"), the KB names it holds, sorted. It is
// for diagnostics and tests: each cache must hold one entry per KB, keyed
// by the KB's name (a key aliasing a reused request buffer would show as
// a duplicate or a garbled name).
func (e *Engine) CachedKBs() map[string][]string {
	out := map[string][]string{}
	e.knownMu.Lock()
	out["known"] = slices.Sorted(maps.Keys(e.known))
	e.knownMu.Unlock()
	e.Library.lex.mu.Lock()
	out["lexicons"] = slices.Sorted(maps.Keys(e.Library.lex.kbs))
	e.Library.lex.mu.Unlock()
	e.Settings.mu.Lock()
	out["settings"] = slices.Sorted(maps.Keys(e.Settings.cache))
	e.Settings.mu.Unlock()
	return out
}
