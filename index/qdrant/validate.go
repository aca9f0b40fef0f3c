package qdrant

import (
	"cmp"
	"fmt"
	"math"

	"github.com/jieda/jieda/index"
)

// Requests are validated here, before anything is sent, with the same
// rules and sentinels as the other engines, so a caller sees the same
// error whichever engine runs.

// checkDense validates a dense vector against a collection; an empty
// vector is absent (false).
func checkDense(cfg index.CollectionConfig, v []float32) (bool, error) {
	d, err := index.NormalizeDense(cfg, v)
	return d != nil, err
}

// checkSparse validates a sparse vector against a collection; a nil or
// empty vector is absent (false).
func checkSparse(cfg index.CollectionConfig, v *index.Sparse) (bool, error) {
	sp, err := index.CheckSparse(cfg, v)
	return sp != nil, err
}

// query is a validated QueryRequest.
type query struct {
	dense, sparse bool
	req           index.QueryRequest
	rrfK          int
}

// checkQuery validates the parts of a request Query and QueryGroups share.
func checkQuery(cfg index.CollectionConfig, req index.QueryRequest) (query, error) {
	q := query{req: req}
	var err error
	if q.dense, err = checkDense(cfg, req.Dense); err != nil {
		return q, err
	}
	if q.sparse, err = checkSparse(cfg, req.Sparse); err != nil {
		return q, err
	}
	if !q.dense && !q.sparse {
		return q, fmt.Errorf("%w: query has neither a dense nor a sparse vector", index.ErrInvalidArgument)
	}
	if err := req.Filter.Validate(); err != nil {
		return q, err
	}
	if req.Fusion != index.FusionRRF && req.Fusion != index.FusionDBSF {
		return q, fmt.Errorf("%w: unknown fusion %d", index.ErrInvalidArgument, req.Fusion)
	}
	if req.RRFK < 0 {
		return q, fmt.Errorf("%w: RRF k %d is negative", index.ErrInvalidArgument, req.RRFK)
	}
	q.rrfK = cmp.Or(req.RRFK, index.DefaultRRFK)
	if t := req.ScoreThreshold; t != nil && (math.IsNaN(float64(*t)) || math.IsInf(float64(*t), 0)) {
		return q, fmt.Errorf("%w: score threshold must be finite", index.ErrInvalidArgument)
	}
	if _, err := index.Limit("limit", req.Limit, 10); err != nil {
		return q, err
	}
	if req.Offset < 0 {
		return q, fmt.Errorf("%w: offset %d is negative", index.ErrInvalidArgument, req.Offset)
	}
	return q, nil
}
