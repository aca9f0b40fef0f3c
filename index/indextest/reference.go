package indextest

import (
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/index"
)

// Tolerances of ranked comparisons.
const (
	// scoreTol is how far a returned score may be from the reference.
	scoreTol = 1e-4
	// tieTol is how close two reference scores must be for their points to
	// be interchangeable in a ranking.
	tieTol = 1e-6
	// separation is the smallest gap the suite allows between distinct
	// reference scores, so that float rounding cannot reorder them.
	separation = 2e-5
)

func sp(id string, score float32) index.ScoredPoint {
	return index.ScoredPoint{Record: index.Record{ID: id}, Score: score}
}

func scoredIDs(ps []index.ScoredPoint) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// checkRanked compares a ranked result with the reference: the same length,
// and at each rank a point whose reference score equals the wanted one
// within tieTol (so points tied in the reference may come in either order,
// also across the limit) and whose returned score is its reference score
// within scoreTol. all holds the reference score of every candidate; nil
// means want's.
func checkRanked(e *env, what string, want []index.ScoredPoint, all map[string]float32, got []index.ScoredPoint) {
	e.Helper()
	if all == nil {
		all = map[string]float32{}
		for _, p := range want {
			all[p.ID] = p.Score
		}
	}
	format := func(ps []index.ScoredPoint) string {
		s := ""
		for _, p := range ps {
			s += fmt.Sprintf("\n  %s %.6f", p.ID, p.Score)
		}
		return s
	}
	fail := func(msg string, args ...any) {
		e.Errorf("%s: %s\nwant:%s\ngot:%s", what, fmt.Sprintf(msg, args...), format(want), format(got))
	}
	if len(got) != len(want) {
		fail("%d results, want %d", len(got), len(want))
		return
	}
	seen := map[string]bool{}
	for i, g := range got {
		if seen[g.ID] {
			fail("%s returned twice", g.ID)
			return
		}
		seen[g.ID] = true
		ref, ok := all[g.ID]
		switch {
		case !ok:
			fail("rank %d: %s is not a candidate", i, g.ID)
			return
		case math.Abs(float64(ref)-float64(want[i].Score)) > tieTol:
			fail("rank %d: got %s (reference score %.6f), want %s (%.6f)", i, g.ID, ref, want[i].ID, want[i].Score)
			return
		case math.Abs(float64(g.Score)-float64(ref)) > scoreTol:
			fail("rank %d: %s scored %.6f, reference %.6f", i, g.ID, g.Score, ref)
			return
		}
	}
}

// diffExact is diff without equating empty and nil.
func (e *env) diffExact(what string, want, got any) {
	e.Helper()
	if d := cmp.Diff(want, got); d != "" {
		e.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

func equalPayload(a, b index.Payload) bool { return reflect.DeepEqual(a, b) }

// refPoint is a point as the reference model holds it.
type refPoint struct {
	dense   []float64 // unit length
	sparse  *index.Sparse
	payload index.Payload
}

// model is a brute-force reference of a collection's search semantics,
// written independently of any engine from the formulas in package index.
type model struct {
	points map[string]refPoint
}

func newModel() *model { return &model{points: map[string]refPoint{}} }

func (m *model) put(e *env, p index.Point) {
	e.Helper()
	cid, err := index.CanonicalID(p.ID)
	e.must(err)
	rp := refPoint{payload: e.payload(p.Payload)}
	if len(p.Dense) > 0 {
		rp.dense = unit64(p.Dense)
	}
	if p.Sparse != nil && len(p.Sparse.Indices) > 0 {
		rp.sparse = p.Sparse
	}
	m.points[cid] = rp
}

func unit64(v []float32) []float64 {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x) / math.Sqrt(sq)
	}
	return out
}

// denseLeg ranks every point matching f by cosine similarity.
func (m *model) denseLeg(q []float32, f *index.Filter) []index.ScoredPoint {
	qu := unit64(q)
	out := []index.ScoredPoint{}
	for id, p := range m.points {
		if p.dense == nil || !f.Match(id, p.payload) {
			continue
		}
		var dot float64
		for i := range qu {
			dot += qu[i] * p.dense[i]
		}
		out = append(out, sp(id, float32(dot)))
	}
	index.SortScored(out)
	return out
}

// sparseLeg ranks every point matching f that shares a term with q by
// Σ q_t·d_t·IDF(n_t, N).
func (m *model) sparseLeg(q *index.Sparse, f *index.Filter) []index.ScoredPoint {
	n, df := m.docFreq()
	out := []index.ScoredPoint{}
	for id, p := range m.points {
		if p.sparse == nil || !f.Match(id, p.payload) {
			continue
		}
		var score float64
		hit := false
		for i, t := range q.Indices {
			if j, ok := slices.BinarySearch(p.sparse.Indices, t); ok {
				hit = true
				score += float64(q.Values[i]) * float64(p.sparse.Values[j]) * index.IDF(df[t], n)
			}
		}
		if hit {
			out = append(out, sp(id, float32(score)))
		}
	}
	index.SortScored(out)
	return out
}

func (m *model) docFreq() (int, map[uint32]int) {
	n, df := 0, map[uint32]int{}
	for _, p := range m.points {
		if p.sparse != nil {
			n++
			for _, t := range p.sparse.Indices {
				df[t]++
			}
		}
	}
	return n, df
}

// rank is every candidate of req in order, before threshold, offset and limit.
func (m *model) rank(req index.QueryRequest, prefetch int) []index.ScoredPoint {
	if req.Sparse == nil {
		return m.denseLeg(req.Dense, req.Filter)
	}
	if req.Dense == nil {
		return m.sparseLeg(req.Sparse, req.Filter)
	}
	d, s := m.denseLeg(req.Dense, req.Filter), m.sparseLeg(req.Sparse, req.Filter)
	d, s = d[:min(len(d), prefetch)], s[:min(len(s), prefetch)]
	if req.Fusion == index.FusionDBSF {
		return index.FuseDBSF(d, s)
	}
	return index.FuseRRF(req.RRFK, d, s)
}

// query is the reference result of req, and the reference score of every
// candidate.
func (m *model) query(req index.QueryRequest) ([]index.ScoredPoint, map[string]float32) {
	limit := req.Limit
	if limit == 0 {
		limit = 10
	}
	prefetch := req.PrefetchLimit
	if prefetch == 0 {
		prefetch = min(max(4*(limit+req.Offset), 100), 10000)
	}
	ranked := m.rank(req, prefetch)
	all := map[string]float32{}
	for _, p := range ranked {
		all[p.ID] = p.Score
	}
	if t := req.ScoreThreshold; t != nil {
		ranked = slices.DeleteFunc(ranked, func(p index.ScoredPoint) bool { return p.Score < *t })
	}
	ranked = ranked[min(req.Offset, len(ranked)):]
	return ranked[:min(limit, len(ranked))], all
}

// groups is the reference result of a grouped query: candidates ranked as
// by query (hybrid legs prefetch everything: the suite keeps grouped
// collections within the default prefetch of 100), grouped by the string
// and integer values at key.
func (m *model) groups(req index.QueryRequest, g index.GroupBy) ([]index.Group, map[string]float32) {
	ranked := m.rank(req, 10000)
	all := map[string]float32{}
	for _, p := range ranked {
		all[p.ID] = p.Score
	}
	if t := req.ScoreThreshold; t != nil {
		ranked = slices.DeleteFunc(ranked, func(p index.ScoredPoint) bool { return p.Score < *t })
	}
	size, limit := g.Size, g.Limit
	if size == 0 {
		size = 1
	}
	if limit == 0 {
		limit = 10
	}
	var out []index.Group
	pos := map[any]int{}
	for _, hit := range ranked {
		joined := map[any]bool{}
		for _, v := range index.Values(m.points[hit.ID].payload, g.Key) {
			switch v.(type) {
			case string, int64:
			default:
				continue
			}
			if joined[v] {
				continue
			}
			joined[v] = true
			i, ok := pos[v]
			if !ok {
				i = len(out)
				pos[v] = i
				out = append(out, index.Group{Key: v})
			}
			if len(out[i].Hits) < size {
				out[i].Hits = append(out[i].Hits, hit)
			}
		}
	}
	return out[:min(limit, len(out))], all
}

// checkGroups compares grouped results with the reference: group keys in
// order (groups whose best hits tie within tieTol in either order), each
// group's hits as by checkRanked.
func checkGroups(e *env, what string, want []index.Group, all map[string]float32, got []index.Group) {
	e.Helper()
	if len(got) != len(want) {
		e.Errorf("%s: %d groups, want %d\nwant: %v\ngot:  %v", what, len(got), len(want), groupKeys(want), groupKeys(got))
		return
	}
	byKey := map[any]index.Group{}
	for _, g := range want {
		byKey[g.Key] = g
	}
	for i, g := range got {
		w, ok := byKey[g.Key]
		if !ok || len(g.Hits) == 0 || math.Abs(float64(w.Hits[0].Score)-float64(want[i].Hits[0].Score)) > tieTol {
			e.Errorf("%s: group %d is %#v, want %#v\nwant: %v\ngot:  %v", what, i, g.Key, want[i].Key, groupKeys(want), groupKeys(got))
			return
		}
		checkRanked(e, fmt.Sprintf("%s: group %#v", what, g.Key), w.Hits, all, g.Hits)
	}
}

func groupKeys(gs []index.Group) []any {
	out := make([]any, len(gs))
	for i, g := range gs {
		out[i] = g.Key
	}
	return out
}

// separated reports whether the distinct scores of a ranked list are at
// least separation apart. With ties false, equal scores are too close as
// well (for single legs, where an exact tie would make truncation
// ambiguous); with ties true scores within tieTol count as equal.
func separated(ps []index.ScoredPoint, ties bool) bool {
	for i := 1; i < len(ps); i++ {
		d := math.Abs(float64(ps[i-1].Score) - float64(ps[i].Score))
		if d < separation && !(ties && d <= tieTol) {
			return false
		}
	}
	return true
}
