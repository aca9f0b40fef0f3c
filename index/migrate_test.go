package index_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/memstore"
)

// Migrate copies collections with their payload indexes, payloads and
// vectors, in batches; a second run changes nothing.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	src, dst := memstore.New(), memstore.New()
	cfg := index.CollectionConfig{Name: "kb", Dim: 3, Sparse: true}
	if err := src.CreateCollection(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := src.CreatePayloadIndex(ctx, "kb", "status", index.FieldKeyword); err != nil {
		t.Fatal(err)
	}
	if err := src.CreateCollection(ctx, index.CollectionConfig{Name: "empty", Sparse: true}); err != nil {
		t.Fatal(err)
	}
	var points []index.Point
	for i := range 7 {
		points = append(points, index.Point{
			ID:      uuid.NewSHA1(uuid.NameSpaceOID, fmt.Append(nil, i)).String(),
			Payload: index.Payload{"status": "published", "n": int64(i)},
			Dense:   []float32{1, float32(i), 0.5},
			Sparse:  &index.Sparse{Indices: []uint32{uint32(i)}, Values: []float32{1}},
		})
	}
	if err := src.Upsert(ctx, "kb", points); err != nil {
		t.Fatal(err)
	}
	var batches []int
	for range 2 {
		batches = batches[:0]
		got, err := index.Migrate(ctx, src, dst, 3, func(string, int) func(int) {
			return func(n int) { batches = append(batches, n) }
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []index.Migrated{{Name: "empty"}, {Name: "kb", Source: 7, Target: 7}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("migrated (-want +got):\n%s", diff)
		}
	}
	if diff := cmp.Diff([]int{0, 3, 3, 1}, batches); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	srcInfo, _ := src.Collections(ctx)
	dstInfo, err := dst.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(srcInfo, dstInfo); diff != "" {
		t.Errorf("collections (-src +dst):\n%s", diff)
	}
	ids := make([]string, len(points))
	for i, p := range points {
		ids[i] = p.ID
	}
	want, _ := src.Get(ctx, "kb", ids, index.With{Payload: true, Vectors: true})
	got, err := dst.Get(ctx, "kb", ids, index.With{Payload: true, Vectors: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("points (-src +dst):\n%s", diff)
	}
}
