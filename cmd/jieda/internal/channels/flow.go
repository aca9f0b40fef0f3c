package channels

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jieda/jieda/answer"
)

// act decides what an event calls for: the steps to make in the
// conversation and, for a customer's message, what jieda decided.
func (s *Service) act(ctx context.Context, ch Channel, ev Event) ([]Step, *Outcome, error) {
	switch ev.Type {
	case EventMessage:
		return s.onMessage(ctx, ch, ev)
	case EventResolved:
		return nil, nil, s.onResolved(ctx, ch, ev)
	}
	return nil, nil, nil
}

// handoffMessage is what the customer reads when jieda hands them over:
// the channel's own text, else jieda's in their language.
func handoffMessage(ch Channel, l lang) string {
	if m := strings.TrimSpace(ch.HandoffMessage); m != "" {
		return m
	}
	return texts[l]["handoff"]
}

// onMessage records a message and, when the bot owns the conversation,
// answers a customer's: the answer; the clarify options as a numbered
// message (a number or an option's text next time picks one); or the
// handoff: a private note for the agents (reason, confidence, jieda's
// suggestions), the handoff message, and the transfer to humans.
func (s *Service) onMessage(ctx context.Context, ch Channel, ev Event) ([]Step, *Outcome, error) {
	st, err := s.loadState(ctx, ch.Name, ev.Conversation)
	if err != nil {
		return nil, nil, err
	}
	st.record(ev)
	if !ev.Act {
		return nil, nil, s.saveState(ctx, st)
	}
	text := strings.TrimSpace(ev.Text)
	l := langOf(ev.Locale, text)
	out := &Outcome{}
	question := text
	if len(st.Clarify) > 0 {
		if i := pickOption(text, st.Clarify); i >= 0 {
			question, out.Choice = st.Clarify[i].Question, i+1
		}
		st.Clarify = nil
	}
	var resp *answer.AskResponse
	if text != "" {
		req := answer.AskRequest{KB: ch.KB, Question: question, Locale: ev.Locale,
			Conversation: &answer.Conversation{ID: ConversationID(ch.Name, ev.Conversation)}}
		if ev.Customer != (answer.Customer{}) {
			req.Customer = &ev.Customer
		}
		resp, err = s.engine.Ask(ctx, req)
	}
	var steps []Step
	switch {
	case text == "":
		out.Decision = string(answer.DecisionHandoff)
		steps = []Step{{Op: opNote, Text: texts[l]["note_unreadable"]}, {Op: opSend, Text: handoffMessage(ch, l)}, {Op: opTransfer}}
	case errors.Is(err, answer.ErrEmptyQuery) || errors.Is(err, answer.ErrInvalidQuestion) || errors.Is(err, answer.ErrQuestionTooLong):
		// Nothing a retry could change: the agents take it.
		out.Decision = string(answer.DecisionHandoff)
		steps = []Step{{Op: opNote, Text: texts[l]["note_invalid"] + ": " + err.Error()}, {Op: opSend, Text: handoffMessage(ch, l)}, {Op: opTransfer}}
	case err != nil:
		return nil, nil, err
	default:
		out.Decision, out.AnswerID = string(resp.Decision), resp.AnswerID
		switch resp.Decision {
		case answer.DecisionAnswer:
			steps = []Step{{Op: opSend, Text: resp.Answer.Answer}}
		case answer.DecisionClarify:
			st.Clarify = resp.Clarify
			steps = []Step{{Op: opSend, Text: clarifyText(resp.ClarifyPrompt, resp.Clarify, l)}}
		case answer.DecisionHandoff:
			out.HandoffID = resp.Handoff.ID
			st.HandoffID, st.HandoffFrom, st.HandoffResolved = resp.Handoff.ID, len(st.Messages)-1, false
			note, err := s.note(ctx, ch, resp.Handoff.ID, l)
			if err != nil {
				return nil, nil, err
			}
			steps = []Step{{Op: opNote, Text: note}, {Op: opSend, Text: handoffMessage(ch, l)}, {Op: opTransfer}}
		default:
			return nil, nil, fmt.Errorf("unknown decision %q", resp.Decision)
		}
	}
	return steps, out, s.saveState(ctx, st)
}

// note is the agents' private note of handoff id: the packet's reason,
// confidence and question, and its top three articles with their answers.
func (s *Service) note(ctx context.Context, ch Channel, id string, l lang) (string, error) {
	h, err := s.engine.Handoffs.Get(ctx, id)
	if err != nil {
		return "", err
	}
	var sugg []suggestion
	for _, c := range h.Candidates[:min(3, len(h.Candidates))] {
		art, err := s.engine.Library.Article(ctx, ch.KB, c.ArticleID)
		if errors.Is(err, answer.ErrArticleNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		sugg = append(sugg, suggestion{Question: art.Question, Answer: art.Answer, Score: c.Score})
	}
	return handoffNote(h, sugg, l), nil
}
