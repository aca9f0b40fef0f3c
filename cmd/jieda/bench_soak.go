package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/soak"
)

func (a *app) benchSoakCommand() *cobra.Command {
	var kbFile, queriesFile, dir string
	var duration, killEvery time.Duration
	var seed uint64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "soak --kb FILE --queries FILE [--duration 60s] [--kill-every 6s] [--json]",
		Short: "Mixed traffic against a server that is SIGKILLed and restarted at random; then check nothing acknowledged was lost",
		Long: `Starts jieda serve (this binary) on a loopback port over a fresh store, imports the KB, and for
--duration runs customers (questions, follow-ups, feedback), an importer (article batches), an
agent (resolving handoffs) and an editor (approving candidates), while the server is killed with
SIGKILL every --kill-every on average and started again. Then it restarts the server and checks
that every acknowledged import, handoff, resolution and approval is there, that no import is half
visible, that every handoff is delivered to the webhook or pending with its retry state, and that
no request got a 5xx while the server was up. It exits 1 when a check fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, map[string]string{"model": "embed.model_dir"}); err != nil {
				return err
			}
			arts, err := os.ReadFile(kbFile)
			if err != nil {
				return err
			}
			queries, err := answer.ReadQueriesFile(queriesFile)
			if err != nil {
				return err
			}
			cfg := soak.Config{Articles: arts, Duration: duration, KillEvery: killEvery, Seed: seed, ModelDir: a.cfg.Embed.ModelDir}
			for _, q := range queries {
				cfg.Questions = append(cfg.Questions, q.Query)
			}
			if cfg.Binary, err = os.Executable(); err != nil {
				return err
			}
			if cfg.Dir = dir; dir == "" {
				if cfg.Dir, err = os.MkdirTemp("", "jieda-soak-"); err != nil {
					return err
				}
				defer os.RemoveAll(cfg.Dir) //nolint:errcheck // a scratch directory
			}
			rep, err := soak.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				printSoak(a, rep)
			}
			if bad := rep.Failed(); bad != "" {
				return errors.New("soak failed: " + bad)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&kbFile, "kb", "answer/samplekb/articles.jsonl", "KB file (JSONL) to import first")
	f.StringVar(&queriesFile, "queries", "answer/samplekb/queries.jsonl", "questions customers ask, JSONL {query}")
	f.String("model", "", "model directory (embed.model_dir)")
	f.DurationVar(&duration, "duration", time.Minute, "how long the traffic runs")
	f.DurationVar(&killEvery, "kill-every", 6*time.Second, "mean time between kills")
	f.Uint64Var(&seed, "seed", uint64(time.Now().UnixNano()), "seed of the kill timings and the traffic")
	f.StringVar(&dir, "dir", "", "keep the store and the server log here (default: a temporary directory)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func printSoak(a *app, r soak.Report) {
	w := a.stdout
	fmt.Fprintf(w, "ran %.0f s, %d kills, %d requests (%d met a dead server), %d 5xx while up\n", r.Seconds, r.Kills, r.Requests, r.Down, len(r.FiveXXWhileUp))
	fmt.Fprintf(w, "asks %d (%d follow-ups), feedback %d\n", r.Asks, r.ConversationsX, r.FeedbackAcked)
	fmt.Fprintf(w, "imports %d acknowledged (%d lost), %d cut by a kill (%d half visible, %d answering)\n", r.Imports.Acked, r.ImportsLost, r.Imports.Cut, r.HalfImported, r.CutAnswered)
	fmt.Fprintf(w, "handoffs %d (%d lost), resolutions %d (%d lost), deliveries %v (%d undeliverable), webhook events %d\n",
		r.Handoffs, r.HandoffsLost, r.Resolutions, r.ResolvedLost, r.Deliveries, r.Undeliverable, r.WebhookEvents)
	fmt.Fprintf(w, "approvals %d (%d lost)\n", r.Approvals, r.ApprovalsLost)
	for _, e := range r.FiveXXWhileUp {
		fmt.Fprintln(w, "  5xx:", e)
	}
}
