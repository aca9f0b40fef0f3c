package embedded

import (
	"context"
	"math"
	"slices"
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

// TestQueryTiesByID: equal scores come back ordered by id on both legs,
// whatever order the points were written in (the indexes break ties by
// slot, which follows the writes).
func TestQueryTiesByID(t *testing.T) {
	ctx := context.Background()
	s := open(t, testConfig(t.TempDir()))
	must(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: 8, Sparse: true}))
	var pts []index.Point
	for _, n := range []int{7, 3, 9, 1, 5} { // written out of id order
		pts = append(pts, index.Point{ID: testID(n), Dense: testVector(0, 8), Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{1}}})
	}
	pts = append(pts, index.Point{ID: testID(0), Dense: testVector(4, 8), Sparse: &index.Sparse{Indices: []uint32{1, 2}, Values: []float32{0.5, 1}}})
	must(t, s.Upsert(ctx, "c", pts))
	want := []string{testID(1), testID(3), testID(5), testID(7), testID(9)}
	for name, req := range map[string]index.QueryRequest{
		"dense":  {Dense: testVector(0, 8), Limit: 5},
		"sparse": {Sparse: &index.Sparse{Indices: []uint32{1}, Values: []float32{1}}, Limit: 6},
	} {
		got, err := s.Query(ctx, "c", req)
		must(t, err)
		var ids []string
		for _, p := range got {
			if p.Score == got[0].Score {
				ids = append(ids, p.ID)
			}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: the tied best results are %v, want %v", name, ids, want)
		}
	}
}

func TestSortTies(t *testing.T) {
	sp := func(id string, s float32) index.ScoredPoint {
		return index.ScoredPoint{Record: index.Record{ID: id}, Score: s}
	}
	for _, ps := range [][]index.ScoredPoint{
		{sp("d", 3), sp("c", 2), sp("a", 2), sp("b", 2), sp("z", 1), sp("y", 1)},
		{sp("c", 1), sp("a", 3), sp("b", 2), sp("d", 3)}, // not by score: sorted whole
		{sp("b", float32(math.Copysign(0, -1))), sp("a", 0)},
		{},
	} {
		want := slices.Clone(ps)
		index.SortScored(want)
		sortTies(ps)
		if !slices.EqualFunc(ps, want, func(a, b index.ScoredPoint) bool { return a.ID == b.ID && a.Score == b.Score }) {
			t.Errorf("sortTies = %v, want %v", ps, want)
		}
	}
}
