package embedded

import (
	"math/bits"
	"slices"
	"sync"
)

// bitmap is a set of slots, one bit each.
type bitmap []uint64

func newBitmap(n int) bitmap { return make(bitmap, (n+63)/64) }

// bitmapPools hold the scratch bitmaps a filter's evaluation takes (each
// as large as the collection: 16 KB at a million points), by capacity:
// pool i holds bitmaps of 1<<i words.
var bitmapPools [48]sync.Pool

// scratchBitmap returns an empty bitmap of words words, from a pool when
// one is free; give it back with release once nothing reads it.
func scratchBitmap(words int) bitmap {
	i := bits.Len(uint(max(words, 1) - 1))
	if p, ok := bitmapPools[i].Get().(*bitmap); ok {
		b := (*p)[:words]
		clear(b)
		return b
	}
	return make(bitmap, words, 1<<i)
}

// release gives a scratch bitmap back to its pool; the caller must hold
// no other reference to it. A bitmap of another capacity (not from
// scratchBitmap, or grown since) is left to the collector.
func (b bitmap) release() {
	c := cap(b)
	if c == 0 || c&(c-1) != 0 {
		return
	}
	b = b[:0]
	bitmapPools[bits.Len(uint(c-1))].Put(&b)
}

func (b bitmap) has(i uint32) bool {
	w := int(i / 64)
	return w < len(b) && b[w]&(1<<(i%64)) != 0
}

// set adds i, growing the bitmap when needed.
func (b *bitmap) set(i uint32) {
	w := int(i / 64)
	if w >= len(*b) {
		*b = append(*b, make(bitmap, w+1-len(*b)+len(*b)/4)...)
	}
	(*b)[w] |= 1 << (i % 64)
}

func (b bitmap) clear(i uint32) {
	if w := int(i / 64); w < len(b) {
		b[w] &^= 1 << (i % 64)
	}
}

func (b bitmap) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// and keeps the slots also in o.
func (b bitmap) and(o bitmap) {
	for i := range b {
		if i < len(o) {
			b[i] &= o[i]
		} else {
			b[i] = 0
		}
	}
}

// or adds the slots of o that fit in b.
func (b bitmap) or(o bitmap) {
	for i := range min(len(b), len(o)) {
		b[i] |= o[i]
	}
}

// andNot removes the slots of o.
func (b bitmap) andNot(o bitmap) {
	for i := range b {
		if i < len(o) {
			b[i] &^= o[i]
		}
	}
}

// each calls f for every slot in ascending order until f returns false.
func (b bitmap) each(f func(uint32) bool) {
	for i, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			if !f(uint32(i*64 + t)) {
				return
			}
			w &= w - 1
		}
	}
}

// postings is a set of slots: a sorted slice while small, a bitmap when
// large, so that both rare and common values stay cheap.
type postings struct {
	small []uint32 // sorted, when big == nil
	big   bitmap
	n     int
}

// bigAt is the size from which a postings list becomes a bitmap; it goes
// back to a slice below bigAt/2.
const bigAt = 2048

func (p *postings) add(s uint32) {
	if p.big != nil {
		if !p.big.has(s) {
			p.big.set(s)
			p.n++
		}
		return
	}
	i, ok := slices.BinarySearch(p.small, s)
	if ok {
		return
	}
	p.small = slices.Insert(p.small, i, s)
	p.n++
	if p.n >= bigAt {
		b := newBitmap(int(p.small[len(p.small)-1]) + 1)
		for _, x := range p.small {
			b.set(x)
		}
		p.big, p.small = b, nil
	}
}

func (p *postings) remove(s uint32) {
	if p.big != nil {
		if p.big.has(s) {
			p.big.clear(s)
			p.n--
		}
		if p.n < bigAt/2 {
			small := make([]uint32, 0, p.n)
			p.big.each(func(x uint32) bool { small = append(small, x); return true })
			p.small, p.big = small, nil
		}
		return
	}
	if i, ok := slices.BinarySearch(p.small, s); ok {
		p.small = slices.Delete(p.small, i, i+1)
		p.n--
	}
}

// addTo sets every slot of p in b (len(b) covers every slot).
func (p *postings) addTo(b bitmap) {
	if p.big != nil {
		b.or(p.big)
		return
	}
	for _, s := range p.small {
		if int(s/64) < len(b) {
			b[s/64] |= 1 << (s % 64)
		}
	}
}
