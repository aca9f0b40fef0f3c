package intake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SourceChatwoot is the Source ParseChatwoot sets.
const SourceChatwoot = "chatwoot"

// Chatwoot webhook payloads, only the fields ParseChatwoot reads.
type (
	cwPayload struct {
		Event string `json:"event"`
		cwConversation
		// Conversation holds the conversation when a relay nests it
		// ({"event": "conversation_resolved", "conversation": {…}}).
		Conversation *cwConversation `json:"conversation"`
	}
	cwConversation struct {
		ID               json.RawMessage `json:"id"`
		Status           string          `json:"status"`
		Messages         []cwMessage     `json:"messages"`
		Meta             cwMeta          `json:"meta"`
		CustomAttributes map[string]any  `json:"custom_attributes"`
		UpdatedAt        json.RawMessage `json:"updated_at"`
		Timestamp        json.RawMessage `json:"timestamp"`
	}
	cwMeta struct {
		Sender   *cwSender `json:"sender"`
		Assignee *cwSender `json:"assignee"`
	}
	cwSender struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	cwMessage struct {
		Content     *string         `json:"content"`
		MessageType json.RawMessage `json:"message_type"`
		ContentType string          `json:"content_type"`
		Private     bool            `json:"private"`
		SenderType  string          `json:"sender_type"`
		Sender      *cwSender       `json:"sender"`
		CreatedAt   json.RawMessage `json:"created_at"`
	}
)

// ParseChatwoot turns a Chatwoot webhook event about a resolved
// conversation into a Resolved.
//
// It accepts the conversation_status_changed event with status "resolved",
// and "conversation_resolved" (or event-less) payloads that carry a
// resolved conversation, at the top level as Chatwoot sends it or nested
// under "conversation". Any other event or status returns ErrNotResolved.
//
// Chatwoot's own conversation events carry only the conversation's last
// message in "messages"; a relay that wants the whole exchange fetches the
// conversation's messages from the Chatwoot API and sends them in
// "messages" (as a conversation_resolved payload). ParseChatwoot reads
// whatever is there, in created_at order:
//
//   - customer messages are incoming ones (message_type 0 or "incoming")
//     from a contact; agent messages are outgoing ones (1 or "outgoing")
//     from a human user, not private notes, not activity (2) or template
//     (3) messages, not bot or automated (sender-less) messages, and only
//     text content;
//   - a message is substantive when Gate would keep it as a reply;
//   - Question is the customer's substantive messages before the agent's
//     first substantive reply, joined by new lines;
//   - Reply is the agent's last substantive message, with the substantive
//     agent messages sent just before it in the same turn, joined by new
//     lines; Agent is its sender (else the assignee).
//
// Without both, it returns ErrNoExchange. Ticket is the conversation id,
// Source is SourceChatwoot (callers with several Chatwoot accounts set
// their own), ResolvedAt the conversation's updated_at (else its
// timestamp, else the reply's time), and Reusable is read from a boolean
// custom attribute "reusable". A body that is not valid JSON of this shape
// wraps ErrInvalidPayload.
func ParseChatwoot(body []byte) (Resolved, error) {
	if !utf8.Valid(body) {
		return Resolved{}, fmt.Errorf("%w: invalid UTF-8", ErrInvalidPayload)
	}
	var p cwPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return Resolved{}, fmt.Errorf("%w: %w", ErrInvalidPayload, err)
	}
	conv := p.cwConversation
	if p.Conversation != nil && len(conv.Messages) == 0 {
		conv = *p.Conversation
	}
	switch p.Event {
	case "conversation_status_changed", "conversation_resolved", "":
		if conv.Status != "resolved" && (p.Event != "conversation_resolved" || conv.Status != "") {
			return Resolved{}, fmt.Errorf("%w: event %q, status %q", ErrNotResolved, p.Event, conv.Status)
		}
	default:
		return Resolved{}, fmt.Errorf("%w: event %q", ErrNotResolved, p.Event)
	}

	msgs, err := cwExchange(conv.Messages)
	if err != nil {
		return Resolved{}, err
	}
	isAnswer := func(m cwMsg) bool { return m.agent && m.substantive }
	first, last := slices.IndexFunc(msgs, isAnswer), -1
	for i := len(msgs) - 1; i >= 0 && last < 0; i-- {
		if isAnswer(msgs[i]) {
			last = i
		}
	}
	if first < 0 {
		return Resolved{}, fmt.Errorf("%w: no substantive agent reply", ErrNoExchange)
	}
	var question []string
	for _, m := range msgs[:first] {
		if !m.agent && m.substantive {
			question = append(question, m.text)
		}
	}
	if len(question) == 0 {
		return Resolved{}, fmt.Errorf("%w: no customer question before the agent's first substantive reply", ErrNoExchange)
	}
	begin := last
	for begin > first && msgs[begin-1].agent && msgs[begin-1].substantive {
		begin--
	}
	var reply []string
	for _, m := range msgs[begin : last+1] {
		reply = append(reply, m.text)
	}

	item := Resolved{
		Question: strings.Join(question, "\n"),
		Reply:    strings.Join(reply, "\n"),
		Agent:    msgs[last].name,
		Source:   SourceChatwoot,
	}
	if item.Agent == "" && conv.Meta.Assignee != nil {
		item.Agent = strings.TrimSpace(conv.Meta.Assignee.Name)
	}
	if item.Ticket, err = ticketJSON(conv.ID); err != nil {
		return Resolved{}, fmt.Errorf("%w: conversation id: %s", ErrInvalidPayload, conv.ID)
	}
	for _, raw := range []json.RawMessage{conv.UpdatedAt, conv.Timestamp} {
		if t, ok := cwTime(raw); ok {
			item.ResolvedAt = t
			break
		}
	}
	if item.ResolvedAt.IsZero() {
		item.ResolvedAt = msgs[last].at
	}
	if v, ok := conv.CustomAttributes["reusable"].(bool); ok {
		item.Reusable = &v
	}
	if err := item.Validate(); err != nil {
		return Resolved{}, err
	}
	return item, nil
}

// cwMsg is one usable message of the exchange.
type cwMsg struct {
	agent       bool // else the customer
	substantive bool
	text, name  string
	at          time.Time
}

// cwExchange keeps the customer and human agent text messages, in
// created_at order (ties keep payload order).
func cwExchange(in []cwMessage) ([]cwMsg, error) {
	var out []cwMsg
	for i, m := range in {
		if m.Content == nil || m.Private {
			continue
		}
		text := strings.TrimSpace(*m.Content)
		if text == "" || (m.ContentType != "" && m.ContentType != "text") {
			continue
		}
		kind, err := cwMessageType(m.MessageType)
		if err != nil {
			return nil, fmt.Errorf("%w: messages[%d]: %w", ErrInvalidPayload, i, err)
		}
		sender := strings.ToLower(m.SenderType)
		name := ""
		if m.Sender != nil {
			name = strings.TrimSpace(m.Sender.Name)
			if sender == "" {
				sender = strings.ToLower(m.Sender.Type)
			}
		}
		var agent bool
		switch {
		case kind == "incoming" && (sender == "contact" || sender == ""):
			agent = false
		case kind == "outgoing" && sender == "user":
			agent = true
		default: // activity, template, bot, automated or odd messages
			continue
		}
		at, _ := cwTime(m.CreatedAt)
		out = append(out, cwMsg{agent: agent, text: text, name: name, at: at, substantive: classify(text) == ""})
	}
	slices.SortStableFunc(out, func(a, b cwMsg) int { return a.at.Compare(b.at) })
	return out, nil
}

// cwMessageType reads message_type as Chatwoot sends it: 0..3 in
// conversation events, "incoming"/"outgoing"/"activity"/"template" in
// message events.
func cwMessageType(raw json.RawMessage) (string, error) {
	names := []string{"incoming", "outgoing", "activity", "template"}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("message_type: %w", err)
		}
		return strings.ToLower(s), nil
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil || n < 0 || n >= len(names) {
		return "", fmt.Errorf("message_type: %s is not 0..3 or a type name", raw)
	}
	return names[n], nil
}

// cwTime reads a Chatwoot time: unix seconds (integer or fractional) or a
// datetime string ("2024-05-01T10:00:00.000Z", "2024-05-01 10:00:00 UTC").
func cwTime(raw json.RawMessage) (time.Time, bool) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
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
	return unixTime(f), true
}
