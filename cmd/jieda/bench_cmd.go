package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index/embedded"
)

func (a *app) benchCommand() *cobra.Command {
	c := &cobra.Command{Use: "bench", Short: "Measure jieda's components"}
	c.AddCommand(a.benchEmbedCommand(), a.benchIndexCommand(), a.benchAskCommand())
	return c
}

func (a *app) benchIndexCommand() *cobra.Command {
	var asJSON bool
	var opts embedded.BenchOptions
	cmd := &cobra.Command{
		Use:   "index [--n N] [--dim D] [--json]",
		Short: "Dense/sparse/hybrid latency, recall@10, durable upserts/s, cold open and memory of the embedded engine",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, nil); err != nil {
				return err
			}
			cfg := a.cfg.Store.Embedded
			opts.Config = &cfg
			opts.Logger = a.logger.With("component", "bench")
			res, err := embedded.RunBench(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			fmt.Fprintf(a.stdout, "points          %d × %d dims (embedded engine)\n", res.N, res.Dim)
			fmt.Fprintf(a.stdout, "dense top-10    p50 %.3f ms  p99 %.3f ms  recall@10 %.3f\n", res.DenseP50MS, res.DenseP99MS, res.RecallAt10)
			fmt.Fprintf(a.stdout, "sparse top-10   p50 %.3f ms\n", res.SparseP50MS)
			fmt.Fprintf(a.stdout, "hybrid top-10   p50 %.3f ms\n", res.HybridP50MS)
			fmt.Fprintf(a.stdout, "upserts         %.0f points/s (batches of 256, fsync'd); graph indexed %.1f s later\n", res.UpsertPerS, res.IndexS)
			fmt.Fprintf(a.stdout, "cold open       %.2f s\n", res.OpenS)
			fmt.Fprintf(a.stdout, "memory          %.0f bytes/point\n", res.BytesPerPoint)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.N, "n", 100000, "points")
	f.IntVar(&opts.Dim, "dim", 512, "dense dimension")
	f.IntVar(&opts.Queries, "queries", 500, "queries per measurement")
	f.StringVar(&opts.Dir, "dir", "", "data directory (default: a temporary one)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) benchEmbedCommand() *cobra.Command {
	var asJSON bool
	opts := embed.DefaultBenchOptions()
	cmd := &cobra.Command{
		Use:   "embed [--model DIR] [--json]",
		Short: "Query latency, concurrent queries/s, passages/s and achieved GFLOP/s of the embedding model",
		Args:  cobra.NoArgs,
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
			res, err := embed.RunBench(cmd.Context(), e, opts)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			fmt.Fprintf(a.stdout, "model           %s (%d threads)\n", res.Model, res.Threads)
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
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.IntVar(&opts.Queries, "queries", opts.Queries, "sequential queries for the latency percentiles")
	f.IntVar(&opts.Callers, "callers", opts.Callers, "concurrent callers")
	f.DurationVar(&opts.ConcurrentFor, "duration", opts.ConcurrentFor, "length of the concurrent phase")
	f.IntVar(&opts.Passages, "passages", opts.Passages, "passages in the bulk phase")
	return cmd
}
