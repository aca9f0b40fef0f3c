package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/answer"
)

func (a *app) askCommand() *cobra.Command {
	var kb, locale, conversation string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   `ask "QUESTION" [--kb NAME]`,
		Short: "Answer one question from the command line (the same path as POST /v1/ask)",
		Long: `Answers one question against a knowledge base in the store (--data), exactly as POST /v1/ask
would: an answer with its confidence, a "did you mean" choice, or a handoff with its reason (the
handoff is stored and listed like one from the API). The store must not be held by a running
jieda serve; ask the server with curl instead.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.load(cmd, map[string]string{"model-dir": "embed.model_dir"}); err != nil {
				return err
			}
			busy := "ask it with curl -d '{\"kb\":...,\"question\":...}' …/v1/ask"
			return a.withSystem(cmd.Context(), systemOptions{busyHint: busy}, func(ctx context.Context, sys *system) error {
				req := answer.AskRequest{KB: kb, Question: args[0], Locale: locale}
				if conversation != "" {
					req.Conversation = &answer.Conversation{ID: conversation}
				}
				resp, err := sys.engine.Ask(ctx, req)
				if err != nil {
					return err
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					enc.SetEscapeHTML(false)
					return enc.Encode(resp)
				}
				printAskResponse(a, resp)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&kb, "kb", "youxuan", "knowledge base name")
	cmd.Flags().StringVar(&locale, "locale", "", "the customer's locale (zh-CN, zh-TW, en)")
	cmd.Flags().StringVar(&conversation, "conversation", "", "conversation id: earlier turns of it give a follow-up its context")
	cmd.Flags().String("model-dir", "", "model directory (embed.model_dir)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the response as JSON")
	return cmd
}

func printAskResponse(a *app, r *answer.AskResponse) {
	w := a.stdout
	switch r.Decision {
	case answer.DecisionAnswer:
		fmt.Fprintf(w, "answer (confidence %.2f) — %s: %s\n\n%s\n", r.Confidence, r.Answer.ArticleID, r.Answer.Question, r.Answer.Answer)
	case answer.DecisionClarify:
		fmt.Fprintf(w, "clarify (confidence %.2f) — %s\n", r.Confidence, r.ClarifyPrompt)
		for i, o := range r.Clarify {
			fmt.Fprintf(w, "  %d. %s (%s)\n", i+1, o.Question, o.ArticleID)
		}
	default:
		fmt.Fprintf(w, "handoff %s — reason %s (confidence %.2f)\n", r.Handoff.ID, r.Handoff.Reason, r.Confidence)
	}
	if r.Context != nil && r.Context.Used {
		fmt.Fprintf(w, "(read with the previous question: %s)\n", strings.TrimSpace(r.Context.PreviousQuestion))
	}
	fmt.Fprintf(w, "answer_id %s\n", r.AnswerID)
}
