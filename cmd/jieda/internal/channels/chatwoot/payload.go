package chatwoot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/channels"
)

// Webhook bodies as Chatwoot sends them to an agent bot, only the fields
// jieda reads. A message event is Message#webhook_data
// (app/models/message.rb) with "event"; a conversation event is the
// conversation's push data (app/presenters/conversations/
// event_data_presenter.rb) with "event", at the top level.
type (
	webhook struct {
		Event string `json:"event"`
		// ID is the message's id (message events) or the conversation's
		// display id (conversation events).
		ID          json.RawMessage `json:"id"`
		Content     *string         `json:"content"`
		MessageType json.RawMessage `json:"message_type"`
		ContentType string          `json:"content_type"`
		Private     bool            `json:"private"`
		CreatedAt   json.RawMessage `json:"created_at"`
		Sender      *sender         `json:"sender"`
		// Conversation is the message's conversation (message events).
		Conversation *conversation `json:"conversation"`
		// Status, UpdatedAt and Timestamp are the conversation's
		// (conversation events).
		Status    string          `json:"status"`
		UpdatedAt json.RawMessage `json:"updated_at"`
		Timestamp json.RawMessage `json:"timestamp"`
	}
	conversation struct {
		ID                   json.RawMessage `json:"id"`
		Status               string          `json:"status"`
		AdditionalAttributes map[string]any  `json:"additional_attributes"`
	}
	// sender is a Contact, User or AgentBot's webhook_data ("type":
	// "contact", "user", "agent_bot").
	sender struct {
		ID               json.RawMessage `json:"id"`
		Name             string          `json:"name"`
		Type             string          `json:"type"`
		CustomAttributes map[string]any  `json:"custom_attributes"`
	}
)

// messageTypes are Message's message_type enum (incoming: 0, outgoing: 1,
// activity: 2, template: 3); webhook_data sends the name.
var messageTypes = []string{"incoming", "outgoing", "activity", "template"}

var digits = regexp.MustCompile(`^[0-9]{1,18}$`)

// parse reads a webhook body into channel events; ignored says why a
// body carries nothing jieda uses.
func parse(body []byte) (events []channels.Event, ignored string, err error) {
	var w webhook
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, "", fmt.Errorf("%w: %w", channels.ErrInvalidPayload, err)
	}
	switch w.Event {
	case "message_created":
		ev, ignored, err := w.message()
		if err != nil || ignored != "" {
			return nil, ignored, err
		}
		return []channels.Event{ev}, "", nil
	case "conversation_resolved", "conversation_status_changed":
		if w.Status != "resolved" {
			return nil, fmt.Sprintf("%s to %q", w.Event, w.Status), nil
		}
		conv, err := idOf(w.ID)
		if err != nil {
			return nil, "", fmt.Errorf("%w: conversation id: %w", channels.ErrInvalidPayload, err)
		}
		// Both events come from the same status change: one key for both.
		stamp := strings.TrimSpace(string(w.UpdatedAt))
		if stamp == "" || stamp == "null" {
			stamp = strings.TrimSpace(string(w.Timestamp))
		}
		at, _ := chatwootTime(w.UpdatedAt)
		return []channels.Event{{Type: channels.EventResolved, Key: "resolved:" + conv + ":" + stamp, Conversation: conv, At: at}}, "", nil
	case "":
		return nil, "", fmt.Errorf("%w: no event", channels.ErrInvalidPayload)
	}
	return nil, "event " + w.Event, nil
}

// message reads a message_created event.
func (w *webhook) message() (channels.Event, string, error) {
	if w.Conversation == nil {
		return channels.Event{}, "", fmt.Errorf("%w: a message without its conversation", channels.ErrInvalidPayload)
	}
	id, err := idOf(w.ID)
	if err != nil {
		return channels.Event{}, "", fmt.Errorf("%w: message id: %w", channels.ErrInvalidPayload, err)
	}
	conv, err := idOf(w.Conversation.ID)
	if err != nil {
		return channels.Event{}, "", fmt.Errorf("%w: conversation id: %w", channels.ErrInvalidPayload, err)
	}
	kind, err := messageType(w.MessageType)
	if err != nil {
		return channels.Event{}, "", fmt.Errorf("%w: %w", channels.ErrInvalidPayload, err)
	}
	if w.Private {
		return channels.Event{}, "a private note", nil
	}
	ev := channels.Event{Type: channels.EventMessage, Key: "message:" + id, Conversation: conv, MessageID: id}
	if w.Content != nil {
		ev.Text = strings.TrimSpace(*w.Content)
	}
	ev.At, _ = chatwootTime(w.CreatedAt)
	stype := ""
	if w.Sender != nil {
		ev.Sender, stype = strings.TrimSpace(w.Sender.Name), w.Sender.Type
	}
	switch {
	case kind == "incoming":
		ev.Role = answer.RoleCustomer
		ev.Act = w.Conversation.Status == "pending"
		if w.Sender != nil {
			ev.Customer.ID, _ = idOf(w.Sender.ID)
			ev.Customer.Tier, _ = w.Sender.CustomAttributes["tier"].(string)
		}
		ev.Locale, _ = w.Conversation.AdditionalAttributes["browser_language"].(string)
	case kind == "outgoing" && stype == "user":
		ev.Role = answer.RoleAgent
	case kind == "outgoing" || kind == "template":
		ev.Role = answer.RoleBot // this bot, another bot, an automation
	default:
		return channels.Event{}, "an " + kind + " message", nil
	}
	return ev, "", nil
}

// idOf reads a Chatwoot id (a number, or a string of digits).
func idOf(raw json.RawMessage) (string, error) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if !digits.MatchString(s) {
		return "", fmt.Errorf("%s is not an id", raw)
	}
	return s, nil
}

func messageType(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("message_type: %w", err)
		}
		return strings.ToLower(s), nil
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil || n < 0 || n >= len(messageTypes) {
		return "", fmt.Errorf("message_type %s is not one of %v", raw, messageTypes)
	}
	return messageTypes[n], nil
}

// chatwootTime reads a time as Chatwoot sends it: an ISO 8601 string
// (created_at of webhook_data) or unix seconds (the push data's).
func chatwootTime(raw json.RawMessage) (time.Time, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return time.Time{}, false
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f <= 0 || f > 1e11 {
		return time.Time{}, false
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
}
