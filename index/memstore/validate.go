package memstore

import (
	"github.com/jieda/jieda/index"
)

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
