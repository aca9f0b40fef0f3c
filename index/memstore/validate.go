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
