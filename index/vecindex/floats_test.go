package vecindex

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestFloatsSearchMatchesBruteForce checks Floats' exact scan against the
// brute force over the same vectors, through replaced and deleted slots
// and a filter, and its Exact source.
func TestFloatsSearchMatchesBruteForce(t *testing.T) {
	const dim = 48
	r := rand.New(rand.NewPCG(3, 4))
	f := NewFloats(dim)
	vecs := map[uint32][]float32{}
	for slot := range uint32(700) {
		v := randUnit(r, dim)
		f.Set(slot, v)
		vecs[slot] = v
	}
	for slot := uint32(0); slot < 700; slot += 7 {
		f.Delete(slot)
		delete(vecs, slot)
	}
	for slot := uint32(1); slot < 700; slot += 11 {
		v := randUnit(r, dim)
		f.Set(slot, v)
		vecs[slot] = v
	}
	f.Set(2000, randUnit(r, dim+1)) // wrong dimension: ignored
	if f.Len() != len(vecs) {
		t.Fatalf("Len %d, want %d", f.Len(), len(vecs))
	}
	all := func(yield func(uint32) bool) {
		for slot := range uint32(800) {
			if !yield(slot) {
				return
			}
		}
	}
	odd := func(slot uint32) bool { return slot%2 == 1 }
	for i := range 20 {
		q := randUnit(r, dim)
		for _, allow := range []func(uint32) bool{nil, odd} {
			slots := func(yield func(uint32) bool) {
				for slot := range all {
					if (allow == nil || allow(slot)) && !yield(slot) {
						return
					}
				}
			}
			got := f.Search(q, 10, slots)
			want := bruteDense(vecs, q, 10, allow)
			if !slices.EqualFunc(got, want, func(a, b Hit) bool { return a.Slot == b.Slot && near(a.Score, b.Score) }) {
				t.Fatalf("query %d: got %v, want %v", i, got, want)
			}
		}
	}
	exact := f.Exact()
	for slot, v := range vecs {
		got, ok := exact(slot, nil)
		if !ok || !slices.Equal(got, v) {
			t.Fatalf("Exact(%d) = %v, %v", slot, got[:3], ok)
		}
	}
	if _, ok := exact(0, nil); ok {
		t.Fatal("Exact of a deleted slot reports a vector")
	}
	if f.Search(make([]float32, dim+1), 10, all) != nil {
		t.Fatal("query of the wrong dimension returned hits")
	}
}

func near(a, b float32) bool { return a-b < 1e-5 && b-a < 1e-5 }

// TestRescorerSweepsStayFew offers thousands of candidates the quantized
// scores cannot tell apart (identical vectors): none can be dropped, and
// the candidate list must be swept a logarithmic number of times, not
// once per candidate (which made exact scans quadratic when scores crowd
// together, as they do in one shop's KB).
func TestRescorerSweepsStayFew(t *testing.T) {
	const dim, n = 32, 20_000
	r := rand.New(rand.NewPCG(5, 6))
	v := randUnit(r, dim)
	d := NewDense(dim, DenseOptions{ExactBelow: 1 << 30})
	slots := make([]uint32, n)
	vecs := make([][]float32, n)
	for i := range n {
		slots[i], vecs[i] = uint32(i), v
	}
	d.AddBatch(slots, vecs)
	exact := func(uint32, []float32) ([]float32, bool) { return v, true }
	q := randUnit(r, dim)
	d.mu.RLock()
	rs := d.newRescorer(q, 200, exact)
	for id := range uint32(n) {
		rs.offer(d, cand{recScale(d.rec(id)) * dotI8(q, recCodes(d.rec(id), dim)), id})
	}
	hits := rs.finish(d)
	d.mu.RUnlock()
	if len(hits) != 200 {
		t.Fatalf("%d hits, want 200", len(hits))
	}
	if rs.sweeps > 5 {
		t.Fatalf("%d sweeps of the candidate list for %d candidates", rs.sweeps, n)
	}
}

// TestFloatsSearchShared checks that concurrent SearchShared calls, batched
// into shared scans, each return exactly what Search returns for them,
// with and without a filter.
func TestFloatsSearchShared(t *testing.T) {
	const dim, n = 64, 3000
	r := rand.New(rand.NewPCG(5, 6))
	f := NewFloats(dim)
	for slot := range uint32(n) {
		f.Set(slot, randUnit(r, dim))
	}
	for slot := uint32(0); slot < n; slot += 5 {
		f.Delete(slot)
	}
	allows := []func(uint32) bool{nil, func(slot uint32) bool { return slot%3 == 0 }}
	type call struct {
		q     []float32
		k     int
		allow int
	}
	calls := make([]call, 400)
	for i := range calls {
		calls[i] = call{q: randUnit(r, dim), k: 1 + r.IntN(300), allow: r.IntN(2)}
	}
	want := make([][]Hit, len(calls))
	for i, c := range calls {
		allow := allows[c.allow]
		want[i] = f.Search(c.q, c.k, func(yield func(uint32) bool) {
			for slot := range uint32(n) {
				if (allow == nil || allow(slot)) && !yield(slot) {
					return
				}
			}
		})
	}
	got := make([][]Hit, len(calls))
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < len(calls); i += 16 {
				got[i] = f.SearchShared(calls[i].q, calls[i].k, allows[calls[i].allow])
			}
		})
	}
	wg.Wait()
	for i := range calls {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("call %d (k %d): shared scan differs from Search:\n got %v\nwant %v", i, calls[i].k, got[i], want[i])
		}
	}
	if f.SearchShared(make([]float32, dim+1), 5, nil) != nil || f.SearchShared(calls[0].q, 0, nil) != nil {
		t.Error("a query of the wrong dimension or k 0 returned hits")
	}
	s := &f.scans
	if s.running != 0 || len(s.waiting) != 0 {
		t.Errorf("after the calls: %d scans running, %d waiting", s.running, len(s.waiting))
	}
	if s.served != len(calls) {
		t.Errorf("scans served %d calls, want %d", s.served, len(calls))
	}

	// Calls that arrive while the scans are busy share the next one: hold
	// sharedScans scans in their filters until five more calls wait.
	procs := sharedScans
	started, release := make(chan bool), make(chan bool)
	hold := func() func(uint32) bool {
		var once sync.Once
		return func(uint32) bool {
			once.Do(func() { started <- true; <-release })
			return true
		}
	}
	scans := s.scans
	for range procs {
		wg.Go(func() { f.SearchShared(calls[0].q, 10, hold()) })
		<-started
	}
	for i := range 5 {
		wg.Go(func() {
			if got := f.SearchShared(calls[i].q, calls[i].k, allows[calls[i].allow]); !slices.Equal(got, want[i]) {
				t.Errorf("waiting call %d: got %v, want %v", i, got, want[i])
			}
		})
	}
	for waiting := 0; waiting < 5; {
		time.Sleep(time.Millisecond)
		s.mu.Lock()
		waiting = len(s.waiting)
		s.mu.Unlock()
	}
	close(release)
	wg.Wait()
	if s.scans-scans != procs+1 {
		t.Errorf("%d held scans and five calls waiting for them took %d scans, want %d", procs, s.scans-scans, procs+1)
	}
}

// TestFloatsHalfScanExact checks that scans of the half copy give Search's
// results to the bit where half precision cannot tell vectors apart:
// near-duplicates whose halves are equal, exact duplicates (ties by slot),
// values too large for a half, and values too small for one.
func TestFloatsHalfScanExact(t *testing.T) {
	const dim = 48
	r := rand.New(rand.NewPCG(7, 8))
	f := NewFloats(dim)
	base := randUnit(r, dim)
	slot := uint32(0)
	add := func(v []float32) {
		f.Set(slot, v)
		slot++
	}
	for range 600 { // near-duplicates of base
		v := slices.Clone(base)
		for i := range v {
			v[i] += (r.Float32() - 0.5) * 1e-4
		}
		add(v)
	}
	for range 50 { // exact duplicates
		add(slices.Clone(base))
	}
	for range 300 {
		add(randUnit(r, dim))
	}
	huge := randUnit(r, dim)
	huge[3] = 1e6 // past the largest half: scored on the full vector
	add(huge)
	tiny := randUnit(r, dim)
	for i := range tiny {
		tiny[i] *= 1e-7 // half subnormals
	}
	add(tiny)
	if halfScans && len(f.halves) != len(f.vecs) {
		t.Fatalf("half copy holds %d values, full vectors %d", len(f.halves), len(f.vecs))
	}
	all := func(yield func(uint32) bool) {
		for s := range slot {
			if !yield(s) {
				return
			}
		}
	}
	queries := [][]float32{base, huge, tiny}
	for range 40 {
		q := slices.Clone(base)
		for i := range q {
			q[i] += (r.Float32() - 0.5) * 1e-3
		}
		queries = append(queries, q, randUnit(r, dim))
	}
	for i, q := range queries {
		for _, k := range []int{1, 10, 200, 2000} {
			want := f.Search(q, k, all)
			if got := f.SearchShared(q, k, nil); !slices.Equal(got, want) {
				t.Fatalf("query %d, k %d: shared scan differs from Search:\n got %v\nwant %v", i, k, got, want)
			}
		}
	}
}

// TestCandKeyOrder checks that candidate keys sort by upper bound
// descending, then slot ascending, and never lower a bound.
func TestCandKeyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	bounds := []float64{math.Inf(-1), -3, -1e-30, 0, 1e-30, 0.25, 1, 3, math.Inf(1)}
	for range 200 {
		bounds = append(bounds, r.NormFloat64())
	}
	type cand struct {
		ub   float64
		slot uint32
	}
	var cands []cand
	var keys []uint64
	for _, ub := range bounds {
		for _, slot := range []uint32{0, 7, math.MaxUint32} {
			cands = append(cands, cand{ub, slot})
			keys = append(keys, candKey(ub, slot))
		}
	}
	for i, k := range keys {
		if got := float64(keyBound(k)); got < cands[i].ub || uint32(k) != cands[i].slot {
			t.Fatalf("candKey(%v, %d): bound %v, slot %d", cands[i].ub, cands[i].slot, got, uint32(k))
		}
	}
	slices.Sort(keys)
	for i := 1; i < len(keys); i++ {
		a, b := keys[i-1], keys[i]
		if keyBound(a) < keyBound(b) || keyBound(a) == keyBound(b) && uint32(a) > uint32(b) {
			t.Fatalf("keys out of order: (%v, %d) before (%v, %d)", keyBound(a), uint32(a), keyBound(b), uint32(b))
		}
	}
}
