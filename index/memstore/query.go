package memstore

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/jieda/jieda/index"
)

// query is a validated QueryRequest.
type query struct {
	dense     []float32     // normalized; nil when absent
	sparse    *index.Sparse // nil when absent
	filter    *index.Filter
	fusion    index.Fusion
	rrfK      int
	threshold *float32
}

// prepare validates the parts of a request Query and QueryGroups share.
func (c *collection) prepare(req index.QueryRequest) (query, error) {
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
	q.filter = req.Filter
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
	return q, nil
}

// rank returns every candidate in order: a plain search ranks all matching
// points; a hybrid search fuses the top prefetch of each leg.
func (c *collection) rank(q query, prefetch int) []index.ScoredPoint {
	switch {
	case q.sparse == nil:
		return c.denseLeg(q)
	case q.dense == nil:
		return c.sparseLeg(q)
	}
	d, s := c.denseLeg(q), c.sparseLeg(q)
	d, s = d[:min(len(d), prefetch)], s[:min(len(s), prefetch)]
	if q.fusion == index.FusionDBSF {
		return index.FuseDBSF(d, s)
	}
	return index.FuseRRF(q.rrfK, d, s)
}

func (c *collection) denseLeg(q query) []index.ScoredPoint {
	out := []index.ScoredPoint{}
	for id, p := range c.points {
		if !q.filter.Match(id, p.payload) {
			continue
		}
		var dot float64
		for i, x := range p.dense {
			dot += float64(x) * float64(q.dense[i])
		}
		out = append(out, index.ScoredPoint{Record: index.Record{ID: id}, Score: float32(dot)})
	}
	index.SortScored(out)
	return out
}

func (c *collection) sparseLeg(q query) []index.ScoredPoint {
	df := map[uint32]int{}
	n := 0
	for _, p := range c.points {
		if p.sparse == nil {
			continue
		}
		n++
		for _, t := range p.sparse.Indices {
			df[t]++
		}
	}
	weight := make(map[uint32]float64, len(q.sparse.Indices))
	for i, t := range q.sparse.Indices {
		weight[t] = float64(q.sparse.Values[i]) * index.IDF(df[t], n)
	}
	out := []index.ScoredPoint{}
	for id, p := range c.points {
		if p.sparse == nil || !q.filter.Match(id, p.payload) {
			continue
		}
		var score float64
		hit := false
		for i, t := range p.sparse.Indices {
			if w, ok := weight[t]; ok {
				hit = true
				score += w * float64(p.sparse.Values[i])
			}
		}
		if hit {
			out = append(out, index.ScoredPoint{Record: index.Record{ID: id}, Score: float32(score)})
		}
	}
	index.SortScored(out)
	return out
}

// cut drops results scoring below the threshold.
func cut(ranked []index.ScoredPoint, threshold *float32) []index.ScoredPoint {
	if threshold == nil {
		return ranked
	}
	return slices.DeleteFunc(ranked, func(p index.ScoredPoint) bool { return p.Score < *threshold })
}

// materialize fills each result's payload and vectors.
func (c *collection) materialize(ps []index.ScoredPoint, with index.With) []index.ScoredPoint {
	out := make([]index.ScoredPoint, len(ps))
	for i, p := range ps {
		out[i] = index.ScoredPoint{Record: c.points[p.ID].record(p.ID, with), Score: p.Score}
	}
	return out
}

// Query searches by dense vector, sparse vector or both fused.
func (s *Store) Query(ctx context.Context, collection string, req index.QueryRequest) ([]index.ScoredPoint, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, err := s.collection(ctx, collection)
	if err != nil {
		return nil, err
	}
	q, err := c.prepare(req)
	if err != nil {
		return nil, err
	}
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
	ranked := cut(c.rank(q, prefetch), q.threshold)
	ranked = ranked[min(req.Offset, len(ranked)):]
	ranked = ranked[:min(lim, len(ranked))]
	return c.materialize(ranked, req.With), nil
}

// QueryGroups is Query grouped by the values at group.Key.
func (s *Store) QueryGroups(ctx context.Context, collection string, req index.QueryRequest, group index.GroupBy) ([]index.Group, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, err := s.collection(ctx, collection)
	if err != nil {
		return nil, err
	}
	q, err := c.prepare(req)
	if err != nil {
		return nil, err
	}
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
	ranked := cut(c.rank(q, prefetch), q.threshold)

	out := index.GroupHits(ranked, size, func(hit index.ScoredPoint) []any {
		return index.Values(c.points[hit.ID].payload, group.Key)
	})
	result := []index.Group{}
	for _, g := range out[:min(groups, len(out))] {
		result = append(result, index.Group{Key: g.Key, Hits: c.materialize(g.Hits, req.With)})
	}
	return result, nil
}
