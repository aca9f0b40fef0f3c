package vecindex

import (
	"cmp"
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

// sortHits orders hits best first, ties by slot ascending.
func sortHits(h []Hit) {
	slices.SortFunc(h, func(a, b Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Slot, b.Slot)
	})
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
