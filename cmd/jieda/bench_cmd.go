package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index/embedded"
)

func (a *app) benchCommand() *cobra.Command {
	c := &cobra.Command{Use: "bench", Short: "Measure jieda's components"}
	c.AddCommand(a.benchEmbedCommand(), a.benchIndexCommand(), a.benchAskCommand(), a.benchSoakCommand())
	return c
}

func (a *app) benchIndexCommand() *cobra.Command {
	var asJSON bool
	var sizes []int
	var opts embedded.BenchOptions
	var profile string
	cmd := &cobra.Command{
		Use:   "index [--n N[,N...]] [--dim D] [--json]",
		Short: "Dense/sparse/hybrid latency, recall@10, durable upserts/s, cold open and memory of the embedded engine",
		Long: "Dense/sparse/hybrid latency, recall@10, durable upserts/s, cold open and memory of the embedded engine.\n" +
			"Several sizes (--n 100000,300000,1000000) run one after the other and print a scaling table.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if err := a.load(cmd, nil); err != nil {
				return err
			}
			cfg := a.cfg.Store.Embedded
			opts.Config = &cfg
			opts.Logger = a.logger.With("component", "bench")
			var prof *os.File
			if profile != "" {
				if prof, err = os.Create(profile); err != nil {
					return err
				}
				defer func() { err = errors.Join(err, prof.Close()) }()
			}
			var results []embedded.BenchResult
			for i, n := range sizes {
				opts.N = n
				if prof != nil && i == len(sizes)-1 {
					opts.CPUProfile = prof
				}
				res, err := embedded.RunBench(cmd.Context(), opts)
				if err != nil {
					return err
				}
				results = append(results, res)
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if len(results) == 1 {
					return enc.Encode(results[0])
				}
				return enc.Encode(results)
			}
			if len(results) == 1 {
				printBenchIndex(a.stdout, results[0])
				return nil
			}
			printBenchIndexTable(a.stdout, results)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&sizes, "n", []int{100000}, "points; a comma-separated list runs each size and prints a scaling table")
	f.IntVar(&opts.Dim, "dim", 512, "dense dimension")
	f.IntVar(&opts.Queries, "queries", 500, "queries per measurement")
	f.StringVar(&opts.Dir, "dir", "", "data directory (default: a temporary one)")
	f.StringVar(&profile, "cpuprofile", "", "write a CPU profile of the query phases to this file (the last size's, with several; that size's per-query CPU figures are then 0)")
	f.BoolVar(&asJSON, "json", false, "print JSON (a list for several sizes)")
	return cmd
}

func printBenchIndex(w io.Writer, res embedded.BenchResult) {
	fmt.Fprintf(w, "points          %d × %d dims (embedded engine)\n", res.N, res.Dim)
	fmt.Fprintf(w, "dense top-10    p50 %.3f ms  p99 %.3f ms  recall@10 %.3f\n", res.DenseP50MS, res.DenseP99MS, res.RecallAt10)
	fmt.Fprintf(w, "sparse top-10   p50 %.3f ms\n", res.SparseP50MS)
	fmt.Fprintf(w, "hybrid top-10   p50 %.3f ms\n", res.HybridP50MS)
	fmt.Fprintf(w, "upserts         %.0f points/s (batches of 256, fsync'd); %.0f/s once the pending bound filled; graph indexed %.1f s later\n",
		res.UpsertPerS, res.SustainedUpsertPerS, res.IndexS)
	fmt.Fprintf(w, "cold open       %.2f s\n", res.OpenS)
	fmt.Fprintf(w, "memory          %.0f bytes/point (Go heap), RSS %.0f MB\n", res.BytesPerPoint, res.RSSMB)
	fmt.Fprintf(w, "CPU time        p50 dense %.3f ms, sparse %.3f ms, hybrid %.3f ms; cold open %.2f s\n",
		res.DenseCPUP50MS, res.SparseCPUP50MS, res.HybridCPUP50MS, res.OpenCPUS)
}

func printBenchIndexTable(w io.Writer, results []embedded.BenchResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "points\tdense p50 ms (CPU)\trecall@10\tsparse p50 ms (CPU)\thybrid p50 ms (CPU)\tupserts/s\tsustained/s\tcold open s (CPU)\tbytes/point\tRSS MB\t\n")
	for _, r := range results {
		fmt.Fprintf(tw, "%d\t%.3f (%.3f)\t%.3f\t%.3f (%.3f)\t%.3f (%.3f)\t%.0f\t%.0f\t%.2f (%.2f)\t%.0f\t%.0f\t\n", r.N,
			r.DenseP50MS, r.DenseCPUP50MS, r.RecallAt10, r.SparseP50MS, r.SparseCPUP50MS, r.HybridP50MS, r.HybridCPUP50MS,
			r.UpsertPerS, r.SustainedUpsertPerS, r.OpenS, r.OpenCPUS, r.BytesPerPoint, r.RSSMB)
	}
	_ = tw.Flush()
	if len(results) > 0 {
		fmt.Fprintf(w, "(%d dims, embedded engine; (CPU): the p50 of the queries' CPU times, the CPU time of the open; RSS includes the memory-mapped database pages the run touched)\n", results[0].Dim)
	}
}

func (a *app) benchEmbedCommand() *cobra.Command {
	var asJSON bool
	var compare string
	var rounds int
	opts := embed.DefaultBenchOptions()
	cmd := &cobra.Command{
		Use:   "embed [--model DIR] [--compare DIR2 [--rounds N]] [--json]",
		Short: "Query latency, concurrent queries/s, passages/s and achieved GFLOP/s of the embedding model",
		Long: `Measures the embedding model. With --compare DIR2 both models are measured in alternating
rounds of one run (--rounds, default 6) and the ratios DIR2 ÷ DIR are the medians of the
rounds' ratios: the way to compare an int8 model with its float32 original on a shared machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, map[string]string{"model": "embed.model_dir"}); err != nil {
				return err
			}
			a.cfg.Embed.CacheSize = 0 // every query must run the model
			e, err := a.openEmbedder()
			if err != nil {
				return err
			}
			defer func() {
				if cerr := e.Close(); cerr != nil {
					a.logger.Error("closing embedder", "err", cerr)
				}
			}()
			if compare != "" {
				// Shorter phases, more rounds: adjacent phases of the two
				// models see the same load on a shared machine.
				f := cmd.Flags()
				if !f.Changed("duration") {
					opts.ConcurrentFor = time.Second
				}
				if !f.Changed("queries") {
					opts.Queries = 100
				}
				if !f.Changed("passages") {
					opts.Passages = 32
				}
				return a.benchEmbedCompare(cmd.Context(), e, compare, opts, rounds, asJSON)
			}
			res, err := embed.RunBench(cmd.Context(), e, opts)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			fmt.Fprintf(a.stdout, "model           %s (%d threads, %d live lanes)\n", res.Model, res.Threads, res.Lanes)
			fmt.Fprintf(a.stdout, "query latency   p50 %.2f ms  p99 %.2f ms  (%d tokens, batch 1, one caller)\n", res.QueryP50Ms, res.QueryP99Ms, res.QueryTokens)
			fmt.Fprintf(a.stdout, "queries/s       %.1f with %d callers (mean batch %.1f)\n", res.QueryQPS8, opts.Callers, res.MeanBatch8)
			fmt.Fprintf(a.stdout, "passages/s      %.1f (%d tokens, batches of %d) = %.0f tokens/s\n", res.PassagesPerS, res.PassageTokens, a.cfg.Embed.BulkBatch, res.TokensPerS)
			fmt.Fprintf(a.stdout, "GFLOP/s         %.1f passages, %.1f single query; CPU FP32 peak %.1f (%.0f%%)\n", res.GFLOPS, res.QueryGFLOPS, res.PeakGFLOPS, 100*res.PeakFraction)
			fmt.Fprintf(a.stdout, "peak assumes    %s\n", res.CPU.Assumption)
			return nil
		},
	}
	f := cmd.Flags()
	f.String("model", "", "model directory (embed.model_dir)")
	f.StringVar(&compare, "compare", "", "second model directory, measured in the same run (ratios are DIR2 ÷ DIR)")
	f.IntVar(&rounds, "rounds", 6, "alternating rounds with --compare (each with 100 queries, 1s of callers and 32 passages unless set)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.IntVar(&opts.Queries, "queries", opts.Queries, "sequential queries for the latency percentiles")
	f.IntVar(&opts.Callers, "callers", opts.Callers, "concurrent callers")
	f.DurationVar(&opts.ConcurrentFor, "duration", opts.ConcurrentFor, "length of the concurrent phase")
	f.IntVar(&opts.Passages, "passages", opts.Passages, "passages in the bulk phase")
	return cmd
}

// benchEmbedCompare measures base and the model in dir in alternating
// rounds and prints both with the same-run ratios.
func (a *app) benchEmbedCompare(ctx context.Context, base *embed.Embedder, dir string, opts embed.BenchOptions, rounds int, asJSON bool) (err error) {
	cfg := a.cfg.Embed
	cfg.ModelDir = dir
	other, err := embed.Open(cfg, a.logger.With("component", "embed")) //nolint:contextcheck // the batcher derives each run's context from its callers'
	if err != nil {
		return fmt.Errorf("--compare: %w", err)
	}
	defer func() { err = errors.Join(err, other.Close()) }()
	c, err := embed.CompareBench(ctx, base, other, opts, rounds)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	fmt.Fprintf(a.stdout, "model           %s (%d threads, %d live lanes)\n", c.Base.Model, c.Base.Threads, c.Base.Lanes)
	fmt.Fprintf(a.stdout, "compare         %s, %d alternating rounds in this run\n", c.Other.Model, len(c.Rounds))
	for i, r := range c.Rounds {
		fmt.Fprintf(a.stdout, "round %d         queries/s %.1f vs %.1f (%.2f×)  query p50 %.2f vs %.2f ms  passages/s %.1f vs %.1f (%.2f×)\n",
			i+1, r.Base.QueryQPS8, r.Other.QueryQPS8, r.Ratio.QueryQPS8, r.Base.QueryP50Ms, r.Other.QueryP50Ms,
			r.Base.PassagesPerS, r.Other.PassagesPerS, r.Ratio.PassagesPerS)
	}
	fmt.Fprintf(a.stdout, "median          %-12s %-12s ratio (median of the rounds' ratios)\n", "model", "compare")
	fmt.Fprintf(a.stdout, "queries/s       %-12.1f %-12.1f %.2f× (%d callers)\n", c.Base.QueryQPS8, c.Other.QueryQPS8, c.Ratio.QueryQPS8, opts.Callers)
	fmt.Fprintf(a.stdout, "query p50 ms    %-12.2f %-12.2f %.2f×\n", c.Base.QueryP50Ms, c.Other.QueryP50Ms, c.Ratio.QueryP50Ms)
	fmt.Fprintf(a.stdout, "query p99 ms    %-12.2f %-12.2f %.2f×\n", c.Base.QueryP99Ms, c.Other.QueryP99Ms, c.Ratio.QueryP99Ms)
	fmt.Fprintf(a.stdout, "passages/s      %-12.1f %-12.1f %.2f×\n", c.Base.PassagesPerS, c.Other.PassagesPerS, c.Ratio.PassagesPerS)
	return nil
}
