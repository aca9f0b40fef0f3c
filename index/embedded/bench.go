package embedded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/internal/cputime"
)

// BenchOptions sizes a benchmark run. Zero fields take their defaults.
type BenchOptions struct {
	// N is the number of points (default 100,000).
	N int
	// Dim is the dense dimension (default 512).
	Dim int
	// Queries is the number of queries per measurement (default 500).
	Queries int
	// Dir is the data directory; "" uses a temporary one, removed after.
	// In an existing store the run creates a collection of its own
	// (jieda_bench_<random>) and deletes it at the end.
	Dir string
	// Seed seeds the generated data (default 1).
	Seed uint64
	// Config overrides the engine's settings (Path is ignored); the zero
	// value means DefaultConfig.
	Config *Config
	// Logger receives progress lines; nil is silent.
	Logger *slog.Logger
	// CPUProfile, when set, receives a CPU profile of the query phases
	// (whose per-query CPU figures are then not measured: see BenchResult).
	CPUProfile io.Writer
}

// BenchResult is what RunBench measured. Latencies are wall-clock per
// query, one query at a time; recall compares HNSW dense search with an
// exact scan; upsert_per_s counts acknowledged durable writes over the
// whole load, sustained_upsert_per_s only those acknowledged after the
// pending bound first filled (Config.MaxPending: from then on upserts go
// at the background indexer's pace; 0 when the load never filled it), and
// index_s is how long the indexer then took to link what they left
// pending (WaitIndexed); bytes_per_point is the Go heap growth
// (runtime.MemStats HeapAlloc after GC) of opening the store, per point;
// rss_mb is the process's resident memory (VmRSS, Linux) after the
// queries, the store's memory-mapped database pages included. The _cpu
// figures are the process's CPU time (Linux only), so they include a
// hybrid query's other leg, which runs on a goroutine of its own in large
// collections: on a shared machine they show the work done when
// wall-clock times mostly show the neighbors. The queries' _cpu figures
// are 0 when the run is profiled (BenchOptions.CPUProfile).
type BenchResult struct {
	N                   int     `json:"n"`
	Dim                 int     `json:"dim"`
	DenseP50MS          float64 `json:"dense_p50_ms"`
	DenseP99MS          float64 `json:"dense_p99_ms"`
	DenseCPUP50MS       float64 `json:"dense_p50_cpu_ms"`
	RecallAt10          float64 `json:"recall_at_10"`
	SparseP50MS         float64 `json:"sparse_p50_ms"`
	SparseCPUP50MS      float64 `json:"sparse_p50_cpu_ms"`
	HybridP50MS         float64 `json:"hybrid_p50_ms"`
	HybridCPUP50MS      float64 `json:"hybrid_p50_cpu_ms"`
	UpsertPerS          float64 `json:"upsert_per_s"`
	SustainedUpsertPerS float64 `json:"sustained_upsert_per_s"`
	IndexS              float64 `json:"index_s"`
	OpenS               float64 `json:"open_s"`
	OpenCPUS            float64 `json:"open_cpu_s"`
	BytesPerPoint       float64 `json:"bytes_per_point"`
	RSSMB               float64 `json:"rss_mb"`
}

// benchBatch is the upsert batch size.
const benchBatch = 256

// RunBench generates a clustered dense data set and Zipf-distributed sparse
// documents, loads them into an embedded store with durable batch upserts,
// waits for the background indexer, reopens the store cold, and measures
// queries. See BenchResult for the figures.
func RunBench(ctx context.Context, opts BenchOptions) (res BenchResult, err error) {
	if opts.N <= 0 {
		opts.N = 100_000
	}
	if opts.Dim <= 0 {
		opts.Dim = 512
	}
	if opts.Queries <= 0 {
		opts.Queries = 500
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := DefaultConfig()
	if opts.Config != nil {
		cfg = *opts.Config
	}
	cfg.Path = opts.Dir
	if cfg.Path == "" {
		if cfg.Path, err = os.MkdirTemp("", "jieda-bench-*"); err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, os.RemoveAll(cfg.Path)) }()
	}
	res.N, res.Dim = opts.N, opts.Dim
	debug.FreeOSMemory() // what an earlier run left must not count as this one's RSS
	data := newBenchData(opts.N, opts.Dim, opts.Queries, opts.Seed)
	name := "jieda_bench_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]

	s, err := Open(ctx, cfg, nil)
	if err != nil {
		return res, err
	}
	defer func() {
		if s != nil {
			// Clean up even when ctx was cancelled.
			err = errors.Join(err, s.DeleteCollection(context.WithoutCancel(ctx), name), s.Close())
		}
	}()
	if err := s.CreateCollection(ctx, index.CollectionConfig{Name: name, Dim: opts.Dim, Sparse: true}); err != nil {
		return res, err
	}
	if err := s.CreatePayloadIndex(ctx, name, "article_id", index.FieldKeyword); err != nil {
		return res, err
	}

	// Durable upserts in batches.
	s.mu.RLock()
	loading := s.cols[name]
	s.mu.RUnlock()
	start := time.Now()
	var full time.Time // when the pending bound first filled
	fullAt := 0
	for lo := 0; lo < opts.N; lo += benchBatch {
		hi := min(lo+benchBatch, opts.N)
		if err := s.Upsert(ctx, name, data.points(lo, hi)); err != nil {
			return res, err
		}
		if full.IsZero() && loading.dense.Pending() >= cfg.maxPending() {
			full, fullAt = time.Now(), hi
		}
		if lo%(benchBatch*40) == 0 {
			log.Info("loading", "points", hi, "of", opts.N, "elapsed", time.Since(start).Round(time.Millisecond))
		}
	}
	end := time.Now()
	res.UpsertPerS = float64(opts.N) / end.Sub(start).Seconds()
	if !full.IsZero() && fullAt < opts.N {
		res.SustainedUpsertPerS = float64(opts.N-fullAt) / end.Sub(full).Seconds()
	}
	log.Info("loaded", "points", opts.N, "per_s", math.Round(res.UpsertPerS), "sustained_per_s", math.Round(res.SustainedUpsertPerS))
	start = time.Now()
	if err := s.WaitIndexed(ctx); err != nil {
		return res, err
	}
	res.IndexS = time.Since(start).Seconds()
	log.Info("indexed", "seconds", res.IndexS)

	// Cold open, and the heap it takes.
	if err := s.Close(); err != nil {
		return res, err
	}
	s = nil
	before := heapAfterGC()
	start, cpu := time.Now(), cputime.Process()
	if s, err = Open(ctx, cfg, nil); err != nil {
		return res, err
	}
	res.OpenS = time.Since(start).Seconds()
	res.OpenCPUS = (cputime.Process() - cpu).Seconds()
	res.BytesPerPoint = float64(int64(heapAfterGC())-int64(before)) / float64(opts.N)
	log.Info("reopened", "seconds", res.OpenS, "bytes_per_point", math.Round(res.BytesPerPoint))
	if err := s.WaitIndexed(ctx); err != nil { // nothing pending after a clean close
		return res, err
	}

	// Queries: each kind in its own loop after a short warm-up, one at a
	// time (the process does nothing else meanwhile, so its CPU time is
	// the query's).
	c := s.cols[name]
	measure := func(run func(i int) error) (wall, cpu []time.Duration, err error) {
		for i := range min(20, opts.Queries) {
			if err := run(i); err != nil {
				return nil, nil, err
			}
		}
		wall, cpu = make([]time.Duration, opts.Queries), make([]time.Duration, opts.Queries)
		for i := range wall {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			t, c := time.Now(), cputime.Process()
			if err := run(i); err != nil {
				return nil, nil, err
			}
			wall[i], cpu[i] = time.Since(t), cputime.Process()-c
		}
		return wall, cpu, nil
	}
	if opts.CPUProfile != nil {
		if err := pprof.StartCPUProfile(opts.CPUProfile); err != nil {
			return res, err
		}
		defer pprof.StopCPUProfile()
	}
	got := make([][]index.ScoredPoint, opts.Queries)
	dense, denseCPU, err := measure(func(i int) (err error) {
		got[i], err = s.Query(ctx, name, index.QueryRequest{Dense: data.queries[i], Limit: 10})
		return err
	})
	if err != nil {
		return res, err
	}
	recall, err := s.recall(c, data.queries, got)
	if err != nil {
		return res, err
	}
	sparse, sparseCPU, err := measure(func(i int) error {
		_, err := s.Query(ctx, name, index.QueryRequest{Sparse: data.sparseQuery(i), Limit: 10})
		return err
	})
	if err != nil {
		return res, err
	}
	hybrid, hybridCPU, err := measure(func(i int) error {
		_, err := s.Query(ctx, name, index.QueryRequest{Dense: data.queries[i], Sparse: data.sparseQuery(i), Limit: 10})
		return err
	})
	if err != nil {
		return res, err
	}
	res.RecallAt10 = recall / float64(10*opts.Queries)
	res.DenseP50MS, res.DenseP99MS = percentileMS(dense, 0.50), percentileMS(dense, 0.99)
	res.SparseP50MS = percentileMS(sparse, 0.50)
	res.HybridP50MS = percentileMS(hybrid, 0.50)
	res.DenseCPUP50MS = percentileMS(denseCPU, 0.50)
	res.SparseCPUP50MS = percentileMS(sparseCPU, 0.50)
	res.HybridCPUP50MS = percentileMS(hybridCPU, 0.50)
	if opts.CPUProfile != nil {
		// While a profiling timer is armed the kernel keeps the process's
		// CPU clock at tick granularity: per-query figures mean nothing.
		res.DenseCPUP50MS, res.SparseCPUP50MS, res.HybridCPUP50MS = 0, 0, 0
	}
	res.RSSMB = float64(residentBytes()) / (1 << 20)
	return res, nil
}

// residentBytes returns the process's resident set size (VmRSS), or 0 where
// /proc/self/status cannot tell.
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb uint64
			if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// recall counts the results in got that an exact search also finds.
func (s *Store) recall(c *collection, queries [][]float32, got [][]index.ScoredPoint) (float64, error) {
	vr, done, err := s.vectors(c)
	if err != nil {
		return 0, err
	}
	defer done()
	exact := vr.exact()
	var recall float64
	for i, q := range queries {
		want := map[string]bool{}
		for _, h := range c.dense.SearchExact(q, 10, nil, exact) {
			want[c.ids[h.Slot]] = true
		}
		for _, r := range got[i] {
			if want[r.ID] {
				recall++
			}
		}
	}
	return recall, nil
}

func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func percentileMS(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := min(len(d)-1, int(math.Ceil(p*float64(len(d))))-1)
	return float64(d[max(i, 0)].Nanoseconds()) / 1e6
}

// benchData is a generated data set: dense vectors around cluster centers
// that vary along a few latent directions plus a little isotropic noise
// (as sentence embeddings cluster by topic and have a low intrinsic
// dimension), and sparse documents whose terms follow a Zipf law (as
// words do).
type benchData struct {
	dim     int
	seed    uint64
	centers [][]float32
	latent  [][]float32 // benchLatent directions, each of norm ~1
	queries [][]float32
}

const (
	benchVocab  = 30_000
	benchLatent = 64  // latent directions
	benchSpread = 0.9 // norm of the latent offset from the (unit) center
	benchNoise  = 0.6 // norm of the isotropic noise
)

func newBenchData(n, dim, queries int, seed uint64) *benchData {
	rng := rand.New(rand.NewPCG(seed, 0x6a09e667f3bcc909))
	d := &benchData{dim: dim, seed: seed}
	clusters := max(8, n/2000)
	for range clusters {
		d.centers = append(d.centers, d.gauss(rng, 1))
	}
	for range benchLatent {
		d.latent = append(d.latent, d.gauss(rng, 1))
	}
	for range queries {
		d.queries = append(d.queries, d.vector(rng))
	}
	return d
}

// gauss returns a random vector of about the given norm.
func (d *benchData) gauss(rng *rand.Rand, norm float64) []float32 {
	v := make([]float32, d.dim)
	sd := norm / math.Sqrt(float64(d.dim))
	for i := range v {
		v[i] = float32(rng.NormFloat64() * sd)
	}
	return v
}

// vector returns a normalized point near a random cluster center.
func (d *benchData) vector(rng *rand.Rand) []float32 {
	c := d.centers[rng.IntN(len(d.centers))]
	v := d.gauss(rng, benchNoise)
	for i := range v {
		v[i] += c[i]
	}
	scale := benchSpread / math.Sqrt(benchLatent)
	for _, dir := range d.latent {
		z := float32(rng.NormFloat64() * scale)
		for i := range v {
			v[i] += z * dir[i]
		}
	}
	var sq float64
	for i := range v {
		sq += float64(v[i]) * float64(v[i])
	}
	inv := float32(1 / math.Sqrt(sq))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// points generates points lo..hi-1 (deterministic per index).
func (d *benchData) points(lo, hi int) []index.Point {
	out := make([]index.Point, 0, hi-lo)
	for i := lo; i < hi; i++ {
		rng := rand.New(rand.NewPCG(d.seed, uint64(i)+1))
		zipf := rand.NewZipf(rng, 1.1, 2, benchVocab-1)
		out = append(out, index.Point{
			ID:     benchID(i),
			Dense:  d.vector(rng),
			Sparse: sparseDoc(zipf, 20+rng.IntN(40)),
			Payload: index.Payload{
				"article_id": fmt.Sprintf("a%d", i/4),
				"n":          i,
			},
		})
	}
	return out
}

func (d *benchData) sparseQuery(i int) *index.Sparse {
	rng := rand.New(rand.NewPCG(d.seed^0xabcdef, uint64(i)+1))
	return sparseDoc(rand.NewZipf(rng, 1.1, 2, benchVocab-1), 3+rng.IntN(6))
}

// sparseDoc draws terms terms and weights each 1 + ln(tf).
func sparseDoc(zipf *rand.Zipf, terms int) *index.Sparse {
	tf := map[uint32]int{}
	for range terms {
		tf[uint32(zipf.Uint64())]++
	}
	sp := &index.Sparse{}
	for t := range tf {
		sp.Indices = append(sp.Indices, t)
	}
	slices.Sort(sp.Indices)
	for _, t := range sp.Indices {
		sp.Values = append(sp.Values, float32(1+math.Log(float64(tf[t]))))
	}
	return sp
}

func benchID(i int) string {
	var u uuid.UUID
	for b := range 8 {
		u[8+b] = byte(uint64(i) >> (56 - 8*b))
	}
	u[6], u[8] = 0x40, u[8]|0x80
	return u.String()
}
