package vecindex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Pending vectors are found at once, exactly, and stay found (with the
// same scores) as IndexPending links them; replacements and removals
// apply whether a slot is pending or linked.
func TestDensePendingMatchesBruteForce(t *testing.T) {
	const dim, n = 12, 1500
	for _, exactBelow := range []int{100_000, -1} {
		r := rand.New(rand.NewPCG(3, uint64(exactBelow+1)))
		// EfSearch 16: with exactBelow -1 the graph answers from 320 linked vectors.
		d := newTD(dim, DenseOptions{ExactBelow: exactBelow, M: 8, EfConstruction: 64, EfSearch: 16, Seed: 1})
		checkDense(t, d.Dense)
		ref := map[uint32][]float32{}
		check := func(stage string) {
			t.Helper()
			if d.Len() != len(ref) {
				t.Fatalf("%s: Len() = %d, want %d", stage, d.Len(), len(ref))
			}
			for slot, v := range ref {
				if got, ok := d.Vector(slot); !ok || !slices.Equal(got, v) {
					t.Fatalf("%s: Vector(%d) = %v, %t", stage, slot, got, ok)
				}
			}
			var rec float64
			for i := range 20 {
				q := randUnit(r, dim)
				var allow func(uint32) bool
				if i%2 == 1 {
					allow = func(s uint32) bool { return s%3 != 0 }
				}
				want := bruteDense(ref, q, 10, allow)
				if diff := cmp.Diff(want, d.SearchExact(q, 10, allow), cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("%s: SearchExact (-want +got):\n%s", stage, diff)
				}
				got := d.Search(q, 10, allow)
				if exactBelow > 0 {
					if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
						t.Fatalf("%s: Search (-want +got):\n%s", stage, diff)
					}
				}
				checkHits(t, got, ref, q, allow)
				rec += recall(want, got)
			}
			if rec /= 20; rec < 0.9 {
				t.Fatalf("%s: recall@10 %.3f", stage, rec)
			}
		}
		slots := make([]uint32, 0, n)
		vecs := make([][]float32, 0, n)
		for i := range n {
			slots = append(slots, uint32(i*2))
			vecs = append(vecs, randUnit(r, dim))
			ref[uint32(i*2)] = vecs[i]
		}
		d.AddBatch(slots[:n/2], vecs[:n/2])
		d.AddPending(slots[n/2:], vecs[n/2:])
		if got := d.Pending(); got != n-n/2 {
			t.Fatalf("Pending() = %d, want %d", got, n-n/2)
		}
		check("half pending")
		// Replace and remove, pending and linked alike; a replacement of a
		// linked vector becomes pending, one by Add is linked.
		for i := 0; i < n; i += 7 {
			slot := uint32(i * 2)
			switch i % 3 {
			case 0:
				d.Remove(slot)
				delete(ref, slot)
			case 1:
				v := randUnit(r, dim)
				d.AddPending([]uint32{slot}, [][]float32{v})
				ref[slot] = v
			default:
				v := randUnit(r, dim)
				d.Add(slot, v)
				ref[slot] = v
			}
		}
		check("after changes")
		for linked := 0; d.Pending() > 0; {
			got := d.IndexPending(97)
			if got == 0 || got > 97 {
				t.Fatalf("IndexPending(97) = %d with %d pending", got, d.Pending())
			}
			if linked += got; linked%(97*4) == 0 {
				check("while linking")
			}
		}
		if d.IndexPending(10) != 0 {
			t.Fatal("IndexPending with nothing pending linked something")
		}
		check("all linked")
		if exactBelow < 0 && meanRecall(d, [][]float32{randUnit(r, dim), randUnit(r, dim)}, 10, nil) < 0.8 {
			t.Fatal("the linked graph has poor recall")
		}
	}
}

// checkHits checks hits are allowed live slots, each once, best first,
// scored as their reference vectors.
func checkHits(t *testing.T, hits []Hit, ref map[uint32][]float32, q []float32, allow func(uint32) bool) {
	t.Helper()
	seen := map[uint32]bool{}
	for i, h := range hits {
		v, ok := ref[h.Slot]
		switch {
		case !ok:
			t.Fatalf("hit %d: slot %d is not live", i, h.Slot)
		case allow != nil && !allow(h.Slot):
			t.Fatalf("hit %d: slot %d is not allowed", i, h.Slot)
		case seen[h.Slot]:
			t.Fatalf("hit %d: slot %d twice", i, h.Slot)
		case h.Score != dot(q, v):
			t.Fatalf("hit %d: slot %d scored %v, its vector %v", i, h.Slot, h.Score, dot(q, v))
		case i > 0 && better(h, hits[i-1]):
			t.Fatalf("hits out of order: %v", hits)
		}
		seen[h.Slot] = true
	}
}

// A saved index keeps its pending vectors pending (their slots: LoadDense
// asks for their vectors); LoadDense still reads versions 1 and 2, which
// held every vector in full.
func TestDensePendingSaveLoad(t *testing.T) {
	d, _, gen := buildClustered(t, 800, 16, DenseOptions{ExactBelow: -1, EfConstruction: 64, Seed: 5})
	v1 := saveV2(t, d, 1) // nothing pending yet
	extra := gen.take(300)
	slots := make([]uint32, len(extra))
	for i := range slots {
		slots[i] = uint32(1000 + i)
	}
	d.AddPending(slots, extra)
	d.Remove(1000) // pending
	d.Remove(5)    // linked
	d.AddPending([]uint32{6}, [][]float32{gen.next()})
	b := savedBytes(t, d)
	v2 := saveV2(t, d, 2)
	for name, data := range map[string][]byte{"version 3": b, "version 2": v2} {
		loaded, err := LoadDense(bytes.NewReader(data), d.exact)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkDense(t, loaded)
		got := wrapTD(loaded, d)
		if got.Pending() != d.Pending() || got.Len() != d.Len() {
			t.Fatalf("%s: Pending %d Len %d, want %d %d", name, got.Pending(), got.Len(), d.Pending(), d.Len())
		}
		for _, q := range gen.take(10) {
			if diff := cmp.Diff(d.Search(q, 10, nil), got.Search(q, 10, nil)); diff != "" {
				t.Fatalf("%s: search after load (-want +got):\n%s", name, diff)
			}
		}
		for slot := range uint32(1400) {
			if d.Has(slot) != got.Has(slot) {
				t.Fatalf("%s: Has(%d) differs after load", name, slot)
			}
		}
		// Nothing lost (version 2's tombstones carry stand-in vectors).
		if name == "version 3" && !bytes.Equal(b, savedBytes(t, got)) {
			t.Errorf("%s: save(load(saved)) != save(d)", name)
		}
		for got.IndexPending(64) > 0 {
		}
		if got.Pending() != 0 || got.Len() != d.Len() {
			t.Fatalf("%s: after linking: Pending %d Len %d", name, got.Pending(), got.Len())
		}
	}
	got1, err := LoadDense(bytes.NewReader(v1), nil)
	if err != nil {
		t.Fatalf("version 1: %v", err)
	}
	checkDense(t, got1)
	if got1.Len() != 800 || got1.Pending() != 0 {
		t.Fatalf("version 1: Len %d Pending %d", got1.Len(), got1.Pending())
	}

	// A pending slot also in the graph, or twice, or without a vector, is corrupt.
	for name, dup := range map[string]uint32{"in graph": 7, "twice": 1001, "no vector": 4444} {
		e := newTD(16, DenseOptions{ExactBelow: -1, Seed: 5})
		e.AddBatch([]uint32{7}, [][]float32{gen.next()})
		e.AddPending([]uint32{1001, 1002}, [][]float32{gen.next(), gen.next()})
		bad := savedBytes(t, e)
		// The pending slots sit right before the checksum: rewrite the second one.
		at := len(bad) - 4 - 4
		binary.LittleEndian.PutUint32(bad[at:], dup)
		bad = append(bad[:len(bad)-4:len(bad)-4], binary.LittleEndian.AppendUint32(nil, crc32.Checksum(bad[:len(bad)-4], castagnoli))...)
		want := "twice"
		if name == "no vector" {
			want = "no vector"
		}
		if _, err := LoadDense(bytes.NewReader(bad), e.exact); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
}

// Searches run while one goroutine adds (pending) and removes and another
// links: -race checks the locking; every hit is live, scored by its own
// vector, once; a slot removed before a search starts is never returned.
func TestDensePendingConcurrent(t *testing.T) {
	const dim = 16
	n := 3000
	if raceEnabled {
		n = 1000
	}
	d := newTD(dim, DenseOptions{ExactBelow: -1, M: 8, EfConstruction: 32, EfSearch: 16, Seed: 1})
	checkDense(t, d.Dense)
	gen := newClustered(9, dim, 20, 1)
	vecs := gen.take(2 * n) // slot i's only vector: slots are never reused
	qs := gen.take(64)
	var removed sync.Map // slot → true once Remove returned
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() { // the writer
		defer done.Store(true)
		r := rand.New(rand.NewPCG(1, 2))
		for lo := 0; lo < 2*n; lo += 50 {
			slots := make([]uint32, 50)
			for i := range slots {
				slots[i] = uint32(lo + i)
			}
			d.AddPending(slots, vecs[lo:lo+50])
			for range 10 {
				slot := uint32(r.IntN(lo + 50))
				d.Remove(slot)
				removed.Store(slot, true)
			}
		}
	})
	wg.Go(func() { // the indexer
		for !done.Load() || d.Pending() > 0 {
			if d.IndexPending(40) == 0 {
				runtime.Gosched()
			}
		}
	})
	for w := range 3 {
		wg.Go(func() {
			for i := 0; !done.Load(); i++ {
				var gone []uint32
				removed.Range(func(k, _ any) bool {
					gone = append(gone, k.(uint32))
					return true
				})
				q := qs[(i+w)%len(qs)]
				var allow func(uint32) bool
				if i%2 == 1 {
					allow = func(s uint32) bool { return s%4 != 1 }
				}
				var hits []Hit
				if i%5 == 0 {
					hits = d.SearchExact(q, 10, allow)
				} else {
					hits = d.Search(q, 10, allow)
				}
				seen := map[uint32]bool{}
				for j, h := range hits {
					switch {
					case slices.Contains(gone, h.Slot):
						t.Errorf("removed slot %d returned", h.Slot)
					case allow != nil && !allow(h.Slot):
						t.Errorf("slot %d not allowed", h.Slot)
					case seen[h.Slot]:
						t.Errorf("slot %d twice", h.Slot)
					case h.Score != dot(q, vecs[h.Slot]):
						t.Errorf("slot %d scored %v, its vector %v", h.Slot, h.Score, dot(q, vecs[h.Slot]))
					case j > 0 && better(h, hits[j-1]):
						t.Errorf("hits out of order: %v", hits)
					}
					seen[h.Slot] = true
				}
				if v, ok := d.Vector(uint32(i % (2 * n))); ok && !slices.Equal(v, vecs[i%(2*n)]) {
					t.Errorf("Vector(%d) is another vector", i%(2*n))
				}
				d.Len()
			}
		})
	}
	wg.Wait()
	if d.Pending() != 0 {
		t.Fatalf("%d still pending", d.Pending())
	}
}
