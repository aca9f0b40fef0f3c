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
// stays essential, and the bookkeeping costs more than it saves.
// BenchmarkSparsePruning (Zipf-drawn documents of 30 terms, queries of
// 12), µs, scoring all vs pruned, two interleaved runs each: 100k k 10
// 472 vs 392, 100k k 100 556 vs 861, 300k k 10 1,374 vs 930, 300k k 100
// 1,449 vs 1,762, 1M k 10 4,490 vs 2,453, 1M k 100 4,676 vs 4,207. And
// jining's 806-article KB, 13,653 points, lexical queries of ~50 terms
// and ~38k postings, k 200: 208 vs 752.
func (s *Sparse) prunes(postings, k int) bool {
	return postings > pruneMinPostings && s.live >= pruneMinDocsPerResult*k
}

const (
	pruneMinPostings      = 4096
	pruneMinDocsPerResult = 4096
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
	top  topK // searchPruned's
	seed topK
	all  keyTop // searchAll's

	terms     []qterm
	order     []*qterm
	win       []*qterm
	prefix    []float64
	buf       [pruneWindow]float32
	touched   [pruneWindow / 64]uint64
	slack     float64 // the float32 rounding a score's sum can add
	boundable bool    // every bound is finite
	nonneg    bool    // no contribution is below 0
}

// queryTerms fills sc.terms with the query's terms that have postings, in
// query order, and returns how many postings they hold together.
func (s *Sparse) queryTerms(sc *sparseScratch, indices []uint32, values []float32) int {
	sc.terms = sc.terms[:0]
	total := 0
	var sumAbs float64
	sc.nonneg = true
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
		sc.nonneg = sc.nonneg && lo >= 0
		sumAbs += max(math.Abs(float64(hi)), math.Abs(float64(lo)))
		total += len(p.docs)
	}
	// A float32 sum of m terms is off its exact value by at most
	// (m-1)·2⁻²⁴·Σ|term|; twice that is the pad.
	sc.slack = float64(len(sc.terms)) * 0x1p-23 * sumAbs
	sc.boundable = !math.IsInf(sumAbs, 0) && !math.IsNaN(sumAbs)
	return total
}

// searchAll scores every document sharing a term, a window of document
// ids at a time and term at a time within it: the window's sums stay in
// the first-level cache, where one array for the whole collection made
// each posting a cache miss at a few hundred thousand documents. Each
// document's terms are still summed in query order.
func (s *Sparse) searchAll(sc *sparseScratch, k int, allow func(slot uint32) bool) []Hit {
	terms := sc.terms
	buf, touched := &sc.buf, &sc.touched
	top := &sc.all
	top.reset(min(k, s.live))
	floor := top.floor() // scores below it cannot enter: most skip here
	for {
		lo := uint32(math.MaxUint32)
		for i := range terms {
			if t := &terms[i]; t.i < len(t.p.docs) {
				lo = min(lo, t.p.docs[t.i])
			}
		}
		if lo == math.MaxUint32 {
			break
		}
		for i := range terms {
			t := &terms[i]
			t.i = addWindow(buf, touched, t.p.docs, t.p.vals, t.w, t.i, lo)
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
				score := buf[off]
				buf[off] = 0
				id := lo + off
				if score < floor || s.isDead(id) {
					continue
				}
				slot := s.slots[id]
				key := hitKey(Hit{Slot: slot, Score: score})
				if !top.admits(key) || allow != nil && !allow(slot) {
					continue
				}
				if top.push(key) {
					floor = top.floor()
				}
			}
		}
	}
	return top.sorted()
}

// addWindow adds w × the term's values at postings i, i+1, ... of the
// documents in [lo, lo+pruneWindow) into buf, marks them in touched, and
// returns the position of the first posting past the window. A function
// of its own so that the loop keeps its variables in registers.
func addWindow(buf *[pruneWindow]float32, touched *[pruneWindow / 64]uint64, docs []uint32, vals []float32, w float32, i int, lo uint32) int {
	vals = vals[:len(docs)]
	// Postings are in document order: their touched bits are gathered a
	// word at a time, not set one by one.
	word, mask := uint32(0), uint64(0)
	for ; i < len(docs); i++ {
		d := docs[i] - lo
		if d >= pruneWindow { // docs[i] ≥ lo: the callers' lo is no later than any cursor
			break
		}
		// The conversion rounds the product before the add (no fused
		// multiply-add), as searchPruned does.
		buf[d] += float32(w * vals[i])
		if d>>6 != word {
			touched[word] |= mask
			word, mask = d>>6, 0
		}
		mask |= 1 << (d & 63)
	}
	touched[word] |= mask
	return i
}

// pruneWindow is the number of document ids searchPruned scores at once.
const pruneWindow = 4096

// searchPruned is Search with block-max MaxScore pruning, a window of
// document ids at a time; n is the query's length.
//
// In each window every term can contribute at most the bound of its
// blocks that overlap the window (its window bound). θ is a score the
// k-th result is sure to reach: from the start the seed's, then the k-th
// score held once k results are. A window whose bounds cannot sum to θ is
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
	theta := s.seed(sc, k, allow)
	ne := 0 // order[:ne] are non-essential over the whole lists
	for lo := uint64(0); ; {
		for ne < m && prefix[ne+1]+slack < theta {
			ne++
		}
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
		if total+slack < theta {
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
			addWindow(buf, touched, t.p.docs, t.p.vals, t.w, t.i, uint32(lo)) // t.i stays: seek reads the window again
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
				if bound+slack < theta || s.isDead(d) || allow != nil && !allow(s.slots[d]) {
					continue
				}
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
				var score float32
				for i := range terms {
					if c, ok := terms[i].seek(d); ok {
						score += c
					}
				}
				top.push(Hit{Slot: s.slots[d], Score: score})
				if top.full() {
					theta = max(theta, float64(top.worst().Score))
				}
			}
		}
		lo = hi
	}
	return top.sorted()
}

// seed returns a score that the k-th result is sure to reach, or -Inf: the
// k-th largest contribution the query's term of largest bound makes on
// its own to a live, allowed document. When no contribution is below 0, a
// document's float32 sum is never below any one of its terms (rounding is
// monotonic), so that score is reached by k documents. Pruning against it
// from the first window skips nothing that could make the top k, where
// waiting for k results to fill the heap walked the first windows whole:
// with k 100 over a million documents, a third of the collection before θ
// rose. Terms of more than seedMaxPostings postings are not walked.
func (s *Sparse) seed(sc *sparseScratch, k int, allow func(slot uint32) bool) float64 {
	theta := math.Inf(-1)
	if !sc.nonneg || len(sc.order) == 0 {
		return theta
	}
	t := sc.order[len(sc.order)-1]
	if len(t.p.docs) < k || len(t.p.docs) > seedMaxPostings {
		return theta
	}
	top := &sc.seed
	top.reset(k)
	for i, d := range t.p.docs {
		h := Hit{Slot: s.slots[d], Score: float32(t.w * t.p.vals[i])}
		if top.full() && !better(h, top.worst()) || s.isDead(d) || allow != nil && !allow(h.Slot) {
			continue
		}
		top.push(h)
	}
	if top.full() {
		theta = float64(top.worst().Score)
	}
	return theta
}

// seedMaxPostings bounds the postings seed walks.
const seedMaxPostings = 1 << 16

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
