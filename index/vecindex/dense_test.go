package vecindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// bruteDense is the reference: every (slot, vector) scored with the same
// kernel, sorted best first, ties by slot, cut to k.
func bruteDense(vecs map[uint32][]float32, q []float32, k int, allow func(uint32) bool) []Hit {
	var all []Hit
	for slot, v := range vecs {
		if allow == nil || allow(slot) {
			all = append(all, Hit{Slot: slot, Score: dot(q, v)})
		}
	}
	sortByBetter(all)
	return all[:min(k, len(all))]
}

// checkDense verifies the index's invariants when the test ends (as bbolt's
// btesting checks a DB after every test).
func checkDense(t *testing.T, d *Dense) {
	t.Helper()
	t.Cleanup(func() {
		d.mu.RLock()
		defer d.mu.RUnlock()
		if err := d.check(d.g.entry, d.g.maxLevel); err != nil {
			t.Errorf("graph check: %v", err)
		}
		n := uint32(len(d.slots))
		live := 0
		for id := range n {
			if !d.isDead(id) {
				live++
				if got, ok := d.bySlot[d.slots[id]]; !ok || got != id {
					t.Errorf("live node %d (slot %d) not mapped", id, d.slots[id])
				}
			}
		}
		if live != len(d.bySlot) {
			t.Errorf("%d live nodes, %d slots", live, len(d.bySlot))
		}
		if live+len(d.tombs)+len(d.free) != int(n) {
			t.Errorf("live %d + tombs %d + free %d != nodes %d", live, len(d.tombs), len(d.free), n)
		}
		free := make(map[uint32]bool)
		for _, f := range d.free {
			free[f] = true
		}
		for id := range n {
			for l := 0; l <= d.g.level(id); l++ {
				for _, y := range links(d.g.cell(id, l)) {
					if free[y] {
						t.Errorf("node %d links to free node %d", id, y)
					}
				}
			}
		}
		d.pmu.RLock()
		defer d.pmu.RUnlock()
		seen := 0
		d.pending.each(func(slot uint32, v []float32) {
			seen++
			if _, ok := d.bySlot[slot]; ok {
				t.Errorf("slot %d both pending and in the graph", slot)
			}
			if len(v) != d.dim {
				t.Errorf("pending slot %d has %d dimensions", slot, len(v))
			}
		})
		if seen != d.pending.len() {
			t.Errorf("%d pending entries, %d pending slots", seen, d.pending.len())
		}
	})
}

func randUnit(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	normalize(v)
	return v
}

func TestDenseExactMatchesBruteForce(t *testing.T) {
	tests := []struct {
		dim, n, k   int
		sparseSlots bool
	}{
		{dim: 1, n: 5, k: 3},
		{dim: 3, n: 0, k: 10},
		{dim: 3, n: 1, k: 10},
		{dim: 8, n: 100, k: 10},
		{dim: 17, n: 300, k: 1000},
		{dim: 64, n: 500, k: 10, sparseSlots: true},
		{dim: 100, n: 200, k: 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("dim%d_n%d_k%d", tt.dim, tt.n, tt.k), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tt.dim), uint64(tt.n)))
			d := newTD(tt.dim, DenseOptions{Seed: 1})
			checkDense(t, d.Dense)
			ref := map[uint32][]float32{}
			for i := range tt.n {
				slot := uint32(i)
				if tt.sparseSlots {
					slot = r.Uint32()
				}
				v := randUnit(r, tt.dim)
				d.Add(slot, v)
				ref[slot] = v
			}
			if d.Len() != len(ref) {
				t.Fatalf("Len() = %d, want %d", d.Len(), len(ref))
			}
			for range 20 {
				q := randUnit(r, tt.dim)
				want := bruteDense(ref, q, tt.k, nil)
				for name, got := range map[string][]Hit{
					"SearchExact": d.SearchExact(q, tt.k, nil),
					"Search":      d.Search(q, tt.k, nil),
				} {
					if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
						t.Fatalf("%s (-want +got):\n%s", name, diff)
					}
				}
			}
		})
	}
}

func TestDenseTiesBySlot(t *testing.T) {
	d := newTD(2, DenseOptions{ExactBelow: -1, Seed: 1})
	checkDense(t, d.Dense)
	for _, slot := range []uint32{9, 3, 7, 1} {
		d.Add(slot, []float32{1, 0})
	}
	d.Add(5, []float32{0, 1})
	want := []Hit{{1, 1}, {3, 1}, {7, 1}}
	for name, got := range map[string][]Hit{
		"Search":      d.Search([]float32{1, 0}, 3, nil),
		"SearchExact": d.SearchExact([]float32{1, 0}, 3, nil),
	} {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

// graphSize is the size of the HNSW tests: large enough that the graph
// matters, small enough for go test (and smaller under -race).
func graphSize() int {
	if raceEnabled {
		return 3000
	}
	return 20_000
}

// buildClustered returns an index of n clustered dim-vectors in slots
// 0..n-1 (graph search from the start), the vectors, and the generator.
func buildClustered(t testing.TB, n, dim int, opts DenseOptions) (*tdense, [][]float32, *clustered) {
	gen := newClustered(42, dim, max(1, n/100), 1)
	vecs := gen.take(n)
	slots := make([]uint32, n)
	for i := range slots {
		slots[i] = uint32(i)
	}
	d := newTD(dim, opts)
	d.AddBatch(slots, vecs)
	return d, vecs, gen
}

func meanRecall(d *tdense, qs [][]float32, k int, allow func(uint32) bool) float64 {
	var sum float64
	for _, q := range qs {
		sum += recall(d.SearchExact(q, k, allow), d.Search(q, k, allow))
	}
	return sum / float64(len(qs))
}

// shared is one read-only clustered graph for the tests that only search.
var shared struct {
	once sync.Once
	d    *tdense
	vecs [][]float32
	qs   [][]float32
}

func sharedGraph(t *testing.T) (*tdense, [][]float32, [][]float32) {
	shared.once.Do(func() {
		var gen *clustered
		shared.d, shared.vecs, gen = buildClustered(t, graphSize(), 64, DenseOptions{ExactBelow: -1, EfConstruction: 100, Seed: 1})
		shared.qs = gen.take(200)
	})
	checkDense(t, shared.d.Dense)
	return shared.d, shared.vecs, shared.qs
}

func TestDenseRecall(t *testing.T) {
	d, _, qs := sharedGraph(t)
	for _, k := range []int{1, 10, 100} {
		if got := meanRecall(d, qs, k, nil); got < 0.95 {
			t.Errorf("recall@%d = %.3f, want ≥ 0.95", k, got)
		} else {
			t.Logf("recall@%d = %.3f", k, got)
		}
	}
}

func TestDenseReplaceRemove(t *testing.T) {
	n := graphSize() / 2
	d, vecs, gen := buildClustered(t, n, 32, DenseOptions{ExactBelow: -1, EfConstruction: 100, Seed: 1})
	checkDense(t, d.Dense)
	ref := map[uint32][]float32{}
	for i, v := range vecs {
		ref[uint32(i)] = v
	}

	// Remove a third (enough to trigger sweeps), replace a tenth.
	var removed []uint32
	for i := range n {
		slot := uint32(i)
		switch {
		case i%3 == 0:
			d.Remove(slot)
			delete(ref, slot)
			removed = append(removed, slot)
		case i%10 == 1:
			v := gen.next()
			d.Add(slot, v)
			ref[slot] = v
		}
	}
	if d.Len() != len(ref) {
		t.Fatalf("Len() = %d, want %d", d.Len(), len(ref))
	}
	for _, slot := range removed[:50] {
		if _, ok := d.Vector(slot); ok {
			t.Fatalf("Vector(%d) of a removed slot is present", slot)
		}
		// The removed vector itself as the query: its slot must not come back.
		for _, h := range d.Search(vecs[slot], 10, nil) {
			if h.Slot == slot {
				t.Fatalf("removed slot %d returned", slot)
			}
		}
	}
	for slot, v := range ref {
		if got, ok := d.Vector(slot); !ok || !slices.Equal(got, v) {
			t.Fatalf("Vector(%d) = %v, %v; want the latest vector", slot, ok, got[:2])
		}
		if slot%10 == 1 {
			// A replaced slot is found by its new vector, as the best hit.
			hits := d.Search(v, 1, nil)
			if len(hits) != 1 || hits[0].Slot != slot {
				t.Fatalf("Search(new vector of %d) = %v", slot, hits)
			}
		}
	}
	if got := meanRecall(d, gen.take(100), 10, nil); got < 0.95 {
		t.Errorf("recall@10 after removals = %.3f, want ≥ 0.95", got)
	}
	// Node ids of swept tombstones are reused.
	d.mu.RLock()
	nodes := len(d.slots)
	d.mu.RUnlock()
	for i := range n / 3 {
		d.Add(uint32(n+i), gen.next())
	}
	d.mu.RLock()
	grown := len(d.slots) - nodes
	d.mu.RUnlock()
	if grown >= n/3 {
		t.Errorf("adding %d after removals grew the node table by %d: no reuse", n/3, grown)
	}

	// Remove everything, then start again.
	for slot := range uint32(n + n/3) {
		d.Remove(slot)
	}
	if d.Len() != 0 || d.Search(vecs[0], 5, nil) != nil {
		t.Fatalf("after removing all: Len %d, Search %v", d.Len(), d.Search(vecs[0], 5, nil))
	}
	d.Add(7, vecs[1])
	if diff := cmp.Diff([]Hit{{7, dot(vecs[1], vecs[1])}}, d.Search(vecs[1], 5, nil)); diff != "" {
		t.Errorf("after re-adding (-want +got):\n%s", diff)
	}
}

func TestDenseFiltered(t *testing.T) {
	d, vecs, qs := sharedGraph(t)
	n := len(vecs)
	ref := map[uint32][]float32{}
	for i, v := range vecs {
		ref[uint32(i)] = v
	}
	qs = qs[:50]
	tests := []struct {
		name  string
		allow func(uint32) bool
		// minRecall 1 means exactly the brute-force answer.
		minRecall float64
	}{
		{"none", func(uint32) bool { return false }, 1},
		{"three", func(s uint32) bool { return s == 5 || s == 500 || s == 1234 }, 1},
		{"1%", func(s uint32) bool { return s%100 == 7 }, 1},
		{"10%", func(s uint32) bool { return s%10 == 3 }, 1},
		{"50%", func(s uint32) bool { return s%2 == 0 }, 0.97},
		{"clustered 30%", func(s uint32) bool { return s < uint32(n*3/10) }, 0.97},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sum float64
			for _, q := range qs {
				for _, k := range []int{1, 10} {
					want := bruteDense(ref, q, k, tt.allow)
					got := d.Search(q, k, tt.allow)
					if len(got) != len(want) {
						t.Fatalf("k=%d: %d hits, want %d", k, len(got), len(want))
					}
					for _, h := range got {
						if !tt.allow(h.Slot) {
							t.Fatalf("k=%d: slot %d not allowed", k, h.Slot)
						}
					}
					if tt.minRecall == 1 {
						if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
							t.Fatalf("k=%d (-want +got):\n%s", k, diff)
						}
					}
					if k == 10 {
						sum += recall(want, got)
					}
				}
			}
			if got := sum / float64(len(qs)); got < tt.minRecall {
				t.Errorf("recall@10 = %.3f, want ≥ %.2f", got, tt.minRecall)
			}
		})
	}
}

func TestAllowedFraction(t *testing.T) {
	// 3000 and 20,000 are multiples of 10: a stride sample aliased with
	// the every-tenth filters there (3000: 0 for one, 0.5 for the other).
	for _, n := range []int{1, 7, 100, 1000, 3000, 20_000, 100_000} {
		d := NewDense(1, DenseOptions{})
		for i := range n {
			d.newNode(uint32(i), []float32{1})
		}
		for _, tt := range []struct {
			name  string
			allow func(uint32) bool
			want  float64
		}{
			{"all", func(uint32) bool { return true }, 1},
			{"none", func(uint32) bool { return false }, 0},
			{"even", func(s uint32) bool { return s%2 == 0 }, 0.5},
			{"odd", func(s uint32) bool { return s%2 == 1 }, 0.5},
			{"1%", func(s uint32) bool { return s%100 == 0 }, 0.01},
			{"10%", func(s uint32) bool { return s%10 == 3 }, 0.1},
			{"10% from 0", func(s uint32) bool { return s%10 == 0 }, 0.1},
			{"first 30%", func(s uint32) bool { return int(s) < n*3/10 }, 0.3},
		} {
			got := d.allowedFraction(tt.allow)
			if n >= 1000 && math.Abs(got-tt.want) > 0.08 {
				t.Errorf("n=%d %s: estimate %.3f, want about %.2f", n, tt.name, got, tt.want)
			}
		}
	}
}

// TestFilterExact pins where a filtered search becomes an exact scan: a
// 10% filter is scanned up to about 256,000 vectors at ef 128, a 50% one
// up to about 10,240; under 10% it is always scanned.
func TestFilterExact(t *testing.T) {
	d := NewDense(1, DenseOptions{ExactBelow: -1})
	tests := []struct {
		frac        float64
		ef, graphed int
		want        bool
	}{
		{0.05, 256, 1_000_000, true},
		{0.1, 128, 20_000, true},
		{0.1, 128, 250_000, true},
		{0.1, 128, 300_000, false},
		{0.5, 128, 10_240, true},
		{0.5, 128, 20_000, false},
		{1, 128, 2_560, true},
		{1, 128, 3_000, false},
	}
	var want, got []bool
	for _, tt := range tests {
		want = append(want, tt.want)
		got = append(got, d.filterExact(tt.frac, tt.ef, tt.graphed))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("filterExact over %v (-want +got):\n%s", tests, diff)
	}
}

func TestDenseBadInput(t *testing.T) {
	d := newTD(4, DenseOptions{ExactBelow: -1})
	checkDense(t, d.Dense)
	q := []float32{1, 0, 0, 0}
	if got := d.Search(q, 3, nil); got != nil {
		t.Errorf("empty index: %v", got)
	}
	d.Add(1, []float32{1, 2, 3})       // wrong dimension: ignored
	d.Add(2, []float32{1, 2, 3, 4, 5}) // ignored
	d.Add(3, nil)                      // ignored
	d.Add(4, []float32{0, 1, 0, 0})
	d.Remove(99)
	if d.Len() != 1 {
		t.Fatalf("Len() = %d, want 1", d.Len())
	}
	for name, got := range map[string][]Hit{
		"short query":   d.Search([]float32{1, 0}, 3, nil),
		"long query":    d.Search([]float32{1, 0, 0, 0, 0}, 3, nil),
		"nil query":     d.Search(nil, 3, nil),
		"k=0":           d.Search(q, 0, nil),
		"k<0":           d.Search(q, -1, nil),
		"exact short":   d.SearchExact([]float32{1}, 3, nil),
		"exact k=0":     d.SearchExact(q, 0, nil),
		"zero dim":      newTD(0, DenseOptions{}).Search(nil, 3, nil),
		"negative dim":  newTD(-3, DenseOptions{}).Search(nil, 3, nil),
		"unknown empty": newTD(4, DenseOptions{}).Search(q, 3, nil),
	} {
		if got != nil {
			t.Errorf("%s: got %v, want nil", name, got)
		}
	}
	// NaN and infinite inputs: no panic, some answer.
	nan := float32(math.NaN())
	d.Add(5, []float32{nan, 0, 0, 0})
	d.Add(6, []float32{float32(math.Inf(1)), 0, 0, 0})
	_ = d.Search([]float32{nan, nan, nan, nan}, 3, nil)
	_ = d.Search(q, 3, nil)
	d.Remove(5)
	if got := len(d.Search(q, 10, nil)); got != 2 {
		t.Errorf("after NaN insert and removal: %d hits, want 2", got)
	}
}

func TestDenseOptionsDefaults(t *testing.T) {
	tests := []struct {
		in, want DenseOptions
	}{
		{DenseOptions{}, DefaultDenseOptions()},
		{DenseOptions{ExactBelow: -5, M: 1, EfConstruction: -1, EfSearch: -1},
			DenseOptions{ExactBelow: 0, M: 16, EfConstruction: 200, EfSearch: 128}},
		{DenseOptions{ExactBelow: 10, M: 1000, EfConstruction: 5, EfSearch: 7, Seed: 3},
			DenseOptions{ExactBelow: 10, M: 128, EfConstruction: 128, EfSearch: 7, Seed: 3}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, NewDense(8, tt.in).Options()); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestEfSearchGrows(t *testing.T) {
	d := NewDense(4, DenseOptions{EfSearch: 100})
	for _, tt := range []struct{ n, want int }{{0, 100}, {200_000, 100}, {800_000, 200}, {3_200_000, 400}} {
		if got := d.efSearch(tt.n); got != tt.want {
			t.Errorf("efSearch(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}
