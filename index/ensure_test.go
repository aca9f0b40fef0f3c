package index_test

import (
	"testing"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/memstore"
)

func TestEnsure(t *testing.T) {
	s := memstore.New()
	fields := map[string]index.FieldType{"kb": index.FieldKeyword, "at": index.FieldDatetime}
	for range 2 { // idempotent
		if err := index.Ensure(t.Context(), s, index.CollectionConfig{Name: "c", Sparse: true}, fields); err != nil {
			t.Fatal(err)
		}
	}
	info, err := s.Collection(t.Context(), "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.PayloadIndexes) != 2 || info.PayloadIndexes["at"] != index.FieldDatetime {
		t.Errorf("payload indexes = %v", info.PayloadIndexes)
	}
}
