package vecindex

import (
	"math"
	"sync"
)

// Search returns the k best live slots allowed by allow (nil allows all),
// best first, ties by slot ascending, with exact scores: the dot product
// of q with the vectors exact returns. It returns min(k, allowed slots)
// hits: filters that allow few slots are scanned exactly, and a graph
// search that comes up short falls back to the exact scan. Pending
// vectors are always scanned exactly and merged in. A query of the wrong
// dimension returns nil. allow and exact run under the index's read
// locks: they must not call the index. With a nil exact, the scores (and
// the order) are those of the quantized vectors.
func (d *Dense) Search(q []float32, k int, allow func(slot uint32) bool, exact Exact) []Hit {
	if len(q) != d.dim || k <= 0 || d.dim == 0 {
		return nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	d.pmu.RLock()
	defer d.pmu.RUnlock()
	graphed := len(d.bySlot)
	live := graphed + d.pending.len()
	if live == 0 {
		return nil
	}
	ef := max(d.efSearch(graphed), k)
	// A graph search touches about 28×ef vectors at random; an exact scan
	// touches all of them in order, several times cheaper each.
	if live < d.opts.ExactBelow || ef*20 >= graphed {
		return d.exact(q, k, allow, exact)
	}
	if allow != nil && d.filterExact(d.allowedFraction(allow), ef, graphed) {
		return d.exact(q, k, allow, exact)
	}
	s := d.getScratch()
	defer d.putScratch(s)
	if !d.graphSearch(s, q, ef, allow) || len(s.res) < k && len(s.res) < graphed {
		// Fewer allowed slots than k, or a part of the graph the search
		// could not reach: the exact scan is the answer either way.
		return d.exact(q, k, allow, exact)
	}
	rs := d.newRescorer(q, k, exact)
	defer rs.put()
	d.scanPending(q, allow, &rs.top)
	for _, c := range s.res {
		rs.offer(d, c)
	}
	return rs.finish(d)
}

// efSearch is the beam width of a graph search of n linked vectors: the
// configured EfSearch up to efGrowFrom vectors, then growing with the
// square root of the collection (2.24 × EfSearch at a million), since
// recall at a fixed beam falls as the graph grows: on the bench's data
// ef 128 gave recall@10 0.944 at 1M × 512, ef 256 0.986-0.992; at 300k
// ef 140 gave 0.985-0.989 and ef 157 0.991 at the same latency.
func (d *Dense) efSearch(n int) int {
	ef := d.opts.EfSearch
	if n > efGrowFrom {
		ef = int(float64(ef) * math.Sqrt(float64(n)/efGrowFrom))
	}
	return ef
}

// efGrowFrom is the collection size from which efSearch grows.
const efGrowFrom = 200_000

// filterExactFraction: a filter allowing less than this fraction of the
// points is searched by exact scan over the allowed points.
const filterExactFraction = 0.1

// filterExact reports whether a search of graphed linked vectors with beam
// ef and a filter admitting fraction frac of them is an exact scan. The
// beam keeps only admitted nodes, so a filtered graph search touches about
// 1/frac times the vectors an unfiltered one does, while the scan scores
// frac of them: the unfiltered rule (ef*20 ≥ graphed) becomes
// ef*20 ≥ frac²·graphed. Below filterExactFraction it is always the scan,
// the graph's recall being poor there at any size.
func (d *Dense) filterExact(frac float64, ef, graphed int) bool {
	return frac < filterExactFraction ||
		frac*float64(graphed) < float64(d.opts.ExactBelow) ||
		frac*frac*float64(graphed) <= float64(ef*20)
}

// allowedFraction estimates the fraction of live slots allow admits: all
// of them up to filterSamples nodes, else a sample of filterSamples node
// ids drawn by a fixed hash. A hash, not a stride: a stride aliases with
// periodic filters (every tenth slot) whenever the collection size shares
// a factor with it.
func (d *Dense) allowedFraction(allow func(slot uint32) bool) float64 {
	n := uint64(len(d.slots))
	seen, ok := 0, 0
	count := func(id uint32) {
		if d.isDead(id) {
			return
		}
		seen++
		if allow(d.slots[id]) {
			ok++
		}
	}
	if n <= filterSamples {
		for id := range uint32(n) {
			count(id)
		}
	} else {
		for i := range uint64(filterSamples) {
			count(uint32(splitmix64(i) % n))
		}
	}
	if seen == 0 {
		return 1
	}
	return float64(ok) / float64(seen)
}

// filterSamples is the number of nodes allowedFraction looks at.
const filterSamples = 512

// splitmix64 is SplitMix64's output function: a fixed, well-mixed hash.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// SearchExact is the brute-force search: every live allowed slot is
// scored, and the result is exact (given exact). It is the reference
// Search is measured against.
func (d *Dense) SearchExact(q []float32, k int, allow func(slot uint32) bool, exact Exact) []Hit {
	if len(q) != d.dim || k <= 0 || d.dim == 0 {
		return nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	d.pmu.RLock()
	defer d.pmu.RUnlock()
	return d.exact(q, k, allow, exact)
}

// exact scores every live allowed vector on its quantized form, keeps the
// ones that can still be among the k best, and rescores those. The caller
// holds mu and pmu for reading.
func (d *Dense) exact(q []float32, k int, allow func(slot uint32) bool, exact Exact) []Hit {
	rs := d.newRescorer(q, min(k, len(d.bySlot)+d.pending.len()), exact)
	defer rs.put()
	d.scanPending(q, allow, &rs.top)
	for ci, c := range d.recs {
		base := uint32(ci) << d.shift
		for j := 0; (j+1)*d.stride <= len(c); j++ {
			n := base + uint32(j)
			if d.isDead(n) {
				continue
			}
			if allow != nil && !allow(d.slots[n]) {
				continue
			}
			r := c[j*d.stride : (j+1)*d.stride]
			rs.offer(d, cand{recScale(r) * dotI8(q, recCodes(r, d.dim)), n})
		}
	}
	return rs.finish(d)
}

// scanPending offers every allowed pending vector to top. The caller holds
// pmu for reading.
func (d *Dense) scanPending(q []float32, allow func(slot uint32) bool, top *topK) {
	d.pending.each(func(slot uint32, v []float32) {
		if allow != nil && !allow(slot) {
			return
		}
		h := Hit{Slot: slot, Score: dot(q, v)}
		if !top.full() || better(h, top.worst()) {
			top.push(h)
		}
	})
}

// rescorer turns quantized scores into the exact top k: each candidate's
// exact score lies within ±‖q‖·bound of its quantized one (see bounded).
// Without an exact source the quantized scores are the results.
type rescorer struct {
	bounded
	q     []float32
	qnorm float64
	exact Exact
	buf   []float32
}

// rescorers are pooled: their heaps and candidate list grow to a
// search's k and ef, and every dense search needs one.
var rescorers = sync.Pool{New: func() any { return new(rescorer) }}

// newRescorer returns a rescorer from the pool; give it back with put
// once its results (a copy) are taken.
func (d *Dense) newRescorer(q []float32, k int, exact Exact) *rescorer {
	rs := rescorers.Get().(*rescorer)
	rs.q, rs.qnorm, rs.exact = q, boundNorm(q), exact
	rs.reset(k)
	return rs
}

// put returns rs to the pool, holding on to no caller's data: buf may be
// a view of a collection's vectors (see Exact), which another search's
// Exact must never be handed as its destination.
func (rs *rescorer) put() {
	rs.q, rs.exact, rs.buf = nil, nil, nil
	rescorers.Put(rs)
}

// offer considers node c.id with quantized score c.score.
func (rs *rescorer) offer(d *Dense, c cand) {
	if rs.exact == nil {
		h := Hit{Slot: d.slots[c.id], Score: c.score}
		if !rs.top.full() || better(h, rs.top.worst()) {
			rs.top.push(h)
		}
		return
	}
	rs.bounded.offer(float64(c.score), rs.qnorm*float64(recBound(d.rec(c.id))), c.id)
}

// finish rescores what can still make the top k and returns it sorted. A
// node whose full vector cannot be read keeps its quantized score.
func (rs *rescorer) finish(d *Dense) []Hit {
	return rs.bounded.finish(func(node uint32) Hit {
		slot := d.slots[node]
		if v, ok := rs.exact(slot, rs.buf); ok && len(v) == d.dim {
			rs.buf = v
			return Hit{Slot: slot, Score: dot(rs.q, v)}
		}
		return Hit{Slot: slot, Score: d.score(rs.q, node)}
	})
}

// minFloat keeps the k largest values pushed; min is the smallest kept.
type minFloat struct {
	k int
	h []float64
}

func (m *minFloat) full() bool   { return m.k > 0 && len(m.h) >= m.k }
func (m *minFloat) min() float64 { return m.h[0] }

func (m *minFloat) push(x float64) {
	if m.k <= 0 {
		return
	}
	if len(m.h) < m.k {
		m.h = append(m.h, x)
		for i := len(m.h) - 1; i > 0; {
			p := (i - 1) / 2
			if m.h[p] <= m.h[i] {
				break
			}
			m.h[p], m.h[i] = m.h[i], m.h[p]
			i = p
		}
		return
	}
	if x <= m.h[0] {
		return
	}
	m.h[0] = x
	for i := 0; ; {
		l, s := 2*i+1, i
		if l < len(m.h) && m.h[l] < m.h[s] {
			s = l
		}
		if r := l + 1; r < len(m.h) && m.h[r] < m.h[s] {
			s = r
		}
		if s == i {
			return
		}
		m.h[i], m.h[s] = m.h[s], m.h[i]
		i = s
	}
}
