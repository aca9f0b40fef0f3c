package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jieda/jieda/index"
)

// BenchmarkRunBench runs the `jieda bench index` measurement at a small
// size so that it never rots (go test -bench . -benchtime=1x).
func BenchmarkRunBench(b *testing.B) {
	for b.Loop() {
		res, err := RunBench(context.Background(), BenchOptions{N: 3000, Dim: 64, Queries: 50, Dir: b.TempDir(),
			Config: &Config{ExactBelow: 1000, HNSWM: 16, HNSWEfConstruction: 100, HNSWEfSearch: 64}})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.DenseP50MS, "dense-p50-ms")
		b.ReportMetric(res.RecallAt10, "recall@10")
		b.ReportMetric(res.SparseP50MS, "sparse-p50-ms")
		b.ReportMetric(res.HybridP50MS, "hybrid-p50-ms")
		b.ReportMetric(res.UpsertPerS, "upserts/s")
		b.ReportMetric(res.IndexS*1000, "index-ms")
		b.ReportMetric(res.OpenS*1000, "open-ms")
		b.ReportMetric(res.BytesPerPoint, "B/point")
	}
}

// BenchmarkQuery measures hybrid queries on stores of 1k and 10k points.
func BenchmarkQuery(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			ctx := context.Background()
			cfg := testConfig(b.TempDir())
			cfg.NoSync = true
			s := open(b, cfg)
			must(b, s.CreateCollection(ctx, index.CollectionConfig{Name: "q", Dim: 128, Sparse: true}))
			data := newBenchData(n, 128, 64, 1)
			for lo := 0; lo < n; lo += 1000 {
				must(b, s.Upsert(ctx, "q", data.points(lo, min(lo+1000, n))))
			}
			b.ResetTimer()
			i := 0
			for b.Loop() {
				_, err := s.Query(ctx, "q", index.QueryRequest{Dense: data.queries[i%64], Sparse: data.sparseQuery(i % 64), Limit: 10})
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// TestRunBenchFull runs RunBench at the size JIEDA_BENCH_N × JIEDA_BENCH_DIM
// (e.g. 100000 × 512; JIEDA_BENCH_EF_CONSTRUCTION overrides the default)
// and prints the JSON result; skipped without them.
func TestRunBenchFull(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("JIEDA_BENCH_N"))
	dim, _ := strconv.Atoi(os.Getenv("JIEDA_BENCH_DIM"))
	if n == 0 {
		t.Skip("set JIEDA_BENCH_N (and JIEDA_BENCH_DIM) to run")
	}
	cfg := DefaultConfig()
	if efc, _ := strconv.Atoi(os.Getenv("JIEDA_BENCH_EF_CONSTRUCTION")); efc > 0 {
		cfg.HNSWEfConstruction = efc
	}
	res, err := RunBench(context.Background(), BenchOptions{N: n, Dim: dim, Dir: os.Getenv("JIEDA_BENCH_DIR"), Config: &cfg,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	fmt.Println(string(b))
}

// TestRunBenchProfile profiles the query phases of a small run: the
// profile is written, and the per-query CPU figures it would distort are
// left out.
func TestRunBenchProfile(t *testing.T) {
	var prof bytes.Buffer
	res, err := RunBench(context.Background(), BenchOptions{N: 2000, Dim: 32, Queries: 40, Dir: t.TempDir(), CPUProfile: &prof,
		Config: &Config{ExactBelow: 500, HNSWM: 8, HNSWEfConstruction: 50, HNSWEfSearch: 32}})
	if err != nil {
		t.Fatal(err)
	}
	if prof.Len() == 0 {
		t.Error("no CPU profile written")
	}
	if res.DenseP50MS <= 0 || res.HybridP50MS <= 0 {
		t.Errorf("latencies missing: %+v", res)
	}
	if res.DenseCPUP50MS != 0 || res.SparseCPUP50MS != 0 || res.HybridCPUP50MS != 0 {
		t.Errorf("per-query CPU figures reported under the profiler: %+v", res)
	}
}

// BenchmarkUpsertIndexed writes one point at a time, as the handoff and
// event logs do, into collections of 10k and 100k points with an
// integer and a datetime payload index: a new point (the latest time)
// and a change to an older one.
func BenchmarkUpsertIndexed(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			ctx := context.Background()
			cfg := testConfig(b.TempDir())
			cfg.NoSync = true
			s := open(b, cfg)
			must(b, s.CreateCollection(ctx, index.CollectionConfig{Name: "log", Dim: 4}))
			must(b, s.CreatePayloadIndex(ctx, "log", "at", index.FieldDatetime))
			must(b, s.CreatePayloadIndex(ctx, "log", "rank", index.FieldInteger))
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			point := func(i int) index.Point {
				return index.Point{ID: benchID(i), Dense: []float32{1, float32(i % 7), 0, 1},
					Payload: index.Payload{"at": base.Add(time.Duration(i) * time.Second).Format(time.RFC3339), "rank": int64(i % 5)}}
			}
			var batch []index.Point
			for i := range n {
				if batch = append(batch, point(i)); len(batch) == 1000 {
					must(b, s.Upsert(ctx, "log", batch))
					batch = batch[:0]
				}
			}
			i := n
			for b.Loop() {
				must(b, s.Upsert(ctx, "log", []index.Point{point(i)}))
				old := point(i - n/2)
				old.Payload["rank"] = int64(9)
				must(b, s.Upsert(ctx, "log", []index.Point{old}))
				i++
			}
		})
	}
}

// BenchmarkQueryFiltered asks a dense search of 200 results under a
// two-condition keyword filter, as Search asks its points collection
// (kb and status), at 100k points.
func BenchmarkQueryFiltered(b *testing.B) {
	ctx := context.Background()
	cfg := testConfig(b.TempDir())
	cfg.NoSync = true
	s := open(b, cfg)
	must(b, s.CreateCollection(ctx, index.CollectionConfig{Name: "q", Dim: 64}))
	must(b, s.CreatePayloadIndex(ctx, "q", "kb", index.FieldKeyword))
	must(b, s.CreatePayloadIndex(ctx, "q", "status", index.FieldKeyword))
	const n = 100_000
	data := newBenchData(n, 64, 64, 1)
	for lo := 0; lo < n; lo += 1000 {
		pts := data.points(lo, min(lo+1000, n))
		for i := range pts {
			pts[i].Sparse = nil
			pts[i].Payload = index.Payload{"kb": []string{"shop", "other"}[(lo+i)%2], "status": []string{"published", "draft"}[(lo+i)%5/4]}
		}
		must(b, s.Upsert(ctx, "q", pts))
	}
	must(b, s.WaitIndexed(ctx))
	filter := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", "shop"), index.MatchKeyword("status", "published")}}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := s.Query(ctx, "q", index.QueryRequest{Dense: data.queries[i%64], Filter: filter, Limit: 200}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
