package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/curate/intake"
)

// evalKB is the knowledge base name eval and calibrate import into their temporary store.
const evalKB = "eval"

func (a *app) evalCommand() *cobra.Command {
	var kbFile, queriesFile, agg, calFile, resolvedFile, outcomesFile string
	var asJSON, crossFit bool
	var blendWeight, learnFrom float64
	cmd := &cobra.Command{
		Use:   "eval --kb FILE --queries FILE [--model DIR] [--json]",
		Short: "Ask a labeled query set against a KB in a fresh temporary store and print quality metrics",
		Long: `Builds a fresh temporary store, imports the KB, asks every query concurrently through the
same code path as POST /v1/ask, and prints ranking quality (hit1, hit3, mrr10, ndcg10 over in-scope
queries), decision quality (answered, answer_precision, answer_coverage, clarify_rate, handoff_rate,
oos_handoff_recall), calibration (ece), latency and a threshold sweep.

The KB is imported as a shop imports it, so it calibrates itself from its own articles (see
jieda calibrate --self). By default the confidence calibration is then cross-fitted: fitted on one
half of the queries and measured on the other, both ways round, so every figure is out of sample.
--cross-fit=false uses no labeled query at all: what a new shop gets after importing its KB (or
--calibration FILE, written by jieda calibrate --out).

--learn-from F replays the first fraction F of the queries (in file order) as live traffic: a
simulated agent resolves every handoff with the expected article (or says the KB had none), a
simulated customer picks the expected clarify option; the rest is measured with what was learned
(the "learning" block counts the labels).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, map[string]string{"model": "embed.model_dir"}); err != nil {
				return err
			}
			if learnFrom < 0 || learnFrom >= 1 {
				return fmt.Errorf("--learn-from: %v must lie in [0, 1)", learnFrom)
			}
			if learnFrom > 0 {
				crossFit = false // what is measured must learn from the replay alone
			}
			if !strings.Contains(","+joinAggs()+",", ","+agg+",") {
				return fmt.Errorf("--aggregation: %q must be one of %s", agg, joinAggs())
			}
			var cal *answer.Calibration
			if calFile != "" {
				var err error
				if cal, err = readCalibration(calFile); err != nil {
					return err
				}
				crossFit = false
			}
			arts, err := answer.ReadArticlesFile(kbFile)
			if err != nil {
				return fmt.Errorf("%s: %w", kbFile, err)
			}
			queries, err := answer.ReadQueriesFile(queriesFile)
			if err != nil {
				return err
			}
			var resolved []intake.Resolved
			if resolvedFile != "" {
				if resolved, err = intake.ReadResolvedFile(resolvedFile); err != nil {
					return err
				}
			}
			var rep evalReport
			so := answer.SearchOptions{Aggregation: answer.Aggregation(agg), BlendWeight: blendWeight}
			// With labels (cross-fit, a calibration file) no figure depends on
			// the KB's self-calibration: skip its cost.
			selfCal := !crossFit && cal == nil
			err = a.withTempKB(cmd.Context(), arts, so, selfCal, func(ctx context.Context, sys *system) error {
				eng := sys.engine
				if resolvedFile != "" {
					bar := newBar(a.stderr, int64(len(resolved)), "curating replies", false)
					cur, err := sys.curator.CurateAll(ctx, evalKB, resolved, "eval", func(n int) { _ = bar.Set(n) })
					_ = bar.Finish()
					if err != nil {
						return err
					}
					rep.Curation = &cur
				}
				if cal != nil {
					st, _, err := eng.Settings.Get(ctx, evalKB)
					if err != nil {
						return err
					}
					st.Calibration = cal
					if _, err := eng.Settings.Put(ctx, st); err != nil {
						return err
					}
				}
				st, _, err := eng.Settings.Get(ctx, evalKB)
				if err != nil {
					return err
				}
				rep.SelfCalibration = st.SelfCalibration
				measured := queries
				if learnFrom > 0 {
					cut := int(learnFrom * float64(len(queries)))
					learning, err := eng.Replay(ctx, evalKB, queries[:cut])
					if err != nil {
						return err
					}
					rep.Learning = &learning
					measured = queries[cut:]
				}
				rep.AskEvalReport, err = eng.Evaluate(ctx, evalKB, measured, answer.AskEvalOptions{CrossFit: crossFit, Outcomes: outcomesFile != ""})
				return err
			})
			if err != nil {
				return err
			}
			if outcomesFile != "" {
				if err := writeOutcomes(outcomesFile, rep.Outcomes); err != nil {
					return err
				}
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printEvalReport(a, rep)
			return nil
		},
	}
	cmd.Flags().StringVar(&kbFile, "kb", "", "KB file (JSONL or CSV) to import (required)")
	cmd.Flags().StringVar(&queriesFile, "queries", "", "labeled queries, JSONL {query, expect} (required)")
	cmd.Flags().StringVar(&resolvedFile, "resolved", "", "resolved agent replies (JSONL/CSV) to curate into the KB before asking: intake, clustering, every suggestion approved")
	cmd.Flags().String("model", "", "model directory (embed.model_dir)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the metrics as JSON")
	cmd.Flags().BoolVar(&crossFit, "cross-fit", true, "fit the calibration on one half of the queries, measure on the other")
	cmd.Flags().StringVar(&calFile, "calibration", "", "use this calibration (JSON from `jieda calibrate --out`) instead of cross-fitting")
	cmd.Flags().StringVar(&agg, "aggregation", string(answer.DefaultAggregation), "article score aggregation: "+joinAggs())
	cmd.Flags().Float64Var(&blendWeight, "blend-weight", 0, "lexical weight of the blend aggregation (0: the default)")
	cmd.Flags().Float64Var(&learnFrom, "learn-from", 0, "replay this first fraction of the queries (file order) as live traffic whose handoffs a simulated agent resolves and whose clarifies a simulated customer answers, then measure the rest (implies --cross-fit=false)")
	cmd.Flags().StringVar(&outcomesFile, "outcomes", "", "write each measured question's outcome (decision, verdict, confidence, rank, features) to this JSONL file")
	_ = cmd.MarkFlagRequired("kb")
	_ = cmd.MarkFlagRequired("queries")
	return cmd
}

// writeOutcomes writes one JSON line per question outcome.
func writeOutcomes(path string, outs []answer.QuestionOutcome) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, o := range outs {
		if err := enc.Encode(o); err != nil {
			_ = f.Close()
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return f.Close()
}

// evalReport is the answer metrics, plus curation's when --resolved is given.
type evalReport struct {
	answer.AskEvalReport
	Curation *curate.CurationRun `json:"curation,omitempty"`
	// SelfCalibration is what the KB fitted on itself when it was imported.
	SelfCalibration *answer.SelfCalibration `json:"self_calibration,omitempty"`
	// Learning is what --learn-from's replay taught the KB.
	Learning *answer.LearnReport `json:"learning,omitempty"`
}

func printEvalReport(a *app, rep evalReport) {
	w := a.stdout
	if c := rep.Curation; c != nil {
		fmt.Fprintf(w, "resolved            %d (%d distinct replies)\n", c.Resolved, c.DistinctReplies)
		fmt.Fprintf(w, "candidates          %d (dropped %d, already known %d, suppressed %d)\n", c.Candidates, c.Dropped, c.Known, c.Suppressed)
		fmt.Fprintf(w, "clusters            %d\npromoted_articles   %d\npromoted_variants   %d\n", c.Clusters, c.PromotedArticles, c.PromotedVariants)
		fmt.Fprintf(w, "intake_per_s        %.0f\napprove_s           %.1f\n\n", c.IntakePerS, c.ApproveS)
	}
	if sc := rep.SelfCalibration; sc != nil {
		fmt.Fprintf(w, "self-calibration    %d examples (%d variants, %d pseudo, %d out of scope), held-out ece %.3f, %.1f s\n",
			sc.Examples.Total(), sc.Examples.Variants, sc.Examples.Pseudo, sc.Examples.OutOfScope, sc.HeldOutECE, float64(sc.DurationMS)/1000)
	}
	if l := rep.Learning; l != nil {
		fmt.Fprintf(w, "learning            replayed %d (answered %d, clarified %d, handed off %d); labels %v; %d kept; calibration %q\n\n",
			l.Replayed, l.Answered, l.Clarified, l.Handoffs, l.Labels, l.Stored, l.Calibration)
	}
	rep.WriteText(w)
}

func joinAggs() string {
	s := make([]string, len(answer.Aggregations))
	for i, g := range answer.Aggregations {
		s[i] = string(g)
	}
	return strings.Join(s, ",")
}

// withTempKB imports arts as KB evalKB into a fresh temporary store and
// runs fn with the system over it; with selfCal the import self-calibrates
// the KB (as a shop's import does) before fn runs.
func (a *app) withTempKB(ctx context.Context, arts []answer.Article, so answer.SearchOptions, selfCal bool, fn func(context.Context, *system) error) error {
	return a.withSystem(ctx, systemOptions{temp: true, search: so}, func(ctx context.Context, sys *system) error {
		// The import path a shop's import takes: articles in, then the KB
		// calibrates itself (in the background; waited for here).
		bar := newBar(a.stderr, int64(len(arts)), "importing KB", false)
		opts := answer.ImportOptions{Progress: func(done, _ int) { _ = bar.Set(done) }, NoSelfCalibration: !selfCal}
		if err := sys.engine.ImportArticlesWith(ctx, evalKB, arts, opts, nil); err != nil {
			return err
		}
		_ = bar.Finish()
		if err := sys.engine.WaitCalibrations(ctx); err != nil {
			return err
		}
		return fn(ctx, sys)
	})
}

func readCalibration(path string) (*answer.Calibration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c answer.Calibration
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}
