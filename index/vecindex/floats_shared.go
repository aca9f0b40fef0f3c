package vecindex

import (
	"math"
	"math/bits"
	"slices"
	"sync"
)

// SearchShared is Search over every slot allow admits (nil admits all),
// sharing scans with concurrent calls on f. A call scans on its own while
// fewer than sharedScans scans run; one that arrives when they are busy
// waits, and the first scan to end hands the calls waiting then (up to
// maxScanBatch) one scan, run by the first of them, which reads each
// vector once for the whole batch. Scanning a collection's vectors is
// bound by memory, not by the dot products, so under load a question
// costs a fraction of a scan of its own (BenchmarkFloatsShared). Its
// results are Search's, to the bit.
//
// allow may therefore be called from another caller's goroutine while
// this call waits: it must be safe for that and must not panic, and the
// vectors must not change until every call has returned (the engine holds
// its readers' lock for each).
func (f *Floats) SearchShared(q []float32, k int, allow func(slot uint32) bool) []Hit {
	if len(q) != f.dim || k <= 0 || f.dim == 0 {
		return nil
	}
	r := &scanReq{q: q, k: k, allow: allow, done: make(chan bool, 1)}
	s := &f.scans
	s.mu.Lock()
	if s.running < sharedScans {
		s.running++ // and nobody waits: r scans alone
		s.mu.Unlock()
		r.batch = []*scanReq{r}
	} else {
		s.waiting = append(s.waiting, r)
		s.mu.Unlock()
		if <-r.done {
			return r.hits // served by another call's scan
		}
		// r was handed the next scan, its batch taken out of waiting.
	}
	f.scan(r.batch)
	for _, b := range r.batch[1:] {
		b.done <- true
	}
	s.mu.Lock()
	s.scans++
	s.served += len(r.batch)
	if len(s.waiting) == 0 {
		s.running--
		s.mu.Unlock()
		return r.hits
	}
	next := slices.Clone(s.waiting[:min(len(s.waiting), maxScanBatch)])
	s.waiting = slices.Delete(s.waiting, 0, len(next))
	s.mu.Unlock()
	next[0].batch = next
	next[0].done <- false // it runs the next scan, for all of next
	return r.hits
}

const (
	// sharedScans is how many shared scans of one Floats run at once.
	// One: scans running side by side compete for the same memory
	// bandwidth and each serves fewer calls. bench ask on jining's
	// kb_full (13,654 × 512 in memory), CPU ms per question, medians of 3
	// interleaved runs: one scan per CPU 7.46, one 6.96; one per CPU had
	// been no better than not sharing (9.26 vs 8.75).
	sharedScans = 1
	// maxScanBatch bounds the calls one shared scan serves: a scan's
	// time grows with its batch once the vectors stop being the cost.
	maxScanBatch = 16
)

// scanQueue is the SearchShared calls waiting for a scan and the scans
// running. Calls wait only while sharedScans scans run; a scan that ends
// with calls waiting hands the next to the first of them.
type scanQueue struct {
	mu      sync.Mutex
	waiting []*scanReq
	running int
	// scans and served count the scans run and the calls they served.
	scans, served int
}

// scanReq is one SearchShared call: its query, and its result once done
// says true (false: it is to run the scan of batch).
type scanReq struct {
	q     []float32
	k     int
	allow func(slot uint32) bool
	hits  []Hit
	done  chan bool
	batch []*scanReq // the scan it runs, itself first
}

// scan answers a batch of requests in one pass over the vectors, each
// vector dotted with every query that admits its slot while it is in
// cache. Each request's scores and ranking are Search's: the same dot
// product and the same top-k rule.
func (f *Floats) scan(batch []*scanReq) {
	if halfScans && len(f.halves) == len(f.vecs) {
		f.scanHalves(batch)
		return
	}
	tops := make([]topK, len(batch))
	for i, r := range batch {
		tops[i].reset(r.k)
	}
	for wi, word := range f.has {
		for word != 0 {
			slot := uint32(wi<<6 + bits.TrailingZeros64(word))
			word &= word - 1
			at := int(slot) * f.dim
			v := f.vecs[at : at+f.dim : at+f.dim]
			for i, r := range batch {
				if r.allow != nil && !r.allow(slot) {
					continue
				}
				h := Hit{Slot: slot, Score: dot(r.q, v)}
				if t := &tops[i]; !t.full() || better(h, t.worst()) {
					t.push(h)
				}
			}
		}
	}
	for i, r := range batch {
		r.hits = tops[i].sorted()
	}
}

// scanHalves is scan on the half copy: each vector's half-precision score
// a lies within d = ‖q‖·bound of the score its full vector gets, so the
// exact top k follows from rescoring on the full vectors only the
// candidates that can still make it (see bounded). The results are
// scan's, to the bit. A vector whose values do not fit a half (an
// infinite bound) is scored on its full vector at once.
func (f *Floats) scanHalves(batch []*scanReq) {
	cs := make([]bounded, len(batch))
	qnorms := make([]float64, len(batch))
	for i, r := range batch {
		qnorms[i] = boundNorm(r.q)
		cs[i].reset(r.k)
	}
	for wi, word := range f.has {
		for word != 0 {
			slot := uint32(wi<<6 + bits.TrailingZeros64(word))
			word &= word - 1
			at := int(slot) * f.dim
			h := f.halves[at : at+f.dim : at+f.dim]
			bound := float64(f.bounds[slot])
			for i, r := range batch {
				if r.allow != nil && !r.allow(slot) {
					continue
				}
				if math.IsInf(bound, 1) {
					cs[i].offer(float64(dot(r.q, f.vecs[at:at+f.dim:at+f.dim])), 0, slot)
					continue
				}
				cs[i].offer(float64(dotF16(r.q, h)), qnorms[i]*bound, slot)
			}
		}
	}
	for i, r := range batch {
		r.hits = cs[i].finish(func(slot uint32) Hit {
			at := int(slot) * f.dim
			return Hit{Slot: slot, Score: dot(r.q, f.vecs[at:at+f.dim:at+f.dim])}
		})
	}
}
