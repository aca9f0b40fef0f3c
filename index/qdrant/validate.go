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

// maxLimit is the largest page, result or prefetch size.
const maxLimit = 10000

// limit validates a limit; 0 means def.
func limit(name string, n, def int) (int, error) {
	switch {
	case n == 0:
		return def, nil
	case n < 0 || n > maxLimit:
		return 0, fmt.Errorf("%w: %s %d must be in [0, %d]", index.ErrInvalidArgument, name, n, maxLimit)
	}
	return n, nil
}

// canonicalIDs validates ids and returns them in canonical form.
func canonicalIDs(ids []string) ([]string, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		c, err := index.CanonicalID(id)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// checkDense validates a dense vector against a collection; an empty
// vector is absent (false).
func checkDense(cfg index.CollectionConfig, v []float32) (bool, error) {
	if len(v) == 0 {
		return false, nil
	}
	if cfg.Dim == 0 {
		return false, fmt.Errorf("%w: collection %s has no dense vector", index.ErrInvalidArgument, cfg.Name)
	}
	if len(v) != cfg.Dim {
		return false, fmt.Errorf("%w: vector has %d dimensions, collection %s has %d", index.ErrDimensionMismatch, len(v), cfg.Name, cfg.Dim)
	}
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false, fmt.Errorf("%w: dense vector has a non-finite value", index.ErrInvalidArgument)
		}
	}
	return true, nil
}

// checkSparse validates a sparse vector against a collection; a nil or
// empty vector is absent (false).
func checkSparse(cfg index.CollectionConfig, v *index.Sparse) (bool, error) {
	if v == nil || (len(v.Indices) == 0 && len(v.Values) == 0) {
		return false, nil
	}
	if !cfg.Sparse {
		return false, fmt.Errorf("%w: collection %s has no sparse vector", index.ErrInvalidArgument, cfg.Name)
	}
	if len(v.Indices) != len(v.Values) {
		return false, fmt.Errorf("%w: sparse vector has %d indices and %d values", index.ErrInvalidArgument, len(v.Indices), len(v.Values))
	}
	for i, x := range v.Values {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false, fmt.Errorf("%w: sparse vector has a non-finite value", index.ErrInvalidArgument)
		}
		if i > 0 && v.Indices[i] <= v.Indices[i-1] {
			return false, fmt.Errorf("%w: sparse vector indices must be strictly ascending", index.ErrInvalidArgument)
		}
	}
	return true, nil
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
	if _, err := limit("limit", req.Limit, 10); err != nil {
		return q, err
	}
	if req.Offset < 0 {
		return q, fmt.Errorf("%w: offset %d is negative", index.ErrInvalidArgument, req.Offset)
	}
	return q, nil
}
