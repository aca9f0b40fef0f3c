package vecindex

import (
	"math"
	"slices"
)

// Hit is one search result: an engine-internal slot and its score.
type Hit struct {
	Slot  uint32
	Score float32
}

// better reports whether a ranks before b: higher score first, ties by
// lower slot. NaN scores never rank before anything.
func better(a, b Hit) bool {
	return a.Score > b.Score || (a.Score == b.Score && a.Slot < b.Slot)
}

// sortHits orders hits best first, ties by slot ascending. It sorts
// their keys (hitKey): plain integers sort several times faster than
// structs through a comparison function.
func sortHits(h []Hit) {
	keys := make([]uint64, len(h))
	for i, x := range h {
		keys[i] = hitKey(x)
	}
	slices.Sort(keys)
	for i, k := range keys {
		h[i] = keyHit(k)
	}
}

// hitKey packs a hit into an integer that orders as better does: the
// smaller key is the better hit. Zero's two signs are one score, and a
// NaN score orders after every number.
func hitKey(h Hit) uint64 {
	s := h.Score
	if s == 0 {
		s = 0 // -0 too
	}
	if s != s {
		return uint64(math.MaxUint32)<<32 | uint64(h.Slot)
	}
	return scoreKey(s, h.Slot)
}

// keyHit unpacks hitKey's key.
func keyHit(k uint64) Hit { return Hit{Slot: uint32(k), Score: keyScore(k)} }

// scoreKey packs a score and an id so that keys in ascending order are
// scores descending, then ids ascending.
func scoreKey(s float32, id uint32) uint64 {
	b := math.Float32bits(s)
	if b>>31 != 0 { // negative: larger magnitudes order first
		b = ^b
	} else {
		b |= 1 << 31
	}
	return uint64(^b)<<32 | uint64(id)
}

// keyScore returns the score scoreKey packed in k.
func keyScore(k uint64) float32 {
	b := ^uint32(k >> 32)
	if b>>31 != 0 {
		b &^= 1 << 31
	} else {
		b = ^b
	}
	return math.Float32frombits(b)
}

// topK keeps the k best hits seen (by better) in a min-heap whose root is
// the worst kept hit.
type topK struct {
	k int
	h []Hit
}

func (t *topK) reset(k int) {
	t.k = k
	t.h = t.h[:0]
}

// full reports whether k hits are kept, so a new hit must beat worst().
func (t *topK) full() bool { return len(t.h) >= t.k }

func (t *topK) worst() Hit { return t.h[0] }

// push offers a hit.
func (t *topK) push(x Hit) {
	if t.k <= 0 {
		return
	}
	if len(t.h) < t.k {
		t.h = append(t.h, x)
		i := len(t.h) - 1
		for i > 0 {
			p := (i - 1) / 2
			if !better(t.h[p], t.h[i]) {
				break
			}
			t.h[p], t.h[i] = t.h[i], t.h[p]
			i = p
		}
		return
	}
	if !better(x, t.h[0]) {
		return
	}
	t.h[0] = x
	t.down(0)
}

func (t *topK) down(i int) {
	h := t.h
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		w := l
		if r := l + 1; r < len(h) && better(h[l], h[r]) {
			w = r
		}
		if !better(h[i], h[w]) {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// sorted returns the kept hits best first in a new slice.
func (t *topK) sorted() []Hit {
	out := slices.Clone(t.h)
	sortHits(out)
	return out
}

// keyTop keeps the k smallest keys offered (hitKey's: the k best hits).
// Offers below its bound gather in a buffer that is cut back to the best
// k whenever it holds 2k, so an offer costs O(1) amortized where a heap's
// costs O(log k); the bound, the k-th key at the last cut, only tightens.
// The exhaustive sparse scan uses it: it offers thousands of hits.
type keyTop struct {
	k     int
	keys  []uint64
	bound uint64 // an offer must be below it to be kept
}

func (t *keyTop) reset(k int) {
	t.k = max(k, 0)
	t.keys = t.keys[:0]
	t.bound = math.MaxUint64
	if t.k == 0 {
		t.bound = 0
	}
}

// admits reports whether key can still be among the k smallest.
func (t *keyTop) admits(key uint64) bool { return key < t.bound }

// push keeps key, which admits said may be among the k smallest, and
// reports whether the bound moved.
func (t *keyTop) push(key uint64) bool {
	t.keys = append(t.keys, key)
	if len(t.keys) < 2*t.k {
		return false
	}
	t.cut()
	return true
}

// floor is the bound's score: a hit scoring below it is not admitted.
func (t *keyTop) floor() float32 {
	if t.bound == math.MaxUint64 {
		return float32(math.Inf(-1))
	}
	return keyScore(t.bound)
}

// cut keeps only the k smallest keys.
func (t *keyTop) cut() {
	if len(t.keys) <= t.k {
		return
	}
	selectSmallest(t.keys, t.k)
	t.keys = t.keys[:t.k]
	t.bound = t.keys[t.k-1]
}

// sorted returns the kept hits best first in a new slice.
func (t *keyTop) sorted() []Hit {
	t.cut()
	slices.Sort(t.keys)
	out := make([]Hit, len(t.keys))
	for i, k := range t.keys {
		out[i] = keyHit(k)
	}
	return out
}

// selectSmallest reorders keys so that keys[:k] hold its k smallest, the
// k-th of them at k-1 (quickselect, median-of-three pivots), for
// 0 < k ≤ len(keys).
func selectSmallest(keys []uint64, k int) {
	lo, hi, at := 0, len(keys)-1, k-1
	for lo < hi {
		a, b, c := keys[lo], keys[lo+(hi-lo)/2], keys[hi]
		p := max(min(a, b), min(max(a, b), c)) // the median of the three
		i, j := lo, hi
		for i <= j {
			for keys[i] < p {
				i++
			}
			for keys[j] > p {
				j--
			}
			if i <= j {
				keys[i], keys[j] = keys[j], keys[i]
				i++
				j--
			}
		}
		// keys[lo..j] ≤ p ≤ keys[i..hi], and those between equal p
		switch {
		case at <= j:
			hi = j
		case at >= i:
			lo = i
		default:
			return
		}
	}
}

// cand is a graph node with its similarity to the query.
type cand struct {
	score float32
	id    uint32
}

// maxHeap of candidates: the root is the most similar.
type maxHeap []cand

func (h *maxHeap) push(c cand) {
	*h = append(*h, c)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].score >= c.score {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = c
}

func (h *maxHeap) pop() cand {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	*h = s
	if len(s) == 0 {
		return top
	}
	i := 0
	for {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		w := l
		if r := l + 1; r < len(s) && s[r].score > s[l].score {
			w = r
		}
		if s[w].score <= last.score {
			break
		}
		s[i] = s[w]
		i = w
	}
	s[i] = last
	return top
}

// minHeap of candidates: the root is the least similar (the one to evict).
type minHeap []cand

func (h *minHeap) push(c cand) {
	*h = append(*h, c)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].score <= c.score {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = c
}

func (h *minHeap) pop() cand {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	*h = s
	if len(s) == 0 {
		return top
	}
	i := 0
	for {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		w := l
		if r := l + 1; r < len(s) && s[r].score < s[l].score {
			w = r
		}
		if s[w].score >= last.score {
			break
		}
		s[i] = s[w]
		i = w
	}
	s[i] = last
	return top
}
