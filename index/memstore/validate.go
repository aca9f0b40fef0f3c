package memstore

import (
	"fmt"
	"math"

	"github.com/jieda/jieda/index"
)

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

// dense validates a dense vector against a collection and returns it
// L2-normalized (a copy). An empty vector returns nil.
func (c *collection) dense(v []float32) ([]float32, error) {
	if len(v) == 0 {
		return nil, nil
	}
	if c.cfg.Dim == 0 {
		return nil, fmt.Errorf("%w: collection %s has no dense vector", index.ErrInvalidArgument, c.cfg.Name)
	}
	if len(v) != c.cfg.Dim {
		return nil, fmt.Errorf("%w: vector has %d dimensions, collection %s has %d", index.ErrDimensionMismatch, len(v), c.cfg.Name, c.cfg.Dim)
	}
	var sq float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("%w: dense vector has a non-finite value", index.ErrInvalidArgument)
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

// sparse validates a sparse vector against a collection and returns a copy.
// A nil or empty vector returns nil.
func (c *collection) sparse(v *index.Sparse) (*index.Sparse, error) {
	if v == nil || (len(v.Indices) == 0 && len(v.Values) == 0) {
		return nil, nil
	}
	if !c.cfg.Sparse {
		return nil, fmt.Errorf("%w: collection %s has no sparse vector", index.ErrInvalidArgument, c.cfg.Name)
	}
	if len(v.Indices) != len(v.Values) {
		return nil, fmt.Errorf("%w: sparse vector has %d indices and %d values", index.ErrInvalidArgument, len(v.Indices), len(v.Values))
	}
	for i, x := range v.Values {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("%w: sparse vector has a non-finite value", index.ErrInvalidArgument)
		}
		if i > 0 && v.Indices[i] <= v.Indices[i-1] {
			return nil, fmt.Errorf("%w: sparse vector indices must be strictly ascending", index.ErrInvalidArgument)
		}
	}
	return copySparse(v), nil
}

func copySparse(v *index.Sparse) *index.Sparse {
	if v == nil {
		return nil
	}
	return &index.Sparse{Indices: append([]uint32(nil), v.Indices...), Values: append([]float32(nil), v.Values...)}
}

// copyValue deep-copies a canonical payload value.
func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = copyValue(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = copyValue(e)
		}
		return s
	}
	return v
}

func copyPayload(p index.Payload) index.Payload {
	return copyValue(p).(map[string]any)
}
