package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/index/embedded"
)

// evalKB is the knowledge base name eval imports into its temporary store.
const evalKB = "eval"

func (a *app) evalCommand() *cobra.Command {
	var kbFile, queriesFile, agg string
	var asJSON bool
	var blendWeight float64
	cmd := &cobra.Command{
		Use:   "eval --kb FILE --queries FILE [--model DIR] [--json]",
		Short: "Replay a labeled query set against a KB in a fresh temporary store and print quality metrics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, map[string]string{"model": "embed.model_dir"}); err != nil {
				return err
			}
			if !strings.Contains(","+joinAggs()+",", ","+agg+",") {
				return fmt.Errorf("--aggregation: %q must be one of %s", agg, joinAggs())
			}
			arts, err := answer.ReadArticlesFile(kbFile)
			if err != nil {
				return fmt.Errorf("%s: %w", kbFile, err)
			}
			queries, err := answer.ReadQueriesFile(queriesFile)
			if err != nil {
				return err
			}
			rep, err := a.runEval(cmd.Context(), arts, queries, answer.SearchOptions{Aggregation: answer.Aggregation(agg), BlendWeight: blendWeight})
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			fmt.Fprintf(a.stdout, "queries   %d (%d in scope)\n", rep.Queries, rep.InScope)
			fmt.Fprintf(a.stdout, "hit1      %.3f\nhit3      %.3f\nmrr10     %.3f\nndcg10    %.3f\n", rep.Hit1, rep.Hit3, rep.MRR10, rep.NDCG10)
			fmt.Fprintf(a.stdout, "p50_ms    %.2f\np99_ms    %.2f\n", rep.P50ms, rep.P99ms)
			return nil
		},
	}
	cmd.Flags().StringVar(&kbFile, "kb", "", "KB file (JSONL or CSV) to import (required)")
	cmd.Flags().StringVar(&queriesFile, "queries", "", "labeled queries, JSONL {query, expect} (required)")
	cmd.Flags().String("model", "", "model directory (embed.model_dir)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the metrics as JSON")
	cmd.Flags().StringVar(&agg, "aggregation", string(answer.DefaultAggregation), "article score aggregation: "+joinAggs())
	cmd.Flags().Float64Var(&blendWeight, "blend-weight", 0, "lexical weight of the blend aggregation (0: the default)")
	_ = cmd.MarkFlagRequired("kb")
	_ = cmd.MarkFlagRequired("queries")
	return cmd
}

func joinAggs() string {
	s := make([]string, len(answer.Aggregations))
	for i, g := range answer.Aggregations {
		s[i] = string(g)
	}
	return strings.Join(s, ",")
}

func (a *app) runEval(ctx context.Context, arts []answer.Article, queries []answer.LabeledQuery, so answer.SearchOptions) (_ answer.EvalReport, err error) {
	e, err := a.openEmbedder() //nolint:contextcheck // the batcher derives each run's context from its callers'
	if err != nil {
		return answer.EvalReport{}, err
	}
	defer func() { err = errors.Join(err, e.Close()) }()
	dir, err := os.MkdirTemp("", "jieda-eval-")
	if err != nil {
		return answer.EvalReport{}, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	cfg := a.cfg.Store.Embedded
	cfg.Path = filepath.Join(dir, "data")
	cfg.NoSync = true // a throwaway store: durability buys nothing here
	s, err := embedded.Open(ctx, cfg, a.logger.With("component", "index"))
	if err != nil {
		return answer.EvalReport{}, err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	k, err := newKB(ctx, s, e, a.cfg.Embed.Sparse, a)
	if err != nil {
		return answer.EvalReport{}, err
	}
	bar := newBar(a.stderr, int64(len(arts)), "importing KB", false)
	if _, err := k.Import(ctx, evalKB, arts, answer.ImportOptions{Progress: func(done, _ int) { _ = bar.Set(done) }}); err != nil {
		return answer.EvalReport{}, err
	}
	_ = bar.Finish()
	return k.Evaluate(ctx, evalKB, queries, answer.EvalOptions{Search: so})
}
