package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/curate/intake"
)

func (a *app) importResolvedCommand() *cobra.Command {
	var kb string
	cmd := &cobra.Command{
		Use:   "resolved FILE --kb NAME",
		Short: "Take past resolved tickets (question + agent reply) in as knowledge candidates",
		Long: `Reads JSONL ({question, reply, agent?, csat?, resolved_at?, ticket?} per line) or CSV with
those columns. Every line is checked first and all errors are reported with line numbers; then
each reply goes through the quality gates, PII scrubbing, matching against the KB and clustering
into the review queue (GET /v1/candidates). Each item is keyed by its ticket (or its text), so a
re-run, or a run resumed after an interruption, skips what was already taken in.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.load(cmd, map[string]string{"model-dir": "embed.model_dir"}); err != nil {
				return err
			}
			if err := answer.ValidateID(kb); err != nil {
				return fmt.Errorf("--kb: %w", err)
			}
			items, err := intake.ReadResolvedFile(args[0])
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			content, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			run := curate.RunID(kb, content)
			return a.withSystem(cmd.Context(), systemOptions{busyHint: "stop it first"}, func(ctx context.Context, sys *system) error {
				// One run per file: its new candidates reach the review queue
				// together, when it finishes (a re-run after a crash resumes it).
				if err := sys.curator.StartRun(ctx, kb, run); err != nil {
					return err
				}
				rep, err := a.intakeWithProgress(ctx, sys.curator, kb, args[0], run, items)
				if err != nil {
					return err
				}
				if err := sys.curator.FinishRun(ctx, kb, run); err != nil {
					return err
				}
				entry := curate.AuditEntry{Actor: cliActor, Role: "editor", Action: "resolved.import", KB: kb,
					Details: map[string]any{"file": args[0], "received": rep.Received, "candidates": rep.Candidates}}
				if _, err := sys.curator.Audit.Record(ctx, entry); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "took in %d resolved replies into kb %q: %d candidates (%d suggested variants, %d new-article), %d new clusters; %d already taken in, %d already known questions, %d suppressed, %d dropped\n",
					rep.Received, kb, rep.Candidates, rep.Variants, rep.NewArticles, rep.NewClusters, rep.Duplicates, rep.Known, rep.Suppressed, rep.Dropped)
				for _, r := range intake.DropReasons() {
					if n := rep.DropReasons[r]; n > 0 {
						fmt.Fprintf(a.stdout, "  dropped %-14s %d\n", r, n)
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&kb, "kb", "", "knowledge base name (required)")
	cmd.Flags().String("model-dir", "", "model directory (embed.model_dir)")
	_ = cmd.MarkFlagRequired("kb")
	return cmd
}

// intakeWithProgress feeds items to the curator in chunks with a progress bar.
func (a *app) intakeWithProgress(ctx context.Context, cur *curate.Curator, kb, file, run string, items []intake.Resolved) (curate.IntakeReport, error) {
	var rep curate.IntakeReport
	bar := newBar(a.stderr, int64(len(items)), "taking in "+file, false)
	const chunk = 256
	for i := 0; i < len(items); i += chunk {
		r, err := cur.Intake(ctx, kb, items[i:min(i+chunk, len(items))], curate.Source{Name: "import", Run: run})
		rep = rep.Merge(r)
		if err != nil {
			return rep, err
		}
		_ = bar.Set(min(i+chunk, len(items)))
	}
	_ = bar.Finish()
	return rep, nil
}
