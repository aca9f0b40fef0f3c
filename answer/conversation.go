package answer

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// ConversationsCollection holds the recent turns of each conversation.
const ConversationsCollection = "conversations"

// MaxTurns is how many turns of a conversation are kept and used.
const MaxTurns = 20

// Conversation is the context a question arrives with.
type Conversation struct {
	// ID names the conversation; turns of known ids are remembered, per
	// owner (ConversationRef). A conversation given without id or turns
	// gets one issued (NewConversationID), returned in the reply.
	ID string `json:"id,omitempty"`
	// Turns, when given, are the earlier turns (oldest first) and replace
	// what is remembered.
	Turns []Turn `json:"turns,omitempty"`
}

// ConversationStore remembers conversations' turns in the store.
type ConversationStore struct{ store index.Store }

// NewConversationStore creates the collection when it is missing.
func NewConversationStore(ctx context.Context, store index.Store) (*ConversationStore, error) {
	if err := index.Ensure(ctx, store, index.CollectionConfig{Name: ConversationsCollection, Sparse: true}, map[string]index.FieldType{"kb": index.FieldKeyword}); err != nil {
		return nil, err
	}
	return &ConversationStore{store: store}, nil
}

// ConversationRef names one remembered conversation: its KB, its owner
// and the id the client gave or jieda issued. Owner is who started it
// (ConversationOwner): the same id from another owner is another
// conversation, so no one reads or steers someone else's turns.
type ConversationRef struct{ KB, Owner, ID string }

// ConversationOwner is the owner of the conversations one caller starts:
// the API key's id (AskRequest.Principal) and the customer's id, when
// given. Callers inside the process (the CLI, channels) may have no key.
func ConversationOwner(principal string, c *Customer) string {
	if c == nil || c.ID == "" {
		return principal
	}
	return principal + "\x00" + c.ID
}

// IssuedConversationPrefix starts the conversation ids jieda issues.
const IssuedConversationPrefix = "cv-"

// NewConversationID is an unguessable conversation id, issued when a
// client starts a conversation without one.
func NewConversationID() string { return IssuedConversationPrefix + uuid.NewString() }

// pointID is the conversation's point: the owner's conversations with
// this id (without an owner, the id's point of old).
func (r ConversationRef) pointID() string {
	key := "conversation\x00" + r.KB + "\x00" + r.ID
	if r.Owner != "" {
		key = "conversation\x00" + r.KB + "\x00" + r.Owner + "\x00" + r.ID
	}
	return uuid.NewSHA1(pointNamespace, []byte(key)).String()
}

// Turns returns the remembered turns of a conversation (none when unknown).
func (c *ConversationStore) Turns(ctx context.Context, ref ConversationRef) ([]Turn, error) {
	recs, err := c.store.Get(ctx, ConversationsCollection, []string{ref.pointID()}, index.With{Payload: true})
	if err != nil {
		return nil, fmt.Errorf("reading conversation %s: %w", ref.ID, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	var turns []Turn
	js, _ := recs[0].Payload["turns"].(string)
	if err := json.Unmarshal([]byte(js), &turns); err != nil {
		return nil, fmt.Errorf("decoding conversation %s: %w", ref.ID, err)
	}
	return turns, nil
}

// Save stores a conversation's turns, keeping the last MaxTurns.
func (c *ConversationStore) Save(ctx context.Context, ref ConversationRef, turns []Turn) error {
	if len(turns) > MaxTurns {
		turns = turns[len(turns)-MaxTurns:]
	}
	js, err := json.Marshal(turns)
	if err != nil {
		return fmt.Errorf("encoding conversation: %w", err)
	}
	p := index.Point{ID: ref.pointID(), Payload: index.Payload{
		"kb": ref.KB, "conversation_id": ref.ID, "turns": string(js), "updated_at": time.Now().UTC().Format(time.RFC3339)}}
	if err := c.store.Upsert(ctx, ConversationsCollection, []index.Point{p}); err != nil {
		return fmt.Errorf("saving conversation %s: %w", ref.ID, err)
	}
	return nil
}

// validateConversation checks a conversation from a request.
func validateConversation(c *Conversation, maxRunes int) error {
	if c == nil {
		return nil
	}
	if c.ID != "" {
		if err := ValidateID(c.ID); err != nil {
			return fmt.Errorf("conversation id: %w", err)
		}
	}
	if len(c.Turns) > MaxTurns*5 {
		return fmt.Errorf("conversation has %d turns; at most %d are accepted", len(c.Turns), MaxTurns*5)
	}
	for i, t := range c.Turns {
		switch t.Role {
		case "customer", "bot", "agent":
		default:
			return fmt.Errorf("turn %d: role %q must be customer, bot or agent", i, t.Role)
		}
		if !utf8.ValidString(t.Text) {
			return fmt.Errorf("turn %d: text is not valid UTF-8", i)
		}
		if utf8.RuneCountInString(t.Text) > 10*maxRunes {
			return fmt.Errorf("turn %d: text is longer than %d characters", i, 10*maxRunes)
		}
	}
	return nil
}

// lastCustomerQuestion is the latest customer turn's text.
func lastCustomerQuestion(turns []Turn) string {
	for i := len(turns) - 1; i >= 0; i-- {
		if turns[i].Role == "customer" && strings.TrimSpace(turns[i].Text) != "" {
			return turns[i].Text
		}
	}
	return ""
}

// lastBotClarified reports whether the bot's latest turn was a clarify.
func lastBotClarified(turns []Turn) bool {
	for i := len(turns) - 1; i >= 0; i-- {
		if turns[i].Role == "bot" {
			return turns[i].Decision == DecisionClarify
		}
	}
	return false
}

// Follow-up markers on normalized text: "那运费呢", "还有…", "and for
// Hong Kong?", "what about returns".
var (
	followUpStart = regexp.MustCompile(`^(那|那么|那如果|如果是|还有|另外|再问|换成|改成|要是|and\b|what about\b|how about\b|what if\b|also\b|and for\b|and if\b|same for\b|for\b)`)
	followUpEnd   = regexp.MustCompile(`(呢|呢\?|呢？|也是吗|也可以吗|也行吗)$`)
)

// isFollowUp reports whether a normalized question reads as a follow-up
// that needs the previous turn: short, or opening/closing like one.
func isFollowUp(norm string) bool {
	n := utf8.RuneCountInString(norm)
	if n == 0 {
		return false
	}
	if followUpStart.MatchString(norm) || followUpEnd.MatchString(strings.TrimRight(norm, "?？!！ ")) || followUpEnd.MatchString(norm) {
		return true
	}
	latin := strings.ContainsFunc(norm, isLatinLetter)
	if latin {
		return len(strings.Fields(norm)) <= 3
	}
	return n <= 5
}
