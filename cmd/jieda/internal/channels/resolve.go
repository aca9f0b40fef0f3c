package channels

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/curate/intake"
)

// onResolved feeds a resolved conversation to curation and forgets it.
//
// The exchange is paired from the conversation's messages since jieda's
// handoff (all of them without one) by the intake's conversation pairing
// (intake.ParseChatwoot): the customer's substantive messages before the
// agent's first substantive reply are the question, the agent's last
// substantive reply (with the turn's messages before it) the answer. An
// open jieda handoff of the conversation is resolved with that reply, so
// the console's queue and the KB's webhook see the resolution, and the
// item carries the handoff for the review queue's impact. A handoff an
// agent already resolved in jieda was curated then: nothing more is taken.
func (s *Service) onResolved(ctx context.Context, ch Channel, ev Event) error {
	st, err := s.loadState(ctx, ch.Name, ev.Conversation)
	if err != nil {
		return err
	}
	msgs := st.Messages
	if st.HandoffID != "" && st.HandoffFrom < len(msgs) {
		msgs = msgs[st.HandoffFrom:]
	}
	log := s.logger.With("channel", ch.Name, "conversation", ev.Conversation)
	item, err := pairExchange(ev.Conversation, msgs)
	if err != nil {
		log.Info("resolved conversation not curated", "reason", err)
		return s.dropState(ctx, st)
	}
	at := ev.At
	if at.IsZero() {
		at = s.now()
	}
	item.Source, item.Ticket, item.ResolvedAt = ch.Name, ev.Conversation+"@"+strconv.FormatInt(at.Unix(), 10), at.UTC()
	src := curate.Source{Name: ch.Name}
	if st.HandoffID != "" {
		if !st.HandoffResolved {
			_, err := s.engine.ResolveHandoff(ctx, st.HandoffID, answer.Resolution{Reply: item.Reply, Agent: item.Agent})
			switch {
			case errors.Is(err, answer.ErrHandoffResolved):
				log.Info("handoff already resolved in jieda; its reply was curated then", "handoff", st.HandoffID)
				return s.dropState(ctx, st)
			case errors.Is(err, answer.ErrHandoffNotFound):
				st.HandoffID = ""
			case err != nil:
				return err
			}
			st.HandoffResolved = true
			if err := s.saveState(ctx, st); err != nil {
				return err
			}
		}
		src.HandoffID = st.HandoffID
	}
	rep, err := s.curator.Intake(ctx, ch.KB, []intake.Resolved{item}, src)
	if err != nil {
		return err
	}
	log.Info("resolved conversation curated", "candidates", rep.Candidates, "dropped", rep.Dropped, "duplicates", rep.Duplicates, "handoff", st.HandoffID)
	return s.dropState(ctx, st)
}

// pairExchange pairs a transcript's question and reply with the intake's
// conversation pairing, its messages written as a resolved Chatwoot
// conversation (customer: incoming from a contact; agent: outgoing from a
// user; jieda: outgoing from an agent bot, which the pairing skips).
func pairExchange(conversation string, msgs []Event) (intake.Resolved, error) {
	type sender struct {
		Name string `json:"name,omitempty"`
		Type string `json:"type"`
	}
	type message struct {
		Content     string `json:"content"`
		MessageType string `json:"message_type"`
		Sender      sender `json:"sender"`
		CreatedAt   string `json:"created_at,omitempty"`
	}
	out := make([]message, 0, len(msgs))
	for _, m := range msgs {
		cm := message{Content: m.Text, Sender: sender{Name: m.Sender}}
		switch m.Role {
		case answer.RoleCustomer:
			cm.MessageType, cm.Sender.Type = "incoming", "contact"
		case answer.RoleAgent:
			cm.MessageType, cm.Sender.Type = "outgoing", "user"
		default:
			cm.MessageType, cm.Sender.Type = "outgoing", "agent_bot"
		}
		if !m.At.IsZero() {
			cm.CreatedAt = m.At.UTC().Format(time.RFC3339Nano)
		}
		out = append(out, cm)
	}
	body, err := json.Marshal(map[string]any{
		"event":        "conversation_resolved",
		"conversation": map[string]any{"id": conversation, "status": "resolved", "messages": out},
	})
	if err != nil {
		return intake.Resolved{}, err
	}
	return intake.ParseChatwoot(body)
}
