package indextest

import (
	"fmt"
	"math/rand/v2"

	"github.com/jieda/jieda/index"
)

// Sizes of the sparse pruning test: enough documents that a common term's
// postings run to thousands (engines that skip postings do so from there)
// while the suite stays quick.
const (
	pruneDocs  = 6000
	pruneVocab = 300
)

// pruneDoc draws a sparse vector of 4-30 distinct terms, low terms far
// more often (so a few terms are in most documents and many in few), with
// values from a small set (so that sums tie exactly between documents).
func pruneDoc(rng *rand.Rand) *index.Sparse {
	n := 4 + rng.IntN(27)
	set := map[uint32]bool{}
	for len(set) < n {
		set[uint32(rng.IntN(1+rng.IntN(1+rng.IntN(pruneVocab))))] = true
	}
	s := &index.Sparse{}
	for t := range uint32(pruneVocab) {
		if set[t] {
			s.Indices = append(s.Indices, t)
			s.Values = append(s.Values, float32(1+rng.IntN(3)))
		}
	}
	return s
}

// testSparsePruning checks sparse queries on a collection large enough for
// an engine to prune (skip postings that cannot reach the top k) against
// the brute-force reference: common and rare terms, exact ties (a fifth
// of the documents copy another's vector), deleted and replaced documents
// (live document frequencies, dead postings), filters from most to few of
// the documents, and limits from 1 to 100. A pruning engine that drops a
// document which could still tie or beat the k-th result, or sums a score
// differently, fails here.
func testSparsePruning(e *env) {
	rng := rand.New(rand.NewPCG(21, 22))
	name := e.collection("prune", 0, true)
	e.must(e.s.CreatePayloadIndex(e.ctx, name, "g", index.FieldKeyword))
	m := newModel()
	groups := []string{"a", "b", "c", "d"}
	var made []*index.Sparse
	point := func(n int) index.Point {
		sp := pruneDoc(rng)
		if len(made) > 0 && rng.IntN(5) == 0 {
			sp = made[rng.IntN(len(made))]
		} else {
			made = append(made, sp)
		}
		return index.Point{ID: id(n), Sparse: sp, Payload: index.Payload{"g": groups[rng.IntN(len(groups))], "n": int64(rng.IntN(100))}}
	}
	put := func(pts []index.Point) {
		e.upsert(name, pts...)
		for _, p := range pts {
			m.put(e, p)
		}
	}
	var batch []index.Point
	for n := range pruneDocs {
		batch = append(batch, point(n))
		if len(batch) == 500 {
			put(batch)
			batch = nil
		}
	}
	// Churn: a tenth deleted, a tenth replaced.
	var gone []string
	for range pruneDocs / 10 {
		gone = append(gone, id(rng.IntN(pruneDocs)))
	}
	e.must(e.s.Delete(e.ctx, name, gone))
	for _, g := range gone {
		delete(m.points, g)
	}
	for range pruneDocs / 10 {
		batch = append(batch, point(rng.IntN(pruneDocs)))
	}
	put(batch)

	filters := []struct {
		name string
		f    *index.Filter
	}{
		{"none", nil},
		{"g=a", &index.Filter{Must: []index.Condition{index.MatchKeyword("g", "a")}}},
		{"not g=b", &index.Filter{MustNot: []index.Condition{index.MatchKeyword("g", "b")}}},
		{"n<3", &index.Filter{Must: []index.Condition{index.NumberRange("n", index.Range{Lt: index.F(3)})}}},
	}
	queries := 0
	for tries := 0; queries < 12 && tries < 2000; tries++ {
		q := &index.Sparse{}
		set := map[uint32]bool{}
		for len(set) < 1+rng.IntN(6) {
			set[uint32(rng.IntN(1+rng.IntN(pruneVocab)))] = true
		}
		for t := range uint32(pruneVocab) {
			if set[t] {
				q.Indices = append(q.Indices, t)
				q.Values = append(q.Values, float32(1+rng.IntN(2)))
			}
		}
		// Only queries whose reference rankings leave float rounding no room
		// to reorder (scores tied exactly or well apart) around every cut.
		ok := true
		for _, f := range filters {
			full := m.sparseLeg(q, f.f)
			ok = ok && len(full) > 0 && separated(full[:min(len(full), 101)], true)
		}
		if !ok {
			continue
		}
		queries++
		for _, f := range filters {
			for _, limit := range []int{1, 10, 100} {
				req := index.QueryRequest{Sparse: q, Filter: f.f, Limit: limit}
				want, all := m.query(req)
				got, err := e.s.Query(e.ctx, name, req)
				e.must(err)
				checkRanked(e, fmt.Sprintf("query %v filter %s limit %d", q.Indices, f.name, limit), want, all, got)
			}
		}
	}
	if queries < 12 {
		e.Fatalf("only %d well-separated queries found", queries)
	}
}
