package chatwoottest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// authorize is the bot's side of Api::V1::Accounts::BaseController: the
// token (access_token_auth_helper.rb), then the account
// (ensure_current_account_helper.rb), then the conversation (404).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) (*Conversation, bool) {
	if r.Header.Get("api_access_token") != s.opts.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "Invalid Access Token"})
		return nil, false
	}
	if r.PathValue("account_id") != strconv.FormatInt(s.opts.AccountID, 10) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "You are not authorized to access this account"})
		return nil, false
	}
	id, _ := strconv.ParseInt(r.PathValue("conversation_id"), 10, 64)
	c := s.conversations[id]
	if c == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "Resource could not be found"})
		return nil, false
	}
	return c, true
}

// createMessage is messages_controller.rb#create (Messages::MessageBuilder)
// for the bot: an outgoing message (a private note when private), answered
// with messages/create.json.jbuilder.
func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Content     *string `json:"content"`
		MessageType string  `json:"message_type"`
		Private     bool    `json:"private"`
		ContentType string  `json:"content_type"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": err.Error()})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.authorize(w, r)
	if !ok {
		return
	}
	if in.MessageType == "" {
		in.MessageType = "outgoing"
	}
	if in.MessageType != "outgoing" && in.MessageType != "incoming" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "Message type is not included in the list"})
		return
	}
	if in.Content == nil || *in.Content == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "Content can't be blank"})
		return
	}
	m := s.addLocked(c, Message{Content: *in.Content, MessageType: in.MessageType, Private: in.Private, SenderType: "agent_bot", SenderName: "jieda"})
	writeJSON(w, http.StatusOK, map[string]any{
		"id": m.ID, "content": m.Content, "inbox_id": inboxID, "conversation_id": c.ID,
		"message_type": messageTypeNumber(m.MessageType), "content_type": "text", "content_attributes": map[string]any{},
		"created_at": m.CreatedAt.Unix(), "private": m.Private, "sender": s.senderPush(c, m),
	})
}

// listMessages: a bot token may not read messages (BOT_ACCESSIBLE_ENDPOINTS).
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.authorize(w, r); !ok {
		return
	}
	writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "Access to this endpoint is not authorized for bots"})
}

// toggleStatus is conversations_controller.rb#toggle_status for the bot:
// pending → open is the bot handoff; answered with toggle_status.json.jbuilder.
func (s *Server) toggleStatus(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": err.Error()})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.authorize(w, r)
	if !ok {
		return
	}
	switch in.Status {
	case "open", "resolved", "pending", "snoozed":
		s.setStatusLocked(c, in.Status)
	case "":
		if c.Status == "open" {
			s.setStatusLocked(c, "resolved")
		} else {
			s.setStatusLocked(c, "open")
		}
	default:
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "'" + in.Status + "' is not a valid status"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{}, "payload": map[string]any{
		"success": true, "conversation_id": c.ID, "current_status": c.Status, "snoozed_until": nil,
	}})
}

const (
	inboxID   = 1
	contactID = 77
	agentID   = 3
	botID     = 9
)

func messageTypeNumber(t string) int {
	for i, n := range []string{"incoming", "outgoing", "activity", "template"} {
		if n == t {
			return i
		}
	}
	return 0
}

// messageData is Message#webhook_data (app/models/message.rb).
func (s *Server) messageData(c *Conversation, m Message) map[string]any {
	return map[string]any{
		"account":               map[string]any{"id": s.opts.AccountID, "name": "Test shop"},
		"additional_attributes": map[string]any{},
		"content_attributes":    map[string]any{},
		"content_type":          "text",
		"content":               m.Content,
		"conversation":          s.conversationData(c),
		"created_at":            m.CreatedAt.Format("2006-01-02T15:04:05.000Z"),
		"id":                    m.ID,
		"inbox":                 map[string]any{"id": inboxID, "name": "Website"},
		"message_type":          m.MessageType,
		"private":               m.Private,
		"sender":                s.senderWebhook(c, m),
		"source_id":             nil,
	}
}

// senderWebhook is the sender's webhook_data: Contact, User or AgentBot.
func (s *Server) senderWebhook(c *Conversation, m Message) map[string]any {
	switch m.SenderType {
	case "contact":
		return map[string]any{"id": contactID, "name": c.Contact, "type": "contact", "email": nil, "phone_number": nil,
			"identifier": nil, "thumbnail": "", "additional_attributes": map[string]any{}, "custom_attributes": map[string]any{}}
	case "user":
		return map[string]any{"id": agentID, "name": m.SenderName, "email": "agent@example.com", "type": "user"}
	default:
		return map[string]any{"id": botID, "name": m.SenderName, "type": "agent_bot"}
	}
}

// senderPush is the sender's push_event_data.
func (s *Server) senderPush(c *Conversation, m Message) map[string]any {
	p := s.senderWebhook(c, m)
	p["avatar_url"] = ""
	return p
}

// conversationData is the conversation's webhook_data, the presenter's
// push_data (app/presenters/conversations/event_data_presenter.rb): its
// "id" is the display id, "messages" the last chat message.
func (s *Server) conversationData(c *Conversation) map[string]any {
	var last []any
	for i := len(c.Messages) - 1; i >= 0; i-- {
		m := c.Messages[i]
		if m.Private || m.MessageType == "activity" {
			continue
		}
		last = append(last, map[string]any{
			"id": m.ID, "content": m.Content, "message_type": messageTypeNumber(m.MessageType), "content_type": "text",
			"private": m.Private, "created_at": m.CreatedAt.Unix(), "conversation_id": c.ID, "sender": s.senderPush(c, m),
		})
		break
	}
	if last == nil {
		last = []any{}
	}
	at := c.UpdatedAt
	return map[string]any{
		"additional_attributes": map[string]any{}, "can_reply": true, "channel": "Channel::WebWidget",
		"contact_inbox": map[string]any{"source_id": "contact-source"}, "id": c.ID, "inbox_id": inboxID,
		"messages": last, "labels": []any{},
		"meta": map[string]any{
			"sender":   map[string]any{"id": contactID, "name": c.Contact, "type": "contact"},
			"assignee": nil, "team": nil, "hmac_verified": false,
		},
		"status": c.Status, "custom_attributes": map[string]any{}, "snoozed_until": nil, "unread_count": 0,
		"first_reply_created_at": nil, "priority": nil, "waiting_since": 0,
		"agent_last_seen_at": 0, "contact_last_seen_at": 0, "last_activity_at": at.Unix(), "timestamp": at.Unix(),
		"created_at": at.Unix(), "updated_at": float64(at.UnixNano()) / float64(time.Second),
	}
}
