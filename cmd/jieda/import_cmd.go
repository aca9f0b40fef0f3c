package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
)

func (a *app) importCommand() *cobra.Command {
	c := &cobra.Command{Use: "import", Short: "Import knowledge into a knowledge base"}
	c.AddCommand(a.importArticlesCommand(), a.importResolvedCommand())
	return c
}

func (a *app) importArticlesCommand() *cobra.Command {
	var kb string
	cmd := &cobra.Command{
		Use:   "articles FILE --kb NAME",
		Short: "Import articles from JSONL or CSV; every line is validated before anything is written",
		Long: `Import articles from a JSONL file (one {"id","question","variants","answer","category",...} per line)
or a CSV file with a header row (id, question, variants separated by "|" or new lines, answer,
category, locale, scope as key=value;key=value, status, valid_from, valid_to).
Articles are upserted by id: running the same import again is safe.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.load(cmd, map[string]string{"model-dir": "embed.model_dir"}); err != nil {
				return err
			}
			if err := answer.ValidateID(kb); err != nil {
				return fmt.Errorf("--kb: %w", err)
			}
			arts, err := answer.ReadArticlesFile(args[0])
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return a.importArticles(cmd.Context(), kb, args[0], arts)
		},
	}
	cmd.Flags().StringVar(&kb, "kb", "", "knowledge base name (required)")
	cmd.Flags().String("model-dir", "", "model directory (embed.model_dir)")
	_ = cmd.MarkFlagRequired("kb")
	return cmd
}

func (a *app) importArticles(ctx context.Context, kb, file string, arts []answer.Article) error {
	busy := "stop it first, or POST /v1/articles/import"
	return a.withSystem(ctx, systemOptions{busyHint: busy}, func(ctx context.Context, sys *system) error {
		bar := newBar(a.stderr, int64(len(arts)), "importing "+file, false)
		var st answer.ImportStats
		reason := "jieda import articles " + file
		ctx = answer.WithChangeInfo(ctx, answer.ChangeInfo{Author: cliActor, Action: "import", Reason: reason})
		if err := sys.engine.ImportArticlesWith(ctx, kb, arts, answer.ImportOptions{Progress: func(done, _ int) { _ = bar.Set(done) }}, &st); err != nil {
			return err
		}
		_ = bar.Finish()
		entry := curate.AuditEntry{Actor: cliActor, Role: "editor", Action: "article.import", KB: kb,
			Details: map[string]any{"file": file, "articles": st.Articles, "created": st.Created, "updated": st.Updated}}
		if _, err := sys.curator.Audit.Record(ctx, entry); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "imported %d articles into kb %q: %d created, %d updated, %d unchanged (%d points)\n",
			st.Articles, kb, st.Created, st.Updated, st.Unchanged, st.Points)
		// The KB calibrates itself on its new articles before it answers:
		// wait here (interrupted, it resumes when the server starts).
		if sys.engine.SelfCalibrating(kb) {
			fmt.Fprintf(a.stderr, "calibrating kb %q on its own articles…\n", kb)
			return sys.engine.WaitCalibrations(ctx)
		}
		return nil
	})
}
