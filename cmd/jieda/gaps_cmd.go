package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/curate"
)

func (a *app) gapsCommand() *cobra.Command {
	var kb, since, until string
	var limit, minCount int
	var similarity float64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "gaps --kb NAME [--since 2026-11-01|7d] [--until ...] [--limit N] [--json]",
		Short: "Report knowledge gaps: what customers asked that the KB could not answer",
		Long: `Groups the questions of a knowledge base that were handed off for want of knowledge
(low_confidence, out_of_scope, ambiguous, expired_answer) or answered with a "did you mean"
choice in a window, and prints the groups most asked first: how often each was asked, the trend
against the previous period of the same length, example wordings (personal data scrubbed) and
the article the KB comes closest with. Groups a pending or approved candidate already covers
are left out (they are in review or were promoted).

--since and --until take a date (2026-11-01, local time), a date and time (2026-11-01 08:00 or
RFC 3339), or an age (7d, 2w, 36h: that long before now). The window is [since, until):
--until defaults to now, --since to 7 days before --until. The store (--data) must not be held
by a running jieda serve; ask the server's GET /v1/gaps instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if err := a.load(cmd, map[string]string{"model-dir": "embed.model_dir"}); err != nil {
				return err
			}
			now := time.Now()
			q := curate.GapQuery{KB: kb, Limit: limit, MinCount: minCount, Similarity: similarity}
			if q.Since, err = curate.ParseGapTime(since, now); err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			if q.Until, err = curate.ParseGapTime(until, now); err != nil {
				return fmt.Errorf("--until: %w", err)
			}
			ctx := cmd.Context()
			busy := "ask it with curl …/v1/gaps?kb=" + kb
			return a.withSystem(ctx, systemOptions{busyHint: busy}, func(ctx context.Context, sys *system) error {
				rep, err := sys.curator.Gaps(ctx, q)
				if err != nil {
					return err
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					enc.SetEscapeHTML(false)
					return enc.Encode(rep)
				}
				return printGapReport(a.stdout, rep)
			})
		},
	}
	cmd.Flags().StringVar(&kb, "kb", "", "knowledge base name (required)")
	cmd.Flags().StringVar(&since, "since", "", "start of the window: a date, a date and time, or an age like 7d (default: 7 days before --until)")
	cmd.Flags().StringVar(&until, "until", "", "end of the window, exclusive: a date, a date and time, or an age (default: now)")
	cmd.Flags().IntVar(&limit, "limit", 0, fmt.Sprintf("most gaps to show (default %d, at most %d)", curate.DefaultGapLimit, curate.MaxGapLimit))
	cmd.Flags().IntVar(&minCount, "min-count", 0, fmt.Sprintf("leave out gaps asked fewer times (default %d)", curate.DefaultGapMinCount))
	cmd.Flags().Float64Var(&similarity, "similarity", 0, fmt.Sprintf("cosine at which questions are one gap (default %v)", curate.DefaultGapSimilarity))
	cmd.Flags().String("model-dir", "", "model directory (embed.model_dir)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	_ = cmd.MarkFlagRequired("kb")
	return cmd
}

// printGapReport prints a report as a table: one gap per row, two
// example wordings under it.
func printGapReport(w io.Writer, rep curate.GapReport) error {
	const layout = "2006-01-02 15:04"
	fmt.Fprintf(w, "knowledge gaps of kb %q, %s to %s: %d unanswered questions (%d the period before)",
		rep.KB, rep.Since.Local().Format(layout), rep.Until.Local().Format(layout), rep.Questions, rep.PreviousQuestions)
	if rep.Covered > 0 {
		fmt.Fprintf(w, ", %d groups already in review", rep.Covered)
	}
	fmt.Fprintln(w)
	if rep.Truncated {
		fmt.Fprintf(w, "(more than %d questions in a window: only the most recent were read)\n", curate.MaxGapQuestions)
	}
	if len(rep.Gaps) == 0 {
		fmt.Fprintln(w, "no gaps")
		return nil
	}
	fmt.Fprintln(w)
	// Chinese text takes two columns a character: it goes last, so that
	// the columns before it line up.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COUNT\tTREND\tNEAR MISS\tCONF\tQUESTION")
	for _, g := range rep.Gaps {
		article, conf := "-", "-"
		if nm := g.NearMiss; nm != nil {
			article, conf = nm.ArticleID, fmt.Sprintf("%.2f", nm.Confidence)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", g.Count, g.Trend, article, conf, clipGapText(g.Representative, 60))
		for _, ex := range g.Examples[:min(2, len(g.Examples))] {
			fmt.Fprintf(tw, "\t\t\t\t  e.g. %s\n", clipGapText(ex, 60))
		}
		if nm := g.NearMiss; nm != nil {
			fmt.Fprintf(tw, "\t\t\t\t  nearest: %s\n", clipGapText(nm.Question, 60))
		}
	}
	return tw.Flush()
}

// clipGapText shortens s to at most n characters, on one line.
func clipGapText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
