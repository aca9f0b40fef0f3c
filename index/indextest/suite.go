package indextest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jieda/jieda/index"
)

// Run runs the contract suite. newStore returns a store for one subtest;
// it registers the store's Close with t.Cleanup itself, and that Close
// must tolerate the store having been closed already (the "Closed" subtest
// closes its store; a second Close may return nil or index.ErrClosed).
//
// Every subtest creates its own collections under fresh random names and
// deletes them when it ends, so stores backed by one shared server (a real
// Qdrant) do not collide; the suite never assumes the store starts empty.
// Collections stay far below 5,000 points, where engines must be exact.
func Run(t *testing.T, newStore func(t *testing.T) index.Store) {
	tests := []struct {
		name string
		fn   func(e *env)
	}{
		{"Collections/CreateIdempotent", testCreateIdempotent},
		{"Collections/Invalid", testCollectionsInvalid},
		{"Collections/InfoAndPayloadIndexes", testCollectionInfo},
		{"Collections/DeleteAndList", testDeleteAndList},
		{"Collections/UnknownCollection", testUnknownCollection},
		{"Collections/OnlySparse", testOnlySparse},
		{"Collections/OnlyDense", testOnlyDense},
		{"Closed", testClosed},

		{"Points/UpsertGet", testUpsertGet},
		{"Points/GetWith", testGetWith},
		{"Points/PayloadFields", testPayloadFields},
		{"Points/ReplaceAndDelete", testReplaceAndDelete},
		{"Points/DeleteByFilter", testDeleteByFilter},
		{"Points/SetAndOverwritePayload", testSetOverwritePayload},
		{"Points/SetPayloadWhere", testSetPayloadWhere},
		{"Points/Leases", testLeases},
		{"Points/Count", testCount},
		{"Points/InvalidIDs", testInvalidIDs},
		{"Points/InvalidVectors", testInvalidVectors},
		{"Points/PayloadRoundTrip", testPayloadRoundTrip},
		{"Points/LargePayloads", testLargePayloads},
		{"Points/VectorsNormalized", testVectorsNormalized},
		{"Points/ReturnsCopies", testReturnsCopies},

		{"Filters/Conditions", testFilterConditions},
		{"Filters/Invalid", testFilterInvalid},
		{"Filters/Random", testFilterRandom},

		{"Scroll/ByID", testScrollByID},
		{"Scroll/OrderBy", testScrollOrderBy},
		{"Scroll/OrderByErrors", testScrollOrderByErrors},

		{"Query/Empty", testQueryEmpty},
		{"Query/Invalid", testQueryInvalid},
		{"Query/Defaults", testQueryDefaults},
		{"Query/Exact", testQueryExact},
		{"Query/Reference", testQueryReference},
		{"Query/IDF", testIDF},
		{"Query/SparsePruning", testSparsePruning},

		{"Groups/Exact", testGroupsExact},
		{"Groups/Reference", testGroupsReference},
		{"Groups/Invalid", testGroupsInvalid},

		{"Concurrency", testConcurrency},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(&env{T: t, s: newStore(t), ctx: context.Background()})
		})
	}
}

// env is one subtest's store.
type env struct {
	*testing.T
	s   index.Store
	ctx context.Context
}

// collection creates a collection named prefix plus a random suffix and
// deletes it when the test ends.
func (e *env) collection(prefix string, dim int, sparse bool) string {
	e.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b)
	e.must(e.s.CreateCollection(e.ctx, index.CollectionConfig{Name: name, Dim: dim, Sparse: sparse}))
	e.Cleanup(func() { _ = e.s.DeleteCollection(context.Background(), name) })
	return name
}

func (e *env) must(err error) {
	e.Helper()
	if err != nil {
		e.Fatalf("unexpected error: %v", err)
	}
}

func (e *env) upsert(col string, pts ...index.Point) {
	e.Helper()
	e.must(e.s.Upsert(e.ctx, col, pts))
}

// wantErr checks that err wraps target and that its message contains each
// of numbers as a whole number.
func (e *env) wantErr(what string, err, target error, numbers ...int) {
	e.Helper()
	if !errors.Is(err, target) {
		e.Errorf("%s: got error %v, want %v", what, err, target)
		return
	}
	for _, n := range numbers {
		if !regexp.MustCompile(fmt.Sprintf(`(^|[^0-9A-Za-z_.])%d($|[^0-9A-Za-z_.])`, n)).MatchString(err.Error()) {
			e.Errorf("%s: error %q does not name %d", what, err, n)
		}
	}
}

// id returns the n-th test id; ids sort by n.
func id(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", n) }

// ids returns id(n) for each n.
func ids(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = id(n)
	}
	return out
}

// recordIDs returns the ids of records.
func recordIDs(rs []index.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// diff reports a mismatch in "(-want +got)" form; nil and empty slices and
// maps are equal.
func (e *env) diff(what string, want, got any, opts ...cmp.Option) {
	e.Helper()
	opts = append(opts, cmpopts.EquateEmpty())
	if d := cmp.Diff(want, got, opts...); d != "" {
		e.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// approxVectors compares float32 vectors within 1e-5.
var approxVectors = cmp.Comparer(func(a, b float32) bool {
	return math.Abs(float64(a)-float64(b)) <= 1e-5
})

// payload canonicalizes p, failing the test on error.
func (e *env) payload(p index.Payload) index.Payload {
	e.Helper()
	c, err := index.CanonicalPayload(p)
	e.must(err)
	return c
}

// unit returns v scaled to unit length.
func unit(v []float32) []float32 {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / math.Sqrt(sq))
	}
	return out
}

// cosVec returns a 4-dimensional unit vector whose cosine with (1,0,0,0) is c.
func cosVec(c float64) []float32 {
	return []float32{float32(c), float32(math.Sqrt(1 - c*c)), 0, 0}
}

// e1 is the query vector of cosVec's scores.
var e1 = []float32{1, 0, 0, 0}

func ptr[T any](v T) *T { return &v }

func nan64() float64 { return math.NaN() }

func errorsIs(err, target error) bool { return errors.Is(err, target) }
