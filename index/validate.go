package index

import (
	"fmt"
	"math"
)

// MaxLimit is the largest page, result, group or prefetch size.
const MaxLimit = 10000

// Limit validates a limit named name; 0 means def.
func Limit(name string, n, def int) (int, error) {
	switch {
	case n == 0:
		return def, nil
	case n < 0 || n > MaxLimit:
		return 0, fmt.Errorf("%w: %s %d must be in [0, %d]", ErrInvalidArgument, name, n, MaxLimit)
	}
	return n, nil
}

// CanonicalIDs validates ids and returns them in canonical form.
func CanonicalIDs(ids []string) ([]string, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		c, err := CanonicalID(id)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// NormalizeDense validates a dense vector against a collection and returns
// it L2-normalized (a copy; a zero vector stays zero). An empty vector is
// absent: nil, nil.
func NormalizeDense(cfg CollectionConfig, v []float32) ([]float32, error) {
	if len(v) == 0 {
		return nil, nil
	}
	if cfg.Dim == 0 {
		return nil, fmt.Errorf("%w: collection %s has no dense vector", ErrInvalidArgument, cfg.Name)
	}
	if len(v) != cfg.Dim {
		return nil, fmt.Errorf("%w: vector has %d dimensions, collection %s has %d", ErrDimensionMismatch, len(v), cfg.Name, cfg.Dim)
	}
	var sq float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("%w: dense vector has a non-finite value", ErrInvalidArgument)
		}
		sq += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	norm := math.Sqrt(sq)
	for i, x := range v {
		if norm == 0 {
			out[i] = x
		} else {
			out[i] = float32(float64(x) / norm)
		}
	}
	return out, nil
}

// CheckSparse validates a sparse vector against a collection and returns a
// copy. A nil or empty vector is absent: nil, nil.
func CheckSparse(cfg CollectionConfig, v *Sparse) (*Sparse, error) {
	if v == nil || (len(v.Indices) == 0 && len(v.Values) == 0) {
		return nil, nil
	}
	if !cfg.Sparse {
		return nil, fmt.Errorf("%w: collection %s has no sparse vector", ErrInvalidArgument, cfg.Name)
	}
	if len(v.Indices) != len(v.Values) {
		return nil, fmt.Errorf("%w: sparse vector has %d indices and %d values", ErrInvalidArgument, len(v.Indices), len(v.Values))
	}
	for i, x := range v.Values {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("%w: sparse vector has a non-finite value", ErrInvalidArgument)
		}
		if i > 0 && v.Indices[i] <= v.Indices[i-1] {
			return nil, fmt.Errorf("%w: sparse vector indices must be strictly ascending", ErrInvalidArgument)
		}
	}
	return &Sparse{Indices: append([]uint32(nil), v.Indices...), Values: append([]float32(nil), v.Values...)}, nil
}
