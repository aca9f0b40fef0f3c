package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index/embedded"
)

func (a *app) calibrateCommand() *cobra.Command {
	var kbFile, queriesFile, save, out string
	var asJSON, self, transfer bool
	var targetPrecision float64
	cmd := &cobra.Command{
		Use:   "calibrate --kb FILE --queries FILE [--save KB] [--out FILE] | calibrate --kb NAME|FILE --self [--transfer]",
		Short: "Fit the confidence calibration on a labeled query set, or on the KB itself (--self)",
		Long: `Imports the KB into a fresh temporary store, asks every labeled query, and fits the logistic
model that turns retrieval features into the probability that the top article is right.

It first fits on one half of the queries and reports the expected calibration error (ECE) on the
other half, then fits on all of them. --save KB stores the calibration in that knowledge base's
settings in the store (--data); --out writes it as JSON (for jieda eval --calibration).

--self needs no labeled queries: the KB (a name in the store, or a KB file imported into a
temporary store) calibrates itself from its own articles, as it does after an import: variant
questions asked with that question held out, articles held out whole as out of scope, and
pseudo-questions for articles without variants. It prints what it fitted on and the held-out ECE.
--transfer also measures which pseudo-question generators stand in for the KB's real variant
questions (on a KB that has them).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, map[string]string{"model": "embed.model_dir"}); err != nil {
				return err
			}
			if self {
				return a.selfCalibrate(cmd.Context(), kbFile, out, transfer, asJSON)
			}
			if queriesFile == "" {
				return errors.New("--queries is required (or --self)")
			}
			if save != "" {
				if err := answer.ValidateID(save); err != nil {
					return fmt.Errorf("--save: %w", err)
				}
			}
			arts, err := answer.ReadArticlesFile(kbFile)
			if err != nil {
				return fmt.Errorf("%s: %w", kbFile, err)
			}
			queries, err := answer.ReadQueriesFile(queriesFile)
			if err != nil {
				return err
			}
			var samples []answer.Sample
			err = a.withTempKB(cmd.Context(), arts, answer.SearchOptions{}, false, func(ctx context.Context, sys *system) error {
				samples, err = sys.engine.CalibrationSamples(ctx, evalKB, queries, 0)
				return err
			})
			if err != nil {
				return err
			}
			rep, cal, err := answer.FitHeldOut(queries, samples, time.Now())
			if err != nil {
				return err
			}
			cal.Source = fmt.Sprintf("jieda calibrate --kb %s --queries %s", kbFile, queriesFile)
			if out != "" {
				b, _ := json.MarshalIndent(cal, "", "  ")
				if err := embed.WriteFileAtomic(out, append(b, '\n')); err != nil {
					return err
				}
			}
			answerAt := 0.0
			if targetPrecision > 0 {
				answerAt = answer.ThresholdForPrecision(rep.HeldOutProb, rep.HeldOutRight, targetPrecision)
			}
			if save != "" {
				if err := a.saveCalibration(cmd.Context(), save, cal, answerAt); err != nil {
					return err
				}
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(jsonMap{"report": rep, "calibration": cal})
			}
			fmt.Fprintf(a.stdout, "samples            %d (%d with the top article right)\n", rep.Samples, rep.Right)
			fmt.Fprintf(a.stdout, "held-out ece       %.4f (fitted on half, measured on the other half)\n", rep.HeldOutECE)
			fmt.Fprintf(a.stdout, "in-sample ece      %.4f (fitted on all)\n", cal.ECE)
			for _, t := range rep.Targets {
				fmt.Fprintf(a.stdout, "precision ≥ %.2f   answer threshold %.3f (held out)\n", t.Precision, t.Threshold)
			}
			fmt.Fprintln(a.stdout, "weights (standardized features):")
			for i, f := range cal.Features {
				fmt.Fprintf(a.stdout, "  %-14s %+.3f\n", f, cal.Weights[i])
			}
			fmt.Fprintf(a.stdout, "  %-14s %+.3f\n", "bias", cal.Bias)
			if save != "" {
				fmt.Fprintf(a.stdout, "saved in the settings of kb %q", save)
				if answerAt > 0 {
					fmt.Fprintf(a.stdout, " with answer threshold %.3f (precision %.2f held out)", answerAt, targetPrecision)
				}
				fmt.Fprintln(a.stdout)
			}
			if out != "" {
				fmt.Fprintf(a.stdout, "written to %s\n", out)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&kbFile, "kb", "", "KB file (JSONL or CSV) to import (required)")
	cmd.Flags().StringVar(&queriesFile, "queries", "", "labeled queries, JSONL {query, expect} (required)")
	cmd.Flags().String("model", "", "model directory (embed.model_dir)")
	cmd.Flags().StringVar(&save, "save", "", "store the calibration in this knowledge base's settings")
	cmd.Flags().StringVar(&out, "out", "", "write the calibration as JSON to this file (with --self: the one the KB fitted itself)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().Float64Var(&targetPrecision, "target-precision", 0, "with --save, also set the KB's answer threshold to reach this precision on the held-out half (e.g. 0.95)")
	cmd.Flags().BoolVar(&self, "self", false, "calibrate the KB from its own articles (no labeled queries); --kb names a KB in the store or a KB file")
	cmd.Flags().BoolVar(&transfer, "transfer", false, "with --self, measure which pseudo-question generators transfer to the KB's variant questions")
	_ = cmd.MarkFlagRequired("kb")
	return cmd
}

// selfCalibrate runs a KB's self-calibration: kb is a KB file (imported
// into a temporary store, which calibrates itself on import) or the name
// of a KB in the configured store.
func (a *app) selfCalibrate(ctx context.Context, kb, out string, transfer, asJSON bool) error {
	type result struct {
		Self     *answer.SelfCalibration `json:"self_calibration"`
		Transfer *answer.TransferReport  `json:"transfer,omitempty"`
	}
	var res result
	var cal *answer.Calibration
	run := func(ctx context.Context, eng *answer.Engine, name string, fresh bool) error {
		var rep *answer.SelfCalibration // this run's report (a fresh KB's is in its settings)
		if !fresh {
			r, err := eng.SelfCalibrate(ctx, name)
			if err != nil {
				return err
			}
			rep = &r
		}
		st, _, err := eng.Settings.Get(ctx, name)
		if err != nil {
			return err
		}
		res.Self, cal = cmp.Or(rep, st.SelfCalibration), st.SelfCalibrated()
		if transfer {
			tr, err := eng.MeasureTransfer(ctx, name, nil)
			if err != nil {
				return err
			}
			res.Transfer = &tr
		}
		return nil
	}
	var err error
	if fi, statErr := os.Stat(kb); statErr == nil && !fi.IsDir() {
		arts, err := answer.ReadArticlesFile(kb)
		if err != nil {
			return fmt.Errorf("%s: %w", kb, err)
		}
		err = a.withTempKB(ctx, arts, answer.SearchOptions{}, true, func(ctx context.Context, sys *system) error {
			return run(ctx, sys.engine, evalKB, true)
		})
		if err != nil {
			return err
		}
	} else {
		if err := answer.ValidateID(kb); err != nil {
			return fmt.Errorf("--kb %q is neither a file nor a knowledge base name: %w", kb, err)
		}
		busy := "POST /v1/kbs/" + kb + "/calibrate instead"
		err = a.withSystem(ctx, systemOptions{busyHint: busy}, func(ctx context.Context, sys *system) error {
			return run(ctx, sys.engine, kb, false)
		})
	}
	if err != nil {
		return err
	}
	if out != "" {
		if cal == nil {
			return errors.New("--out: the KB has no self-calibration (too few examples to fit one)")
		}
		b, _ := json.MarshalIndent(cal, "", "  ")
		if err := embed.WriteFileAtomic(out, append(b, '\n')); err != nil {
			return err
		}
	}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printSelfCalibration(a, res.Self, res.Transfer)
	return nil
}

func printSelfCalibration(a *app, s *answer.SelfCalibration, tr *answer.TransferReport) {
	w := a.stdout
	if s == nil {
		fmt.Fprintln(w, "no self-calibration (the KB is empty, or holds a calibration fitted on labeled questions)")
	} else {
		fmt.Fprintf(w, "articles           %d (%d questions)\n", s.Articles, s.Questions)
		fmt.Fprintf(w, "examples           %d: %d variants held out, %d pseudo-questions, %d out of scope (weighted to %.0f%%)\n",
			s.Examples.Total(), s.Examples.Variants, s.Examples.Pseudo, s.Examples.OutOfScope, 100*s.OutOfScopeShare)
		if s.Outcomes > 0 {
			fmt.Fprintf(w, "outcome labels     %d\n", s.Outcomes)
		}
		fmt.Fprintf(w, "generators         %s (%s)\n", strings.Join(s.Generators, ", "), s.GeneratorsFrom)
		fmt.Fprintf(w, "held-out ece       %.4f (5 folds by article)\n", s.HeldOutECE)
		fmt.Fprintf(w, "held-out top1      %.3f (in-scope examples whose top article is right)\n", s.HeldOutTop1)
		if s.AnswerThreshold > 0 {
			fmt.Fprintf(w, "answer threshold   %.2f (the least at which held-out answers meet the target precision and %.0f%% of out-of-scope ones are handed off; applies while the KB's own is the default)\n",
				s.AnswerThreshold, 100*answer.TargetOutOfScopeHandoff)
		} else {
			fmt.Fprintln(w, "answer threshold   the KB's own (none from held-out examples: none met the target precision, or outcome labels calibrate the KB)")
		}
		fmt.Fprintf(w, "took               %.1f s\n", float64(s.DurationMS)/1000)
	}
	if tr == nil {
		return
	}
	fmt.Fprintf(w, "\ntransfer to real variant questions (%d articles with variants; real top1 %.3f):\n", tr.Articles, tr.RealTop1)
	fmt.Fprintln(w, "  generators                      log_loss  ece    precision coverage oos_handoff pseudo_top1")
	row := func(prefix string, r answer.TransferRow) {
		fmt.Fprintf(w, "  %-32s %.4f  %.4f %.3f     %.3f    %.3f       %.3f\n", prefix+strings.Join(r.Generators, "+"), r.LogLoss, r.ECE, r.Precision, r.Coverage, r.OOSHandoff, r.Top1)
	}
	for _, r := range tr.Single {
		row("", r)
	}
	for _, r := range tr.Steps {
		row("> ", r)
	}
	fmt.Fprintf(w, "chosen             %s\n", strings.Join(tr.Chosen, ", "))
}

type jsonMap = map[string]any

// saveCalibration stores cal in kb's settings in the configured store.
func (a *app) saveCalibration(ctx context.Context, kb string, cal *answer.Calibration, answerAt float64) (err error) {
	s, err := a.openStore(ctx, a.cfg.Store.Engine)
	if errors.Is(err, embedded.ErrLocked) {
		return fmt.Errorf("%w\n(a running `jieda serve` holds the embedded store: stop it first, or PUT /v1/kbs/%s/settings)", err, kb)
	}
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	ss, err := answer.NewSettingsStore(ctx, s)
	if err != nil {
		return err
	}
	st, _, err := ss.Get(ctx, kb)
	if err != nil {
		return err
	}
	st.Calibration = cal
	if answerAt > 0 && answerAt < 1 {
		st.Thresholds.Answer = answerAt
		st.Thresholds.OutOfScope = min(st.Thresholds.OutOfScope, answerAt)
	}
	_, err = ss.Put(ctx, st)
	return err
}
