package qdrant

import (
	"cmp"
	"context"
	"slices"

	qc "github.com/qdrant/go-client/qdrant"

	"github.com/jieda/jieda/index"
)

// queryParts is the request body Query and QueryGroups share: a nearest
// query on one named vector, or two prefetches fused.
type queryParts struct {
	prefetch []*qc.PrefetchQuery
	query    *qc.Query
	using    *string
	filter   *qc.Filter
	params   *qc.SearchParams // exact search of a dense-only query
}

// build maps a validated query. A hybrid query prefetches prefetch
// candidates per leg under the same filter and fuses them; RRF's k is
// passed explicitly as index's k + 1, because Qdrant scores a result at
// 0-based position p as 1/(k + p) while index scores rank r = p + 1 as
// 1/(k + r).
func (q query) build(prefetch int) queryParts {
	req := q.req
	f := toFilter(req.Filter)
	var params *qc.SearchParams
	if req.Exact {
		params = &qc.SearchParams{Exact: qc.PtrOf(true)}
	}
	switch {
	case q.dense && !q.sparse:
		return queryParts{query: qc.NewQueryDense(req.Dense), using: qc.PtrOf(index.DenseVectorName), filter: f, params: params}
	case q.sparse && !q.dense:
		return queryParts{query: qc.NewQuerySparse(req.Sparse.Indices, req.Sparse.Values),
			using: qc.PtrOf(index.SparseVectorName), filter: f}
	}
	lim := qc.PtrOf(uint64(prefetch))
	parts := queryParts{prefetch: []*qc.PrefetchQuery{
		{Query: qc.NewQueryDense(req.Dense), Using: qc.PtrOf(index.DenseVectorName), Filter: f, Limit: lim, Params: params},
		{Query: qc.NewQuerySparse(req.Sparse.Indices, req.Sparse.Values), Using: qc.PtrOf(index.SparseVectorName), Filter: f, Limit: lim},
	}}
	if req.Fusion == index.FusionDBSF {
		parts.query = qc.NewQueryFusion(qc.Fusion_DBSF)
	} else {
		parts.query = qc.NewQueryRRF(&qc.Rrf{K: qc.PtrOf(uint32(q.rrfK + 1))})
	}
	return parts
}

// Query searches by dense vector, sparse vector or both fused. Results
// order by descending score, then ascending id, as on every engine:
// Qdrant leaves the order of equal scores open, so the page is fetched
// from the top with one extra result, and fetched wider while the last
// result ties the one after it.
func (s *Store) Query(ctx context.Context, collection string, req index.QueryRequest) ([]index.ScoredPoint, error) {
	cfg, err := s.collection(ctx, collection)
	if err != nil {
		return nil, err
	}
	q, err := checkQuery(cfg, req)
	if err != nil {
		return nil, err
	}
	lim, _ := index.Limit("limit", req.Limit, 10)
	prefetch, err := index.Limit("prefetch limit", req.PrefetchLimit, min(max(4*(lim+req.Offset), 100), index.MaxLimit))
	if err != nil {
		return nil, err
	}
	parts := q.build(prefetch)
	need := lim + req.Offset
	for ask := need + 1; ; ask = 2 * ask {
		var resp *qc.QueryResponse
		err := s.do(ctx, collection, "querying", func(ctx context.Context) (err error) {
			resp, err = s.conn().points.Query(ctx, &qc.QueryPoints{
				CollectionName: s.qname(collection),
				Prefetch:       parts.prefetch,
				Query:          parts.query,
				Using:          parts.using,
				Filter:         parts.filter,
				Params:         parts.params,
				ScoreThreshold: req.ScoreThreshold,
				Limit:          qc.PtrOf(uint64(ask)),
				WithPayload:    withPayload(req.With),
				WithVectors:    withVectors(req.With),
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		out := make([]index.ScoredPoint, len(resp.GetResult()))
		for i, p := range resp.GetResult() {
			out[i] = scored(p, req.With)
		}
		index.SortScored(out)
		// Complete when Qdrant returned everything, or the cut falls between
		// two different scores.
		if len(out) < ask || out[need-1].Score != out[len(out)-1].Score || ask >= 4*index.MaxLimit {
			out = out[min(req.Offset, len(out)):]
			return out[:min(lim, len(out))], nil
		}
	}
}

// QueryGroups is Query grouped by a payload field with Qdrant's group-by.
// As on every engine, req.Limit and req.Offset are validated but unused
// (group.Limit and group.Size bound the result), hybrid legs prefetch
// max(4·group.Limit·group.Size, 100) by default, hits order by descending
// score then id, and groups by their best hit, its id, then the key.
func (s *Store) QueryGroups(ctx context.Context, collection string, req index.QueryRequest, group index.GroupBy) ([]index.Group, error) {
	cfg, err := s.collection(ctx, collection)
	if err != nil {
		return nil, err
	}
	q, err := checkQuery(cfg, req)
	if err != nil {
		return nil, err
	}
	size, groups, prefetch, err := index.GroupSizes(req, group)
	if err != nil {
		return nil, err
	}
	parts := q.build(prefetch)
	var resp *qc.QueryGroupsResponse
	err = s.do(ctx, collection, "querying groups", func(ctx context.Context) (err error) {
		resp, err = s.conn().points.QueryGroups(ctx, &qc.QueryPointGroups{
			CollectionName: s.qname(collection),
			Prefetch:       parts.prefetch,
			Query:          parts.query,
			Using:          parts.using,
			Filter:         parts.filter,
			Params:         parts.params,
			ScoreThreshold: req.ScoreThreshold,
			WithPayload:    withPayload(req.With),
			WithVectors:    withVectors(req.With),
			Limit:          qc.PtrOf(uint64(groups)),
			GroupSize:      qc.PtrOf(uint64(size)),
			GroupBy:        group.Key,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := []index.Group{}
	for _, g := range resp.GetResult().GetGroups() {
		key, ok := groupKey(g.GetId())
		if !ok || len(g.GetHits()) == 0 {
			continue
		}
		hits := make([]index.ScoredPoint, len(g.GetHits()))
		for i, h := range g.GetHits() {
			hits[i] = scored(h, req.With)
		}
		index.SortScored(hits)
		out = append(out, index.Group{Key: key, Hits: hits})
	}
	slices.SortStableFunc(out, func(a, b index.Group) int {
		if c := cmp.Compare(b.Hits[0].Score, a.Hits[0].Score); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Hits[0].ID, b.Hits[0].ID); c != 0 {
			return c
		}
		return index.CompareGroupKeys(a.Key, b.Key)
	})
	return out[:min(groups, len(out))], nil
}

// groupKey maps a group id: keyword → string, integer → int64.
func groupKey(id *qc.GroupId) (any, bool) {
	switch k := id.GetKind().(type) {
	case *qc.GroupId_StringValue:
		return k.StringValue, true
	case *qc.GroupId_IntegerValue:
		return k.IntegerValue, true
	case *qc.GroupId_UnsignedValue:
		return int64(k.UnsignedValue), true
	}
	return nil, false
}
