package vecindex

import (
	"math"
	"slices"
)

// bounded finds the exact top k among candidates scored approximately,
// each within a known distance d of its exact score (quantized codes, a
// half-precision copy). A candidate whose upper bound is below the k-th
// best lower bound seen (or the k-th exact score held) is dropped as it
// comes; finish rescores the rest from the highest upper bound down until
// the next cannot reach the k-th exact score (ties included: only a
// strictly lower bound stops). The result is that of scoring every
// candidate exactly.
type bounded struct {
	top    topK     // exact hits
	lows   minFloat // the k best lower bounds
	cands  []uint64 // candKey of each kept candidate
	prune  int      // sweep cands of hopeless candidates at this length
	sweeps int      // sweeps so far (tests check they stay few)
}

func (b *bounded) reset(k int) {
	b.top.reset(k)
	b.lows = minFloat{k: k, h: b.lows.h[:0]}
	b.cands = b.cands[:0]
	b.prune = 4*k + 1024
	b.sweeps = 0
}

// floor is the score every result will have at least: the k-th best of
// the exact scores and lower bounds seen.
func (b *bounded) floor() float64 {
	f := math.Inf(-1)
	if b.lows.full() {
		f = b.lows.min()
	}
	if b.top.full() && len(b.top.h) > 0 {
		f = max(f, float64(b.top.worst().Score))
	}
	return f
}

// offer considers candidate id, scored a ± d.
func (b *bounded) offer(a, d float64, id uint32) {
	if a+d < b.floor() {
		return
	}
	b.lows.push(a - d)
	b.cands = append(b.cands, candKey(a+d, id))
	if len(b.cands) >= b.prune {
		b.sweep()
		b.sweeps++
		// When scores crowd together few candidates drop: wait for the list
		// to double before the next sweep, so sweeps stay linear in total.
		b.prune = max(b.prune, 2*len(b.cands))
	}
}

// sweep drops the candidates whose upper bound is below the floor.
func (b *bounded) sweep() {
	f := b.floor()
	b.cands = slices.DeleteFunc(b.cands, func(k uint64) bool { return float64(keyBound(k)) < f })
}

// finish rescores, highest upper bound first, the candidates that can
// still make the top k, score giving each one's exact hit, and returns
// the top sorted.
func (b *bounded) finish(score func(id uint32) Hit) []Hit {
	if b.top.k <= 0 {
		return b.top.sorted()
	}
	b.sweep()
	slices.Sort(b.cands)
	for _, key := range b.cands {
		if b.top.full() && keyBound(key) < b.top.worst().Score {
			break
		}
		if h := score(uint32(key)); !b.top.full() || better(h, b.top.worst()) {
			b.top.push(h)
		}
	}
	return b.top.sorted()
}

// candKey packs a candidate so that keys in ascending order are upper
// bounds descending, then ids ascending (scoreKey). The bound is kept as a
// float32 rounded up: never below the true one.
func candKey(ub float64, id uint32) uint64 {
	u := float32(ub)
	if float64(u) < ub {
		u = math.Nextafter32(u, float32(math.Inf(1)))
	}
	return scoreKey(u, id)
}

// keyBound returns the upper bound candKey packed in k.
func keyBound(k uint64) float32 { return keyScore(k) }

// boundNorm is ‖q‖ padded upward, the factor that turns a stored vector's
// error bound into a bound on its score's error.
func boundNorm(q []float32) float64 {
	var n2 float64
	for _, x := range q {
		n2 += float64(x) * float64(x)
	}
	return math.Sqrt(n2) * (1 + 1e-6)
}
