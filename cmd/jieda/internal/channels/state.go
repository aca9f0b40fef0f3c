package channels

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/index"
)

// ConversationsCollection holds what jieda remembers of each channel
// conversation between two resolutions: its messages (for curation), the
// clarify options offered, the handoff made.
const ConversationsCollection = "channel_conversations"

// MaxTranscript is how many messages of a conversation are remembered.
const MaxTranscript = 200

// convState is one conversation's memory. Jobs of a conversation run one
// at a time, so reading, changing and saving it needs no lock.
type convState struct {
	Channel      string  `json:"channel"`
	Conversation string  `json:"conversation"`
	Messages     []Event `json:"messages,omitempty"`
	// Clarify are the options of jieda's last clarify, until the next
	// customer message (a number picks one).
	Clarify []answer.ClarifyOption `json:"clarify,omitempty"`
	// HandoffID is jieda's handoff of the conversation; HandoffFrom the
	// index in Messages of the message handed off.
	HandoffID   string `json:"handoff_id,omitempty"`
	HandoffFrom int    `json:"handoff_from,omitempty"`
	// HandoffResolved: resolving HandoffID is done (a resolution retried
	// after curation failed does not resolve it twice).
	HandoffResolved bool      `json:"handoff_resolved,omitempty"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func statePointID(channel, conversation string) string {
	return uuid.NewSHA1(namespace, []byte("conversation\x00"+channel+"\x00"+conversation)).String()
}

// record appends a message to the transcript, keeping the last MaxTranscript.
func (st *convState) record(ev Event) {
	ev.Act, ev.Key = false, ""
	st.Messages = append(st.Messages, ev)
	if over := len(st.Messages) - MaxTranscript; over > 0 {
		st.Messages = st.Messages[over:]
		st.HandoffFrom = max(0, st.HandoffFrom-over)
	}
}

func (s *Service) loadState(ctx context.Context, channel, conversation string) (convState, error) {
	recs, err := s.store.Get(ctx, ConversationsCollection, []string{statePointID(channel, conversation)}, index.With{Payload: true})
	if err != nil {
		return convState{}, fmt.Errorf("reading conversation state: %w", err)
	}
	if len(recs) == 0 {
		return convState{Channel: channel, Conversation: conversation}, nil
	}
	return index.DecodeDoc[convState](recs[0], index.DocKey)
}

func (s *Service) saveState(ctx context.Context, st convState) error {
	st.UpdatedAt = s.now().UTC()
	p, err := index.DocPayload(st, index.Payload{"channel": st.Channel, "updated_at": st.UpdatedAt.Format(time.RFC3339Nano)})
	if err != nil {
		return err
	}
	if err := s.store.Upsert(ctx, ConversationsCollection, []index.Point{{ID: statePointID(st.Channel, st.Conversation), Payload: p}}); err != nil {
		return fmt.Errorf("saving conversation state: %w", err)
	}
	return nil
}

func (s *Service) dropState(ctx context.Context, st convState) error {
	if err := s.store.Delete(ctx, ConversationsCollection, []string{statePointID(st.Channel, st.Conversation)}); err != nil {
		return fmt.Errorf("clearing conversation state: %w", err)
	}
	return nil
}

// ConversationID is jieda's conversation id for a channel's conversation
// (answer's conversation turns and handoffs carry it): "ch.<channel>.<id>",
// the id hashed when it is not an id answer accepts.
func ConversationID(channel, conversation string) string {
	id := "ch." + channel + "." + conversation
	if answer.ValidateID(id) != nil {
		sum := sha256.Sum256([]byte(conversation))
		id = "ch." + channel + ".h" + hex.EncodeToString(sum[:12])
	}
	return id
}
