package vecindex

import (
	"cmp"
	"math"
	"math/bits"
	"slices"

	"github.com/jieda/jieda/index"
)

// Search returns the k best documents allowed by allow (nil allows all)
// among those sharing a term with the query, best first, ties by slot
// ascending. indices and values pair up by position. allow runs under the
// index's read lock: it must not call the index.
//
// The result is always what scoring every document would give, to the
// bit: each document's score is summed in float32 in query-term order,
// whichever way it is found. Queries whose postings are short are scored
// term at a time into a dense array (searchAll); longer ones document at
// a time with MaxScore pruning (searchPruned): once k results are held,
// the terms whose largest possible contributions together cannot lift a
// document to the k-th score are no longer walked, only looked up (by
// block, then binary search) for the documents the other terms bring,
// and a document is dropped as soon as what it has plus what it could
// still get falls short. Every bound errs upward: it is computed in
// float64 from the exact float32 products and padded by the worst float32
// rounding of the sum, so nothing that could tie or beat the k-th result
// is ever skipped.
func (s *Sparse) Search(indices []uint32, values []float32, k int, allow func(slot uint32) bool) []Hit {
	return s.search(indices, values, k, allow, pruneAuto)
}

// Pruning modes of search: by the postings' length, or forced either way
// (tests compare the two).
const (
	pruneAuto = iota
	pruneNever
	pruneAlways
)

func (s *Sparse) search(indices []uint32, values []float32, k int, allow func(slot uint32) bool, mode int) []Hit {
	n := min(len(indices), len(values))
	if k <= 0 || n == 0 {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.live == 0 {
		return nil
	}
	sc, _ := s.scratch.Get().(*sparseScratch)
	if sc == nil {
		sc = new(sparseScratch)
	}
	postings := s.queryTerms(sc, indices[:n], values[:n])
	var hits []Hit
	prune := mode == pruneAlways || mode == pruneAuto && s.prunes(postings, k)
	if prune && sc.boundable {
		hits = s.searchPruned(sc, k, allow)
	} else {
		hits = s.searchAll(sc, k, allow)
	}
	// Back to the pool only now, clean: a panicking allow leaves it out.
	s.scratch.Put(sc)
	return hits
}

// prunes reports whether pruning should pay for a query whose terms hold
// postings entries together and that asks for k results. Below
// pruneMinPostings scoring them all is cheaper. And pruning only skips
// work once θ, the k-th score, sits high among the scores: when k is more
// than a pruneMinDocsPerResult-th of the collection nearly every term
// stays essential, and the bookkeeping costs more than it saves. Measured
// (median µs, scoring all vs pruned): jining's 806-article KB, 13,653
// points, lexical queries of ~50 terms and ~38k postings, k 200: 208 vs
// 752; Zipf-drawn documents of 30 terms and queries of 12 (a temporary
// benchmark): 13.6k k 200 187 vs 415, 100k k 100 832 vs 969, 100k k 10 787
// vs 386, 300k k 100 1,921 vs 1,647.
func (s *Sparse) prunes(postings, k int) bool {
	return postings > pruneMinPostings && s.live >= pruneMinDocsPerResult*k
}

const (
	pruneMinPostings      = 4096
	pruneMinDocsPerResult = 1024
)

// qterm is one query term present in the index: its position in the
// query (the order of summation), its weight q_t × IDF, its postings, the
// largest contribution it can make to a document's score (at least 0) and
// a cursor into its postings.
type qterm struct {
	pos int
	w   float32
	p   *posting
	ub  float64
	i   int
	wub float64 // the largest contribution in the current window
}

type sparseScratch struct {
	scores []float32
	seen   []uint64
	top    topK

	terms     []qterm
	order     []*qterm
	win       []*qterm
	prefix    []float64
	buf       [pruneWindow]float32
	touched   [pruneWindow / 64]uint64
	slack     float64 // the float32 rounding a score's sum can add
	boundable bool    // every bound is finite
}

// queryTerms fills sc.terms with the query's terms that have postings, in
// query order, and returns how many postings they hold together.
func (s *Sparse) queryTerms(sc *sparseScratch, indices []uint32, values []float32) int {
	sc.terms = sc.terms[:0]
	total := 0
	var sumAbs float64
	for i, t := range indices {
		p := s.terms[t]
		if p == nil {
			continue
		}
		w := values[i] * float32(index.IDF(p.live, s.live))
		// float32 rounding is monotonic, so these are the extreme products.
		hi, lo := float32(w*p.maxv), float32(w*p.minv)
		if hi < lo {
			hi, lo = lo, hi
		}
		sc.terms = append(sc.terms, qterm{pos: i, w: w, p: p, ub: max(float64(hi), 0)})
		sumAbs += max(math.Abs(float64(hi)), math.Abs(float64(lo)))
		total += len(p.docs)
	}
	// A float32 sum of m terms is off its exact value by at most
	// (m-1)·2⁻²⁴·Σ|term|; twice that is the pad.
	sc.slack = float64(len(sc.terms)) * 0x1p-23 * sumAbs
	sc.boundable = !math.IsInf(sumAbs, 0) && !math.IsNaN(sumAbs)
	return total
}

// searchAll scores every document sharing a term, term at a time.
func (s *Sparse) searchAll(sc *sparseScratch, k int, allow func(slot uint32) bool) []Hit {
	if len(sc.scores) < len(s.slots) {
		sc.scores = make([]float32, len(s.slots)+len(s.slots)/8)
		sc.seen = make([]uint64, (len(sc.scores)+63)/64)
	}
	scores, seen := sc.scores, sc.seen
	for _, t := range sc.terms {
		w, vals := t.w, t.p.vals[:len(t.p.docs)]
		for j, id := range t.p.docs {
			// The conversion rounds the product before the add (no fused
			// multiply-add), as searchPruned does.
			scores[id] += float32(w * vals[j])
			seen[id>>6] |= 1 << (id & 63)
		}
	}
	top := &sc.top
	top.reset(min(k, s.live))
	for wi, word := range seen[:(len(s.slots)+63)/64] {
		if word == 0 {
			continue
		}
		seen[wi] = 0
		for word != 0 {
			id := uint32(wi<<6 + bits.TrailingZeros64(word))
			word &= word - 1
			score := scores[id]
			scores[id] = 0
			if s.isDead(id) {
				continue
			}
			h := Hit{Slot: s.slots[id], Score: score}
			if top.full() && !better(h, top.worst()) {
				continue
			}
			if allow != nil && !allow(h.Slot) {
				continue
			}
			top.push(h)
		}
	}
	return top.sorted()
}

// pruneWindow is the number of document ids searchPruned scores at once.
const pruneWindow = 4096

// searchPruned is Search with block-max MaxScore pruning, a window of
// document ids at a time; n is the query's length.
//
// In each window every term can contribute at most the bound of its
// blocks that overlap the window (its window bound). Once k results are
// held, with θ the k-th score, a window whose bounds cannot sum to θ is
// skipped whole. Otherwise the terms are ordered by window bound,
// ascending, and the longest prefix whose bounds together cannot reach θ
// is non-essential: a document only they contain cannot reach θ. The
// essential terms' postings in the window are summed term at a time into
// a buffer (an estimate within the float32 rounding the slack covers);
// each document there whose sum plus the non-essential bounds can reach
// θ has the non-essential terms looked up, largest bound first, while it
// still can, and a document that survives is scored exactly, term by term
// in query order, as searchAll would. Between windows the next one starts
// at the next posting of a term that is essential over the whole list
// (by its largest contribution), so stretches where only non-essential
// terms occur are never visited.
func (s *Sparse) searchPruned(sc *sparseScratch, k int, allow func(slot uint32) bool) []Hit {
	terms := sc.terms
	m := len(terms)
	order := sc.order[:0]
	for i := range terms {
		order = append(order, &terms[i])
	}
	slices.SortStableFunc(order, func(a, b *qterm) int { return cmp.Compare(a.ub, b.ub) })
	prefix := append(sc.prefix[:0], 0)
	for _, t := range order {
		prefix = append(prefix, prefix[len(prefix)-1]+t.ub)
	}
	sc.order, sc.prefix = order, prefix
	slack := sc.slack
	buf, touched := &sc.buf, &sc.touched

	top := &sc.top
	top.reset(min(k, s.live))
	theta := math.Inf(-1)
	ne := 0 // order[:ne] are non-essential over the whole lists
	for lo := uint64(0); ; {
		next := uint64(math.MaxUint32)
		for _, t := range order[ne:] {
			if t.reach(lo) {
				next = min(next, uint64(t.p.docs[t.i]))
			}
		}
		if next == math.MaxUint32 {
			break
		}
		lo = next
		hi := lo + pruneWindow
		total := 0.0
		win := sc.win[:0]
		for i := range terms {
			t := &terms[i]
			if t.wub = t.windowBound(lo, hi); t.wub > 0 || t.inWindow(hi) {
				win = append(win, t)
				total += t.wub
			}
		}
		sc.win = win
		if top.full() && total+slack < theta {
			lo = hi
			continue
		}
		slices.SortStableFunc(win, func(a, b *qterm) int { return cmp.Compare(a.wub, b.wub) })
		rest, wne := 0.0, 0
		for wne < len(win) && rest+win[wne].wub+slack < theta {
			rest += win[wne].wub
			wne++
		}
		probes := win[:wne]
		slices.Reverse(probes) // largest bound first

		// The essential terms' sums, term at a time.
		for _, t := range win[wne:] {
			docs, vals, w := t.p.docs, t.p.vals, t.w
			for j := t.i; j < len(docs) && uint64(docs[j]) < hi; j++ {
				d := docs[j] - uint32(lo)
				buf[d] += float32(w * vals[j])
				touched[d>>6] |= 1 << (d & 63)
			}
		}
		for wi := range touched {
			word := touched[wi]
			if word == 0 {
				continue
			}
			touched[wi] = 0
			for word != 0 {
				off := uint32(wi<<6 + bits.TrailingZeros64(word))
				word &= word - 1
				sum := buf[off]
				buf[off] = 0
				d := uint32(lo) + off
				// The bound first: it needs nothing but the sum, and drops
				// most candidates before their document is looked at.
				bound := float64(sum) + rest
				if top.full() && bound+slack < theta || s.isDead(d) || allow != nil && !allow(s.slots[d]) {
					continue
				}
				if top.full() {
					keep := true
					for j := 0; keep && j < len(probes); j++ {
						t := probes[j]
						bound -= t.wub
						if c, ok := t.seek(d); ok {
							bound += float64(c)
						}
						keep = bound+slack >= theta
					}
					if !keep {
						continue
					}
				}
				var score float32
				for i := range terms {
					if c, ok := terms[i].seek(d); ok {
						score += c
					}
				}
				top.push(Hit{Slot: s.slots[d], Score: score})
				if top.full() {
					theta = float64(top.worst().Score)
				}
			}
		}
		for ne < m && prefix[ne+1]+slack < theta {
			ne++
		}
		lo = hi
	}
	return top.sorted()
}

// windowBound returns the largest contribution t can make to a document in
// [lo, hi): the largest bound of its blocks holding postings there (0
// when none does). It moves t's cursor to its first posting at or after
// lo.
func (t *qterm) windowBound(lo, hi uint64) float64 {
	if !t.reach(lo) || uint64(t.p.docs[t.i]) >= hi {
		return 0
	}
	docs := t.p.docs
	ub := 0.0
	for b := t.i / sparseBlock; b*sparseBlock < len(docs) && uint64(docs[b*sparseBlock]) < hi || b == t.i/sparseBlock; b++ {
		hiv, lov := float32(t.w*t.p.bmax[b]), float32(t.w*t.p.bmin[b])
		ub = max(ub, float64(hiv), float64(lov))
	}
	return ub
}

// inWindow reports whether t's cursor is at a posting before hi.
func (t *qterm) inWindow(hi uint64) bool {
	return t.i < len(t.p.docs) && uint64(t.p.docs[t.i]) < hi
}

// reach moves t's cursor to its first posting at or after lo and reports
// whether there is one.
func (t *qterm) reach(lo uint64) bool {
	if t.i >= len(t.p.docs) {
		return false
	}
	if uint64(t.p.docs[t.i]) < lo {
		t.seek(uint32(lo))
	}
	return t.i < len(t.p.docs)
}

// seek moves t's cursor to the first posting at or after document d, whole
// blocks at a time and then by binary search, and returns t's contribution
// to d when d has the term.
func (t *qterm) seek(d uint32) (float32, bool) {
	docs := t.p.docs
	i := t.i
	// Candidates come in document order and are often close: a few steps
	// forward first, then whole blocks, then a binary search.
	for n := 0; i < len(docs) && docs[i] < d; i++ {
		if n++; n == 8 {
			i = t.skip(i, d)
			break
		}
	}
	t.i = i
	if i >= len(docs) || docs[i] != d {
		return 0, false
	}
	return float32(t.w * t.p.vals[i]), true
}

// skip returns the position of t's first posting at or after d, from
// position i, whole blocks at a time and then by binary search.
func (t *qterm) skip(i int, d uint32) int {
	docs := t.p.docs
	b := i / sparseBlock
	end := min((b+1)*sparseBlock, len(docs))
	for docs[end-1] < d {
		b++
		if b*sparseBlock >= len(docs) {
			return len(docs)
		}
		i, end = b*sparseBlock, min((b+1)*sparseBlock, len(docs))
	}
	j, _ := slices.BinarySearch(docs[i:end], d)
	return i + j
}
