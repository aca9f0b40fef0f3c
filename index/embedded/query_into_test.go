package embedded

import (
	"context"
	"testing"

	"github.com/jieda/jieda/index"
)

// TestQueryInto: a single-leg query writes its results into the caller's
// buffer when it is large enough (the contract suite checks the results).
func TestQueryInto(t *testing.T) {
	ctx := context.Background()
	s := open(t, testConfig(t.TempDir()))
	must(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: 8, Sparse: true}))
	var pts []index.Point
	for n := range 50 {
		pts = append(pts, index.Point{ID: testID(n), Dense: testVector(n, 8), Sparse: &index.Sparse{Indices: []uint32{uint32(n % 5)}, Values: []float32{1}}})
	}
	must(t, s.Upsert(ctx, "c", pts))
	buf := make([]index.ScoredPoint, 0, 64)
	for _, c := range []struct {
		req  index.QueryRequest
		want int
	}{
		{index.QueryRequest{Dense: testVector(99, 8), Limit: 20}, 20},
		{index.QueryRequest{Sparse: &index.Sparse{Indices: []uint32{3}, Values: []float32{1}}, Limit: 20}, 10}, // the points n%5 == 3
	} {
		c.req.Into = buf
		got, err := s.Query(ctx, "c", c.req)
		must(t, err)
		if len(got) != c.want || &got[:1][0] != &buf[:1][0] {
			t.Errorf("%d results (want %d), in the buffer: %v", len(got), c.want, &got[:1][0] == &buf[:1][0])
		}
	}
	small := make([]index.ScoredPoint, 0, 2)
	got, err := s.Query(ctx, "c", index.QueryRequest{Dense: testVector(99, 8), Limit: 20, Into: small})
	must(t, err)
	if len(got) != 20 {
		t.Errorf("with a buffer too small: %d results", len(got))
	}
}
