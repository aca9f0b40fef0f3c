package embedded

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/vecindex"
)

// query is a validated QueryRequest with its filter evaluated.
type query struct {
	dense     []float32     // normalized; nil when absent
	sparse    *index.Sparse // nil when absent
	fusion    index.Fusion
	rrfK      int
	threshold *float32
	exact     bool // the dense leg scans: no graph
	// allowed is the set of slots the filter admits (c.live when all).
	allowed bitmap
	n       int
	all     bool
	// vec reads the full vectors (see vectors.go): the dense leg rescores
	// with them, results with vectors copy them.
	vec *vectorReader
	// into is the caller's result buffer (QueryRequest.Into).
	into []index.ScoredPoint
}

// prepare validates the parts of a request Query and QueryGroups share and
// evaluates its filter.
func (c *collection) prepareQuery(req index.QueryRequest) (query, error) {
	var q query
	var err error
	if q.dense, err = index.NormalizeDense(c.cfg, req.Dense); err != nil {
		return q, err
	}
	if q.sparse, err = index.CheckSparse(c.cfg, req.Sparse); err != nil {
		return q, err
	}
	if q.dense == nil && q.sparse == nil {
		return q, fmt.Errorf("%w: query has neither a dense nor a sparse vector", index.ErrInvalidArgument)
	}
	if err := req.Filter.Validate(); err != nil {
		return q, err
	}
	if req.Fusion != index.FusionRRF && req.Fusion != index.FusionDBSF {
		return q, fmt.Errorf("%w: unknown fusion %d", index.ErrInvalidArgument, req.Fusion)
	}
	q.fusion = req.Fusion
	if req.RRFK < 0 {
		return q, fmt.Errorf("%w: RRF k %d is negative", index.ErrInvalidArgument, req.RRFK)
	}
	q.rrfK = cmp.Or(req.RRFK, index.DefaultRRFK)
	if t := req.ScoreThreshold; t != nil && (math.IsNaN(float64(*t)) || math.IsInf(float64(*t), 0)) {
		return q, fmt.Errorf("%w: score threshold must be finite", index.ErrInvalidArgument)
	}
	q.threshold = req.ScoreThreshold
	q.exact = req.Exact
	q.into = req.Into
	q.allowed, q.n, q.all = c.matching(req.Filter)
	return q, nil
}

// release gives back the filter's bitmap (c.live itself when unfiltered).
func (q *query) release() {
	if !q.all {
		q.allowed.release()
	}
}

// hybrid reports whether the query fuses two legs.
func (q *query) hybrid() bool { return q.dense != nil && q.sparse != nil }

// denseLeg returns the k best allowed points by cosine similarity, in
// into's array when it is large enough.
func (c *collection) denseLeg(q *query, k int, into []index.ScoredPoint) []index.ScoredPoint {
	if k <= 0 || q.n == 0 || c.dense == nil {
		return []index.ScoredPoint{}
	}
	return c.top(k, q.n, into, func(k int) []vecindex.Hit {
		if c.floats != nil && (q.exact || k >= q.n || q.n <= max(exactFilteredMax, c.dense.Options().ExactBelow-1)) {
			// The full vectors are in memory: scanning the candidates
			// is exact and needs no rescoring. When they are most of
			// the collection, concurrent queries share one pass over it.
			if 2*q.n >= c.floats.Len() {
				return c.floats.SearchShared(q.dense, k, q.allowed.has)
			}
			return c.floats.Search(q.dense, k, q.allowed.each)
		}
		if q.exact || k >= q.n || (!q.all && q.n <= exactFilteredMax) {
			// Asked to be exact, or few candidates: scoring them all is
			// exact and cheap.
			return c.dense.SearchExact(q.dense, k, q.allowed.has, q.vec.exact())
		}
		return c.dense.Search(q.dense, k, q.allowed.has, q.vec.exact())
	})
}

// exactFilteredMax is the filtered-candidate count up to which dense
// search scans the candidates instead of walking the HNSW graph.
const exactFilteredMax = 2000

// sparseLeg returns the k best allowed points sharing a term with the
// query, in into's array when it is large enough.
func (c *collection) sparseLeg(q *query, k int, into []index.ScoredPoint) []index.ScoredPoint {
	if k <= 0 || q.n == 0 || c.sparse == nil {
		return []index.ScoredPoint{}
	}
	return c.top(k, q.n, into, func(k int) []vecindex.Hit {
		return c.sparse.Search(q.sparse.Indices, q.sparse.Values, k, q.allowed.has)
	})
}

// top returns the k best results of search ordered by index.SortScored:
// the indexes break ties by slot, the contract by id, so when equal scores
// straddle the k-th place the search widens until the tied block is whole.
// It asks for one more than k first: enough to see that no tie straddles
// the k-th place, which is the common case (every extra dense result
// costs an exact rescoring).
func (c *collection) top(k, most int, into []index.ScoredPoint, search func(k int) []vecindex.Hit) []index.ScoredPoint {
	for ask := min(k+1, most); ; ask = min(2*ask, most) {
		hits := search(ask)
		out := slices.Grow(into[:0], len(hits))[:len(hits)]
		for i, h := range hits {
			out[i] = index.ScoredPoint{Record: index.Record{ID: c.ids[h.Slot]}, Score: h.Score}
		}
		into = out
		sortTies(out)
		if len(out) < ask || ask >= most || len(out) <= k || out[k-1].Score != out[len(out)-1].Score {
			return out[:min(k, len(out))]
		}
	}
}

// sortTies puts ps, an index's hits, in index.SortScored's order. They
// come best first with ties by slot, so only the runs of equal scores
// need sorting, by id; anything else gets the full sort.
func sortTies(ps []index.ScoredPoint) {
	byScore := func(a, b index.ScoredPoint) int { return cmp.Compare(b.Score, a.Score) }
	if !slices.IsSortedFunc(ps, byScore) {
		index.SortScored(ps)
		return
	}
	for i := 0; i < len(ps); {
		j := i + 1
		for j < len(ps) && byScore(ps[i], ps[j]) == 0 {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(ps[i:j], func(a, b index.ScoredPoint) int { return strings.Compare(a.ID, b.ID) })
		}
		i = j
	}
}

// rank returns the best k results of a plain search, or the fusion of the
// two legs' best prefetch for a hybrid one (k is then ignored).
func (c *collection) rank(q *query, k, prefetch int) []index.ScoredPoint {
	switch {
	case q.sparse == nil:
		return c.denseLeg(q, k, q.into)
	case q.dense == nil:
		return c.sparseLeg(q, k, q.into)
	}
	var d, s []index.ScoredPoint
	if c.n < parallelLegsFrom {
		d, s = c.denseLeg(q, prefetch, nil), c.sparseLeg(q, prefetch, nil)
	} else {
		// Both legs cost milliseconds here: run them side by side (the
		// caller's read lock covers both).
		var wg sync.WaitGroup
		wg.Go(func() { s = c.sparseLeg(q, prefetch, nil) })
		d = c.denseLeg(q, prefetch, nil)
		wg.Wait()
	}
	if q.fusion == index.FusionDBSF {
		return index.FuseDBSF(d, s)
	}
	return index.FuseRRF(q.rrfK, d, s)
}

// parallelLegsFrom is the collection size from which a hybrid query runs
// its two legs concurrently: below it a leg takes well under a
// millisecond, and a goroutine's hand-off is not worth it. A variable so
// that the contract suite can run the concurrent path.
var parallelLegsFrom = 50_000

// cut drops results scoring below the threshold.
func cut(ranked []index.ScoredPoint, threshold *float32) []index.ScoredPoint {
	if threshold == nil {
		return ranked
	}
	return slices.DeleteFunc(ranked, func(p index.ScoredPoint) bool { return p.Score < *threshold })
}

// materialize fills each result's payload and vectors. ps is the query's
// own: with neither asked for, its ids and scores are the results.
func (c *collection) materialize(ps []index.ScoredPoint, with index.With, vr *vectorReader) []index.ScoredPoint {
	if !with.Payload && (!with.Vectors || vr == nil) {
		return ps
	}
	out := make([]index.ScoredPoint, len(ps))
	for i, p := range ps {
		out[i] = index.ScoredPoint{Record: c.record(c.slotOf[p.ID], with, vr), Score: p.Score}
	}
	return out
}

// Query searches by dense vector, sparse vector or both fused.
func (s *Store) Query(ctx context.Context, collection string, req index.QueryRequest) ([]index.ScoredPoint, error) {
	c, unlock, err := s.reader(ctx, collection)
	if err != nil {
		return nil, err
	}
	defer unlock()
	lim, err := index.Limit("limit", req.Limit, 10)
	if err != nil {
		return nil, err
	}
	if req.Offset < 0 {
		return nil, fmt.Errorf("%w: offset %d is negative", index.ErrInvalidArgument, req.Offset)
	}
	prefetch, err := index.Limit("prefetch limit", req.PrefetchLimit, min(max(4*(lim+req.Offset), 100), index.MaxLimit))
	if err != nil {
		return nil, err
	}
	q, err := c.prepareQuery(req)
	if err != nil {
		return nil, err
	}
	defer q.release()
	done, err := s.withVectors(c, &q, req.With)
	if err != nil {
		return nil, err
	}
	defer done()
	ranked := cut(c.rank(&q, req.Offset+lim, prefetch), q.threshold)
	ranked = ranked[min(req.Offset, len(ranked)):]
	ranked = ranked[:min(lim, len(ranked))]
	return c.materialize(ranked, req.With, q.vec), nil
}

// QueryGroups is Query grouped by the values at group.Key: req.Limit and
// req.Offset are ignored, group.Limit groups of at most group.Size hits
// come back. A plain search deepens its candidate list until the groups
// are full or every allowed point is ranked; a hybrid one groups the
// fusion of the two prefetched legs.
func (s *Store) QueryGroups(ctx context.Context, collection string, req index.QueryRequest, group index.GroupBy) ([]index.Group, error) {
	c, unlock, err := s.reader(ctx, collection)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := index.Limit("limit", req.Limit, 10); err != nil {
		return nil, err
	}
	if req.Offset < 0 {
		return nil, fmt.Errorf("%w: offset %d is negative", index.ErrInvalidArgument, req.Offset)
	}
	size, groups, prefetch, err := index.GroupSizes(req, group)
	if err != nil {
		return nil, err
	}
	q, err := c.prepareQuery(req)
	if err != nil {
		return nil, err
	}
	defer q.release()
	done, err := s.withVectors(c, &q, req.With)
	if err != nil {
		return nil, err
	}
	defer done()
	var out []*index.Group
	for k := max(4*groups*size, 64); ; k *= 4 {
		if k >= q.n {
			k = q.n
		}
		ranked := c.rank(&q, k, prefetch)
		exhausted := q.hybrid() || len(ranked) < k || k == q.n
		before := len(ranked)
		ranked = cut(ranked, q.threshold)
		exhausted = exhausted || len(ranked) < before
		var full bool
		out, full = c.group(ranked, group.Key, size, groups)
		if exhausted || full {
			break
		}
	}
	result := make([]index.Group, 0, min(groups, len(out)))
	for _, g := range out[:min(groups, len(out))] {
		result = append(result, index.Group{Key: g.Key, Hits: c.materialize(g.Hits, req.With, q.vec)})
	}
	return result, nil
}

// withVectors gives q the full dense vectors when it needs them: a dense
// leg to rescore, or vectors to return.
func (s *Store) withVectors(c *collection, q *query, with index.With) (done func(), err error) {
	if q.dense == nil && !with.Vectors {
		return func() {}, nil
	}
	q.vec, done, err = s.vectors(c)
	return done, err
}

// group groups ranked hits by their string and integer values at key; full
// reports that the first limit groups each hold size hits.
func (c *collection) group(ranked []index.ScoredPoint, key string, size, limit int) (out []*index.Group, full bool) {
	out = index.GroupHits(ranked, size, func(hit index.ScoredPoint) []any {
		return index.Values(c.payload(c.slotOf[hit.ID]), key)
	})
	if len(out) < limit {
		return out, false
	}
	for _, g := range out[:limit] {
		if len(g.Hits) < size {
			return out, false
		}
	}
	return out, true
}
