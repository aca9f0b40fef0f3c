package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index/embedded"
)

func (a *app) calibrateCommand() *cobra.Command {
	var kbFile, queriesFile, save, out string
	var asJSON bool
	var targetPrecision float64
	cmd := &cobra.Command{
		Use:   "calibrate --kb FILE --queries FILE [--save KB] [--out FILE]",
		Short: "Fit the confidence calibration on a labeled query set",
		Long: `Imports the KB into a fresh temporary store, asks every labeled query, and fits the logistic
model that turns retrieval features into the probability that the top article is right.

It first fits on one half of the queries and reports the expected calibration error (ECE) on the
other half, then fits on all of them. --save KB stores the calibration in that knowledge base's
settings in the store (--data); --out writes it as JSON (for jieda eval --calibration).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, map[string]string{"model": "embed.model_dir"}); err != nil {
				return err
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
			err = a.withTempKB(cmd.Context(), arts, answer.SearchOptions{}, func(ctx context.Context, sys *system) error {
				samples, err = sys.engine.CalibrationSamples(ctx, evalKB, queries, 0)
				return err
			})
			if err != nil {
				return err
			}
			rep, cal, err := calibrate(queries, samples)
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
				answerAt = answer.ThresholdForPrecision(rep.heldOutProb, rep.heldOutRight, targetPrecision)
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
	cmd.Flags().StringVar(&out, "out", "", "write the calibration as JSON to this file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().Float64Var(&targetPrecision, "target-precision", 0, "with --save, also set the KB's answer threshold to reach this precision on the held-out half (e.g. 0.95)")
	_ = cmd.MarkFlagRequired("kb")
	_ = cmd.MarkFlagRequired("queries")
	return cmd
}

type jsonMap = map[string]any

// calibrationReport describes a fit.
type calibrationReport struct {
	Samples    int     `json:"samples"`
	Right      int     `json:"right"`
	HeldOutECE float64 `json:"held_out_ece"`
	Targets    []struct {
		Precision float64 `json:"precision"`
		Threshold float64 `json:"threshold"`
	} `json:"thresholds"`
	heldOutProb  []float64
	heldOutRight []bool
}

// calibrate fits on one half (by a hash of the query), measures ECE and
// precision thresholds on the other, then fits on everything.
func calibrate(queries []answer.LabeledQuery, samples []answer.Sample) (calibrationReport, *answer.Calibration, error) {
	rep := calibrationReport{Samples: len(samples)}
	var train, test []answer.Sample
	for i, s := range samples {
		if s.Correct {
			rep.Right++
		}
		h := fnv.New32a()
		h.Write([]byte(queries[i].Query))
		if h.Sum32()%2 == 0 {
			train = append(train, s)
		} else {
			test = append(test, s)
		}
	}
	half, err := answer.FitBoth(train, answer.FitOptions{})
	if err != nil {
		return rep, nil, err
	}
	prob := make([]float64, len(test))
	right := make([]bool, len(test))
	for i, s := range test {
		prob[i], right[i] = half.Probability(s.Features), s.Correct
	}
	rep.HeldOutECE = answer.ECE(prob, right, 10)
	rep.heldOutProb, rep.heldOutRight = prob, right
	for _, p := range []float64{0.90, 0.95, 0.98} {
		rep.Targets = append(rep.Targets, struct {
			Precision float64 `json:"precision"`
			Threshold float64 `json:"threshold"`
		}{p, answer.ThresholdForPrecision(prob, right, p)})
	}
	cal, err := answer.FitBoth(samples, answer.FitOptions{})
	if err != nil {
		return rep, nil, err
	}
	cal.FittedAt = time.Now().UTC().Truncate(time.Second)
	return rep, cal, nil
}

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
