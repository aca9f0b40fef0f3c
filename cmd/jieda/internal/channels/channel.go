package channels

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/jieda/jieda/answer"
)

// Kind is one kind of channel: a help desk or messaging service that
// brings customers' messages to jieda and carries jieda's replies back.
// The Service owns everything else (the registry, the flow from a message
// to an answer, deduplication, the durable outbox and its retries), so a
// kind is only the service's wire format, in four methods.
//
// Chatwoot's agent bot is the kind built (package chatwoot). WeChat
// customer service (企业微信客服) fits the same shape: its message callback
// (a msg_signature over token, timestamp and nonce, an encrypted body,
// then kf/sync_msg to pull the messages it announces) is Receive;
// kf/send_msg is Send (it has no private notes: such a kind sends them to
// the agents another way or drops them, and says so in its doc);
// kf/service_state/trans to state 2 or 3 (a human agent's queue) is
// Transfer; and a session's service_state tells Receive whether the bot
// owns it (Event.Act).
type Kind interface {
	// Name is the kind's name in channel records and the admin API ("chatwoot").
	Name() string
	// Settings validates the kind's settings as the admin API receives
	// them (the whole PUT body; name, kind and kb are the Service's) and
	// returns what to store, secrets included.
	Settings(raw json.RawMessage) (json.RawMessage, error)
	// Public is what the admin API shows of stored settings: everything
	// but the secrets (has_<secret> booleans instead).
	Public(settings json.RawMessage) map[string]any
	// Receive authenticates one callback of the service (ErrBadSignature,
	// ErrStaleSignature) and reads it into events (ErrInvalidPayload). It
	// must be quick: the service waits for the answer (Chatwoot: 5s).
	Receive(ctx context.Context, ch Channel, req Request) (Receipt, error)
	// Send posts m into conversation: to the customer, or, when
	// m.Private, to the agents only. A failure the Service should not
	// retry is a *DeliveryError with Permanent set.
	Send(ctx context.Context, ch Channel, conversation string, m Message) error
	// Transfer hands conversation to human agents (Chatwoot: it opens
	// the pending conversation). Errors as for Send.
	Transfer(ctx context.Context, ch Channel, conversation string) error
}

// Request is one callback as the HTTP edge received it.
type Request struct {
	Method string
	Header http.Header
	Query  url.Values
	Body   []byte
	// Now is when it arrived (signature freshness).
	Now time.Time
}

// Receipt is what a Kind read from a callback.
type Receipt struct {
	// Delivery is the callback's delivery id (Chatwoot's
	// X-Chatwoot-Delivery, the same on the service's retries); "" when
	// the service sends none. A delivery seen before is acknowledged and
	// dropped.
	Delivery string
	// Events are what the callback carries, in order.
	Events []Event
	// Ignored says why a callback carries nothing to record or act on
	// (an event the channel does not use).
	Ignored string
}

// EventType is what happened in a conversation.
type EventType string

// Event types.
const (
	// EventMessage is a message in a conversation: the customer's (to
	// answer when Act), an agent's or the bot's own (recorded for curation).
	EventMessage EventType = "message"
	// EventResolved is the conversation resolved by an agent: its
	// exchange since the handoff feeds curation.
	EventResolved EventType = "resolved"
)

// Event is one thing that happened in a channel's conversation.
type Event struct {
	Type EventType `json:"type"`
	// Key is unique per event in the channel ("message:1234"): a second
	// event with the same key is a duplicate.
	Key string `json:"key"`
	// Conversation is the service's conversation id.
	Conversation string `json:"conversation"`
	// MessageID is the service's message id (messages).
	MessageID string `json:"message_id,omitempty"`
	// Role is answer.RoleCustomer, answer.RoleAgent or answer.RoleBot.
	Role string `json:"role,omitempty"`
	// Text is the message's text ("" for an attachment alone).
	Text string `json:"text,omitempty"`
	// Sender names the sender (agents: curation credits them).
	Sender string    `json:"sender,omitempty"`
	At     time.Time `json:"at,omitzero"`
	// Act is set on a customer's message in a conversation the bot owns
	// now (Chatwoot: pending): jieda answers it. Other messages are only
	// recorded.
	Act bool `json:"act,omitempty"`
	// Customer is who wrote a customer message, as the service knows them.
	Customer answer.Customer `json:"customer,omitzero"`
	// Locale is the customer's language when the service knows it.
	Locale string `json:"locale,omitempty"`
}

// Message is what jieda sends into a conversation.
type Message struct {
	Text string `json:"text"`
	// Private: a note for the agents, never shown to the customer.
	Private bool `json:"private,omitempty"`
}

// DeliveryError is a failed call to a channel's service.
type DeliveryError struct {
	// Status is the HTTP status, 0 for a network error.
	Status int
	// Permanent: retrying cannot help (a bad token, an unknown
	// conversation); the job fails at once.
	Permanent bool
	Err       error
}

func (e *DeliveryError) Error() string { return e.Err.Error() }

func (e *DeliveryError) Unwrap() error { return e.Err }
