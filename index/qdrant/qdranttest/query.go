package qdranttest

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	qc "github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/proto"

	"github.com/jieda/jieda/index"
)

// defaultRRFK is Qdrant's RRF k when a request leaves it out.
const defaultRRFK = 2

// queryBody is what QueryPoints and QueryPointGroups share.
type queryBody struct {
	prefetch  []*qc.PrefetchQuery
	query     *qc.Query
	using     *string
	filter    *qc.Filter
	params    *qc.SearchParams
	threshold *float32
	lookup    bool
}

// nearest decodes a nearest query on a named vector into req.
func nearest(q *qc.Query, using *string, req *index.QueryRequest) error {
	n, ok := q.GetVariant().(*qc.Query_Nearest)
	if !ok {
		return unsupported(fmt.Sprintf("query %T", q.GetVariant()))
	}
	if using == nil {
		return invalid("Not existing vector name error: ")
	}
	switch *using {
	case index.DenseVectorName:
		d, ok := n.Nearest.GetVariant().(*qc.VectorInput_Dense)
		if !ok {
			return invalid("Conversion between sparse and regular vectors failed")
		}
		req.Dense = d.Dense.GetData()
	case index.SparseVectorName:
		sp, ok := n.Nearest.GetVariant().(*qc.VectorInput_Sparse)
		if !ok {
			return invalid("Conversion between sparse and regular vectors failed")
		}
		v, err := decodeSparse(qc.NewVectorSparse(sp.Sparse.GetIndices(), sp.Sparse.GetValues()))
		if err != nil {
			return err
		}
		req.Sparse = v
	default:
		return invalid("Not existing vector name error: %s", *using)
	}
	return nil
}

// exactOnly reads search params that ask for an exact search and nothing
// else (the fake's search is exact either way); any other is unsupported.
func exactOnly(p *qc.SearchParams) (bool, error) {
	if p == nil {
		return false, nil
	}
	rest := proto.Clone(p).(*qc.SearchParams)
	rest.Exact = nil
	if !proto.Equal(rest, &qc.SearchParams{}) {
		return false, unsupported("search params other than exact")
	}
	return p.GetExact(), nil
}

// decode maps a query body to an index request: a nearest query on one
// vector, or a dense and a sparse prefetch (same filter, same limit) fused
// by RRF or DBSF. Qdrant's RRF k scores 0-based positions, so index's k
// is Qdrant's minus one.
func (b queryBody) decode() (index.QueryRequest, error) {
	var req index.QueryRequest
	if b.lookup {
		return req, unsupported("lookup_from")
	}
	exact, err := exactOnly(b.params)
	if err != nil {
		return req, err
	}
	req.Exact = exact
	if b.query == nil {
		return req, unsupported("a query without a query (scroll via query)")
	}
	filter, err := decodeFilter(b.filter)
	if err != nil {
		return req, err
	}
	req.Filter = filter
	req.ScoreThreshold = b.threshold
	if len(b.prefetch) == 0 {
		return req, nearest(b.query, b.using, &req)
	}
	if len(b.prefetch) != 2 {
		return req, unsupported(fmt.Sprintf("%d prefetches", len(b.prefetch)))
	}
	if b.using != nil {
		return req, invalid("using is meaningless for fusion")
	}
	switch q := b.query.GetVariant().(type) {
	case *qc.Query_Fusion:
		switch q.Fusion {
		case qc.Fusion_RRF:
			req.RRFK = defaultRRFK - 1
		case qc.Fusion_DBSF:
			req.Fusion = index.FusionDBSF
		default:
			return req, unsupported("fusion " + q.Fusion.String())
		}
	case *qc.Query_Rrf:
		if len(q.Rrf.GetWeights()) > 0 {
			return req, unsupported("weighted RRF")
		}
		k := uint32(defaultRRFK)
		if q.Rrf.K != nil {
			k = q.Rrf.GetK()
		}
		if k < 2 {
			return req, unsupported(fmt.Sprintf("RRF k=%d (index's k would be %d, which means its default)", k, int(k)-1))
		}
		req.RRFK = int(k) - 1
	default:
		return req, unsupported(fmt.Sprintf("query %T over prefetches", q))
	}
	var legFilter *qc.Filter
	var legLimit uint64
	for i, pf := range b.prefetch {
		if len(pf.GetPrefetch()) > 0 || pf.ScoreThreshold != nil || pf.LookupFrom != nil {
			return req, unsupported("nested prefetch, score_threshold or lookup_from in a prefetch")
		}
		exact, err := exactOnly(pf.Params)
		if err != nil {
			return req, err
		}
		req.Exact = req.Exact || exact
		lim := uint64(10)
		if pf.Limit != nil {
			lim = pf.GetLimit()
		}
		if i == 0 {
			legFilter, legLimit = pf.GetFilter(), lim
		} else if !proto.Equal(legFilter, pf.GetFilter()) || legLimit != lim {
			return req, unsupported("prefetches with different filters or limits")
		}
		if pf.Query == nil {
			return req, unsupported("a prefetch without a query")
		}
		if err := nearest(pf.Query, pf.Using, &req); err != nil {
			return req, err
		}
	}
	if req.Dense == nil || req.Sparse == nil {
		return req, unsupported("fusing two prefetches on the same vector")
	}
	lf, err := decodeFilter(legFilter)
	if err != nil {
		return req, err
	}
	switch {
	case lf == nil:
	case req.Filter == nil:
		req.Filter = lf
	default: // Qdrant applies the outer filter on top of the prefetches'
		req.Filter = &index.Filter{Must: []index.Condition{index.Nested(*req.Filter), index.Nested(*lf)}}
	}
	req.PrefetchLimit = int(legLimit)
	return req, nil
}

func (p *points) Query(ctx context.Context, req *qc.QueryPoints) (*qc.QueryResponse, error) {
	name := req.GetCollectionName()
	ir, err := queryBody{prefetch: req.GetPrefetch(), query: req.Query, using: req.Using, filter: req.GetFilter(),
		params: req.Params, threshold: req.ScoreThreshold, lookup: req.LookupFrom != nil}.decode()
	if err != nil {
		return nil, err
	}
	with, include, err := decodeWith(req.GetWithPayload(), req.GetWithVectors())
	if err != nil {
		return nil, err
	}
	ir.With = with
	lim, offset := 10, int(req.GetOffset())
	if req.Limit != nil {
		lim = int(req.GetLimit())
	}
	if lim < 1 {
		return nil, invalid("Validation error in body: [limit: value 0 invalid, must be 1 or larger]")
	}
	// Qdrant takes any limit and leaves the order of equal scores open: rank
	// everything, then order ties by descending id, so that a client relying
	// on some order among ties fails here.
	ir.Limit = 10000
	res, err := p.backing().Query(ctx, name, ir)
	if err != nil {
		return nil, statusOf(err, name)
	}
	slices.SortStableFunc(res, func(a, b index.ScoredPoint) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.ID, a.ID))
	})
	res = res[min(offset, len(res)):]
	out := &qc.QueryResponse{}
	for _, sp := range res[:min(lim, len(res))] {
		out.Result = append(out.Result, scoredPoint(sp, with, include))
	}
	return out, nil
}

func (p *points) QueryGroups(ctx context.Context, req *qc.QueryPointGroups) (*qc.QueryGroupsResponse, error) {
	name := req.GetCollectionName()
	if req.WithLookup != nil {
		return nil, unsupported("with_lookup")
	}
	ir, err := queryBody{prefetch: req.GetPrefetch(), query: req.Query, using: req.Using, filter: req.GetFilter(),
		params: req.Params, threshold: req.ScoreThreshold, lookup: req.LookupFrom != nil}.decode()
	if err != nil {
		return nil, err
	}
	with, include, err := decodeWith(req.GetWithPayload(), req.GetWithVectors())
	if err != nil {
		return nil, err
	}
	ir.With = with
	if req.GetGroupBy() == "" {
		return nil, invalid("Validation error in body: [group_by: must not be empty]")
	}
	g := index.GroupBy{Key: req.GetGroupBy(), Size: 10, Limit: 3} // Qdrant's defaults
	if req.GroupSize != nil {
		g.Size = int(req.GetGroupSize())
	}
	if req.Limit != nil {
		g.Limit = int(req.GetLimit())
	}
	if g.Size < 1 || g.Limit < 1 {
		return nil, invalid("Validation error in body: [limit and group_size must be 1 or larger]")
	}
	groups, err := p.backing().QueryGroups(ctx, name, ir, g)
	if err != nil {
		return nil, statusOf(err, name)
	}
	out := &qc.QueryGroupsResponse{Result: &qc.GroupsResult{}}
	for _, grp := range groups {
		pg := &qc.PointGroup{}
		switch k := grp.Key.(type) {
		case string:
			pg.Id = qc.NewGroupIDString(k)
		case int64:
			pg.Id = qc.NewGroupIDInt(k)
		default:
			return nil, statusOf(fmt.Errorf("group key of type %T", k), name)
		}
		for _, h := range grp.Hits {
			pg.Hits = append(pg.Hits, scoredPoint(h, with, include))
		}
		out.Result.Groups = append(out.Result.Groups, pg)
	}
	return out, nil
}
