package vecindex

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// benchDense returns an n × dim clustered index (1,000 clusters, noise as
// large as the center) and queries drawn the same way. Graphs of 50,000
// points or more take minutes to build on a small machine, so they are
// cached in the temp directory through Save/LoadDense; delete
// jieda-vecindex-bench-* there to rebuild.
func benchDense(b *testing.B, n, dim int) (*tdense, [][]float32) {
	b.Helper()
	const genVersion = 1
	gen := newClustered(1, dim, 1000, 1)
	vecs := gen.take(n)
	qs := gen.take(1000)
	cache := filepath.Join(os.TempDir(), fmt.Sprintf("jieda-vecindex-bench-%dx%d-g%d-v%d.dense", n, dim, genVersion, denseVersion))
	if n >= 50_000 {
		if f, err := os.Open(cache); err == nil {
			t0 := time.Now()
			loaded, err := LoadDense(f, nil)
			f.Close()
			if err == nil && loaded.Len() == n {
				d := &tdense{Dense: loaded, vecs: make(map[uint32][]float32, n)}
				for i, v := range vecs {
					d.vecs[uint32(i)] = v
				}
				b.Logf("loaded cached %d×%d index in %v", n, dim, time.Since(t0))
				return d, qs
			}
		}
	}
	slots := make([]uint32, n)
	for i := range slots {
		slots[i] = uint32(i)
	}
	d := newTD(dim, DenseOptions{Seed: 1})
	t0 := time.Now()
	d.AddBatch(slots, vecs)
	b.Logf("built %d×%d index in %v (GOMAXPROCS %d)", n, dim, time.Since(t0), runtime.GOMAXPROCS(0))
	if n >= 50_000 {
		tmp := cache + ".tmp"
		if f, err := os.Create(tmp); err == nil {
			err = d.Save(f)
			if cerr := f.Close(); err == nil && cerr == nil {
				_ = os.Rename(tmp, cache)
			} else {
				_ = os.Remove(tmp)
			}
		}
	}
	return d, qs
}

func benchDenseSearch(b *testing.B, n, dim int) {
	d, qs := benchDense(b, n, dim)
	cases := []struct {
		name  string
		k     int
		allow func(uint32) bool
	}{
		{"k10", 10, nil},
		{"k100", 100, nil},
		{"k10-filter50%", 10, func(s uint32) bool { return s%2 == 0 }},
		{"k10-filter1%", 10, func(s uint32) bool { return s%100 == 0 }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var rec float64
			for _, q := range qs[:200] {
				rec += recall(d.SearchExact(q, c.k, c.allow), d.Search(q, c.k, c.allow))
			}
			lat := make([]time.Duration, 0, 1<<16)
			i := 0
			for b.Loop() {
				t0 := time.Now()
				d.Search(qs[i%len(qs)], c.k, c.allow)
				lat = append(lat, time.Since(t0))
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(rec/200, fmt.Sprintf("recall@%d", c.k))
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

func BenchmarkDenseSearch_10k(b *testing.B)  { benchDenseSearch(b, 10_000, 512) }
func BenchmarkDenseSearch_100k(b *testing.B) { benchDenseSearch(b, 100_000, 512) }

// BenchmarkDenseExact_100k is the brute-force scan the graph replaces.
func BenchmarkDenseExact_100k(b *testing.B) {
	d, qs := benchDense(b, 100_000, 512)
	i := 0
	for b.Loop() {
		d.SearchExact(qs[i%len(qs)], 10, nil)
		i++
	}
}

// BenchmarkDenseBuild builds a 10k × 512 index with AddBatch (all CPUs)
// and with Add (one goroutine).
func BenchmarkDenseBuild(b *testing.B) {
	const n, dim = 10_000, 512
	vecs := newClustered(1, dim, 1000, 1).take(n)
	slots := make([]uint32, n)
	for i := range slots {
		slots[i] = uint32(i)
	}
	b.Run("AddBatch", func(b *testing.B) {
		for b.Loop() {
			NewDense(dim, DenseOptions{Seed: 1}).AddBatch(slots, vecs)
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/insert")
	})
	b.Run("Add", func(b *testing.B) {
		for b.Loop() {
			d := NewDense(dim, DenseOptions{Seed: 1})
			for i, v := range vecs {
				d.Add(slots[i], v)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/insert")
	})
}

// BenchmarkDenseLoad_100k reads a saved 100k × 512 index (from memory, so
// it measures decoding and checks, not the disk).
func BenchmarkDenseLoad_100k(b *testing.B) {
	d, _ := benchDense(b, 100_000, 512)
	var buf bytes.Buffer
	t0 := time.Now()
	if err := d.Save(&buf); err != nil {
		b.Fatal(err)
	}
	b.Logf("saved %d bytes in %v", buf.Len(), time.Since(t0))
	for b.Loop() {
		if _, err := LoadDense(bytes.NewReader(buf.Bytes()), d.exact); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDenseMemory reports heap bytes per point of a 100k × 512 index
// (the index alone, as LoadDense builds it: the full vectors stay with the
// caller).
func BenchmarkDenseMemory_100k(b *testing.B) {
	d, _ := benchDense(b, 100_000, 512)
	var buf bytes.Buffer
	if err := d.Save(&buf); err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	loaded, err := LoadDense(bytes.NewReader(buf.Bytes()), d.exact)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	for b.Loop() {
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(loaded.Len()), "bytes/point")
	runtime.KeepAlive(loaded)
}

// zipfSparse returns n documents of ~30 terms drawn from a Zipf-like
// vocabulary of 50k, 1,000 queries of ~queryTerms drawn the same way, and
// the queries' term weights.
func zipfSparse(n, queryTerms int) (*tsparse, [][]uint32, []float32) {
	const vocab, docTerms = 50_000, 30
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.1, 2, vocab-1)
	s := newTS()
	vals := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = 0.1 + r.Float32()
		}
		return v
	}
	for slot := range uint32(n) {
		terms := zipfTerms(z, docTerms)
		s.Add(slot, terms, vals(len(terms)))
	}
	qs := make([][]uint32, 1000)
	for i := range qs {
		qs[i] = zipfTerms(z, queryTerms)
	}
	return s, qs, vals(queryTerms)
}

// BenchmarkSparseSearch_100k: 100k docs of ~30 terms from a Zipf-like
// vocabulary of 50k, queries of ~6 terms drawn the same way.
func BenchmarkSparseSearch_100k(b *testing.B) {
	s, qs, qv := zipfSparse(100_000, 6)
	for _, k := range []int{10, 100} {
		b.Run(fmt.Sprintf("k%d", k), func(b *testing.B) {
			lat := make([]time.Duration, 0, 1<<16)
			i := 0
			for b.Loop() {
				t0 := time.Now()
				s.Search(qs[i%len(qs)], qv, k, nil)
				lat = append(lat, time.Since(t0))
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkDenseReplace_100k replaces random slots of a 100k × 512 index
// (Remove's relinking, the insert, and the sweeps they trigger) and
// BenchmarkDenseRemove_100k only removes.
func BenchmarkDenseReplace_100k(b *testing.B) {
	d, _ := benchDense(b, 100_000, 512)
	gen := newClustered(1, 512, 1000, 1)
	gen.r = rand.New(rand.NewPCG(9, 9))
	vecs := gen.take(4096)
	r := rand.New(rand.NewPCG(1, 1))
	i := 0
	for b.Loop() {
		d.Add(uint32(r.IntN(100_000)), vecs[i%len(vecs)])
		i++
	}
}

func BenchmarkDenseRemove_100k(b *testing.B) {
	d, _ := benchDense(b, 100_000, 512)
	perm := rand.New(rand.NewPCG(1, 1)).Perm(100_000)
	i := 0
	for b.Loop() {
		d.Remove(uint32(perm[i%len(perm)]))
		i++
	}
}

// BenchmarkSparsePruning compares scoring all postings with pruning by
// collection size and k: Zipf-drawn documents of 30 terms from a
// vocabulary of 50k, queries of 12 (the figures behind Sparse.prunes).
func BenchmarkSparsePruning(b *testing.B) {
	for _, n := range []int{13_600, 100_000, 300_000} {
		s, qs, qv := zipfSparse(n, 12)
		for _, k := range []int{10, 100, 200} {
			for _, mode := range []struct {
				name string
				mode int
			}{{"all", pruneNever}, {"pruned", pruneAlways}} {
				b.Run(fmt.Sprintf("n%d/k%d/%s", n, k, mode.name), func(b *testing.B) {
					i := 0
					for b.Loop() {
						s.search(qs[i%len(qs)], qv, k, nil, mode.mode)
						i++
					}
				})
			}
		}
	}
}

// BenchmarkFloatsShared scans a 13,653 × 512 collection (the size of
// jining's kb_full with the bge-small-zh shape) for the best 200, from
// 8 goroutines per core at once: each call alone (Search) or in shared
// scans (SearchShared).
func BenchmarkFloatsShared(b *testing.B) {
	const n, dim, k = 13_653, 512, 200
	r := rand.New(rand.NewPCG(1, 2))
	f := NewFloats(dim)
	for slot := range uint32(n) {
		f.Set(slot, randUnit(r, dim))
	}
	qs := make([][]float32, 64)
	for i := range qs {
		qs[i] = randUnit(r, dim)
	}
	all := func(yield func(uint32) bool) {
		for slot := range uint32(n) {
			if !yield(slot) {
				return
			}
		}
	}
	for _, shared := range []bool{false, true} {
		b.Run(fmt.Sprintf("shared=%t", shared), func(b *testing.B) {
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					q := qs[i%len(qs)]
					if shared {
						f.SearchShared(q, k, nil)
					} else {
						f.Search(q, k, all)
					}
					i++
				}
			})
		})
	}
}
