// Package chatwoottest is a stand-in for a Chatwoot installation with one
// account, one inbox and one agent bot, for tests: an httptest server
// that serves the API routes a bot uses and posts the bot's webhook
// events the way Chatwoot does. It is written from Chatwoot's source
// (chatwoot/chatwoot); each behavior names the file it follows.
//
// What it does, as Chatwoot does:
//
//   - Conversations of the bot's inbox start "pending"
//     (app/models/conversation.rb: an inbox with an active bot). A
//     customer's message to a resolved conversation makes it pending again
//     (app/models/message.rb#reopen_resolved_conversation).
//   - Every message created (customer, agent, private note, the bot's own)
//     is posted to the bot as message_created with Message#webhook_data
//     (app/listeners/agent_bot_listener.rb, app/models/message.rb,
//     app/models/concerns/message_filter_helpers.rb); status changes post
//     conversation_status_changed, and conversation_opened or
//     conversation_resolved, with the conversation's push data
//     (app/presenters/conversations/event_data_presenter.rb).
//   - Deliveries carry X-Chatwoot-Delivery (a UUID per event, kept on
//     retries) and, when the bot has a secret, X-Chatwoot-Timestamp and
//     X-Chatwoot-Signature: sha256 HMAC of "{timestamp}.{body}"
//     (lib/webhooks/trigger.rb). A 429 or 500 is retried, three attempts
//     in all (app/jobs/agent_bots/webhook_job.rb); any other failure of a
//     message_created event opens a pending conversation
//     (Webhooks::Trigger#handle_error / lib/webhooks/error_handler.rb).
//   - The API wants the bot's token in api_access_token (401 "Invalid
//     Access Token" otherwise); a bot may create messages and toggle a
//     conversation's status but not list messages
//     (app/controllers/concerns/access_token_auth_helper.rb,
//     BOT_ACCESSIBLE_ENDPOINTS). toggle_status {"status":"open"} by the
//     bot on a pending conversation is the bot handoff
//     (conversations_controller.rb#toggle_status). Answers follow
//     messages/create.json.jbuilder and toggle_status.json.jbuilder.
//
// Deliveries go out one at a time from a queue, in order (Chatwoot's
// Sidekiq jobs), after the API call that caused them has answered.
package chatwoottest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// Options configure the stand-in.
type Options struct {
	// AccountID is the account's id (default 1).
	AccountID int64
	// Token is the agent bot's access token (default "bot-token").
	Token string
	// Secret is the bot's webhook secret; "" sends unsigned webhooks
	// like Chatwoot versions before signed bot webhooks.
	Secret string
	// RetryWait is the wait between a webhook's attempts (Chatwoot: 3s;
	// default 50ms).
	RetryWait time.Duration
	// Timeout bounds one webhook attempt (Chatwoot's WEBHOOK_TIMEOUT, 5s).
	Timeout time.Duration
	// Now is the clock of timestamps and signatures (default time.Now).
	Now func() time.Time
}

// Message is a message as the stand-in keeps it.
type Message struct {
	ID          int64
	Content     string
	MessageType string // incoming, outgoing, activity, template
	Private     bool
	// SenderType is "contact", "user" or "agent_bot".
	SenderType string
	SenderName string
	CreatedAt  time.Time
}

// Conversation is a conversation as the stand-in keeps it.
type Conversation struct {
	ID       int64 // the display id, the API's id
	Status   string
	Contact  string
	Messages []Message
	// UpdatedAt changes with the status and each message (belongs_to
	// :conversation, touch: true).
	UpdatedAt time.Time
}

// Delivery is one attempt to post a webhook to the bot.
type Delivery struct {
	Event    string
	Delivery string
	Attempt  int
	Status   int // 0 for a network error or timeout
	Body     []byte
}

// Server is the stand-in.
type Server struct {
	*httptest.Server
	t    testing.TB
	opts Options

	mu            sync.Mutex
	outgoingURL   string
	conversations map[int64]*Conversation
	nextConv      int64
	nextMsg       int64
	down          bool
	failAPI       []int // statuses for the next API calls
	apiCalls      int
	deliveries    []Delivery

	queue   chan job
	pending backlog
	client  *http.Client
	stop    chan struct{}
	stopped chan struct{}
}

type job struct {
	event    string
	delivery string
	payload  map[string]any
	convID   int64
	msgID    int64
}

// New starts a stand-in Chatwoot; Close stops it (t.Cleanup does).
func New(t testing.TB, o Options) *Server {
	if o.AccountID == 0 {
		o.AccountID = 1
	}
	if o.Token == "" {
		o.Token = "bot-token"
	}
	if o.RetryWait == 0 {
		o.RetryWait = 50 * time.Millisecond
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{
		t: t, opts: o, conversations: map[int64]*Conversation{}, nextConv: 100, nextMsg: 5000,
		queue: make(chan job, 256), client: &http.Client{Timeout: o.Timeout},
		stop: make(chan struct{}), stopped: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages", s.createMessage)
	mux.HandleFunc("GET /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages", s.listMessages)
	mux.HandleFunc("POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_status", s.toggleStatus)
	s.Server = httptest.NewServer(s.faults(mux))
	go s.deliver()
	t.Cleanup(s.Close)
	return s
}

// Close stops the delivery queue and the server.
func (s *Server) Close() {
	select {
	case <-s.stop:
		return
	default:
	}
	close(s.stop)
	<-s.stopped
	s.Server.Close()
}

// ConnectBot sets the agent bot's outgoing URL (where events go).
func (s *Server) ConnectBot(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outgoingURL = url
}

// SetDown makes the API drop every connection (Chatwoot unreachable)
// until SetDown(false). Webhook deliveries still go out.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// FailAPI answers the next API calls with these statuses.
func (s *Server) FailAPI(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAPI = append(s.failAPI, statuses...)
}

// APICalls counts the API calls served or refused (not dropped).
func (s *Server) APICalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apiCalls
}

func (s *Server) faults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		down := s.down
		var fail int
		if !down {
			s.apiCalls++
			if len(s.failAPI) > 0 {
				fail, s.failAPI = s.failAPI[0], s.failAPI[1:]
			}
		}
		s.mu.Unlock()
		if down {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		if fail != 0 {
			writeJSON(w, fail, map[string]any{"error": http.StatusText(fail)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// NewConversation opens a conversation with a contact in the bot's
// inbox: pending, the bot's.
func (s *Server) NewConversation(contact string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextConv++
	s.conversations[s.nextConv] = &Conversation{ID: s.nextConv, Status: "pending", Contact: contact, UpdatedAt: s.opts.Now().UTC()}
	return s.nextConv
}

// Conversation returns a copy of a conversation.
func (s *Server) Conversation(id int64) Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conversations[id]
	if c == nil {
		return Conversation{}
	}
	cp := *c
	cp.Messages = append([]Message(nil), c.Messages...)
	return cp
}

// CustomerSays adds the contact's (incoming) message and posts
// message_created; a resolved conversation turns pending first.
func (s *Server) CustomerSays(conv int64, text string) Message {
	s.mu.Lock()
	c := s.mustConv(conv)
	if c.Status == "resolved" {
		c.Status = "pending"
	}
	m := s.addLocked(c, Message{Content: text, MessageType: "incoming", SenderType: "contact", SenderName: c.Contact})
	s.mu.Unlock()
	return m
}

// AgentSays adds a human agent's outgoing message (a private note when
// private) and posts message_created.
func (s *Server) AgentSays(conv int64, agent, text string, private bool) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLocked(s.mustConv(conv), Message{Content: text, MessageType: "outgoing", Private: private, SenderType: "user", SenderName: agent})
}

// SetStatus changes a conversation's status as an agent does from
// Chatwoot's UI, posting the status events.
func (s *Server) SetStatus(conv int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setStatusLocked(s.mustConv(conv), status)
}

// Resolve resolves a conversation as an agent does: it posts
// conversation_status_changed and conversation_resolved.
func (s *Server) Resolve(conv int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setStatusLocked(s.mustConv(conv), "resolved")
}

func (s *Server) mustConv(id int64) *Conversation {
	c := s.conversations[id]
	if c == nil {
		s.t.Fatalf("chatwoottest: no conversation %d", id)
	}
	return c
}

// addLocked stores a message and queues its message_created.
func (s *Server) addLocked(c *Conversation, m Message) Message {
	s.nextMsg++
	m.ID, m.CreatedAt = s.nextMsg, s.opts.Now().UTC()
	c.Messages = append(c.Messages, m)
	c.UpdatedAt = m.CreatedAt
	s.enqueueLocked("message_created", s.messageData(c, m), c.ID, m.ID)
	return m
}

// setStatusLocked changes a conversation's status and queues its events.
func (s *Server) setStatusLocked(c *Conversation, status string) {
	prev := c.Status
	if prev == status {
		return
	}
	c.Status = status
	c.UpdatedAt = s.opts.Now().UTC()
	changed := s.conversationData(c)
	changed["changed_attributes"] = []any{map[string]any{"status": map[string]any{"previous_value": prev, "current_value": status}}}
	s.enqueueLocked("conversation_status_changed", changed, c.ID, 0)
	switch status {
	case "open":
		s.enqueueLocked("conversation_opened", s.conversationData(c), c.ID, 0)
	case "resolved":
		s.enqueueLocked("conversation_resolved", s.conversationData(c), c.ID, 0)
	}
}

func (s *Server) enqueueLocked(event string, payload map[string]any, conv, msg int64) {
	payload["event"] = event
	s.pending.add()
	s.queue <- job{event: event, delivery: uuid.NewString(), payload: payload, convID: conv, msgID: msg}
}

// Drain waits until every queued webhook has been delivered (or given up).
func (s *Server) Drain() { s.pending.wait() }

// backlog counts the queued webhooks; wait returns at zero. (A
// WaitGroup may not be added to from zero while Drain waits on it.)
type backlog struct {
	mu   sync.Mutex
	n    int
	zero *sync.Cond
}

func (b *backlog) add() {
	b.mu.Lock()
	b.n++
	b.mu.Unlock()
}

func (b *backlog) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n--; b.n == 0 && b.zero != nil {
		b.zero.Broadcast()
	}
}

func (b *backlog) wait() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.zero == nil {
		b.zero = sync.NewCond(&b.mu)
	}
	for b.n > 0 {
		b.zero.Wait()
	}
}

// Deliveries returns every webhook attempt so far.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// Redeliver posts an earlier delivery's body again with its delivery id,
// as Chatwoot's job retry does, and returns the bot's status.
func (s *Server) Redeliver(d Delivery) int {
	status, _ := s.post(d.Body, d.Delivery)
	return status
}

// PostRaw posts body to the bot with the given headers (a forged or
// stale event), returning the status.
func (s *Server) PostRaw(body []byte, header http.Header) int {
	s.mu.Lock()
	target := s.outgoingURL
	s.mu.Unlock()
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header = header.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("posting to the bot: %v", err)
	}
	defer func() { _ = resp.Body.Close() }() // drained: nothing to lose
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// Sign returns the signature headers Chatwoot sends for body at ts.
func Sign(secret string, ts time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "."))
	mac.Write(body)
	return timestamp, "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// deliver runs the queue: one job at a time, in order.
func (s *Server) deliver() {
	defer close(s.stopped)
	for {
		select {
		case <-s.stop:
			return
		case j := <-s.queue:
			s.run(j)
			s.pending.done()
		}
	}
}

// run is AgentBots::WebhookJob: up to three attempts on 429/500, else
// the error handler (a failed message_created opens a pending conversation).
func (s *Server) run(j job) {
	body, err := json.Marshal(j.payload)
	if err != nil {
		s.t.Errorf("chatwoottest: encoding %s: %v", j.event, err)
		return
	}
	for attempt := 1; attempt <= 3; attempt++ {
		status, err := s.post(body, j.delivery)
		s.mu.Lock()
		s.deliveries = append(s.deliveries, Delivery{Event: j.event, Delivery: j.delivery, Attempt: attempt, Status: status, Body: body})
		s.mu.Unlock()
		if err == nil && status >= 200 && status < 300 {
			return
		}
		if err != nil || (status != http.StatusTooManyRequests && status != http.StatusInternalServerError) || attempt == 3 {
			break
		}
		select {
		case <-time.After(s.opts.RetryWait):
		case <-s.stop:
			return
		}
	}
	if j.event == "message_created" {
		s.mu.Lock()
		if c := s.conversations[j.convID]; c != nil && c.Status == "pending" {
			s.setStatusLocked(c, "open") // error_moved_to_open
		}
		s.mu.Unlock()
	}
}

// post sends one attempt with Chatwoot's headers.
func (s *Server) post(body []byte, delivery string) (int, error) {
	s.mu.Lock()
	target := s.outgoingURL
	s.mu.Unlock()
	if target == "" {
		return 0, fmt.Errorf("no bot connected")
	}
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Chatwoot-Delivery", delivery)
	if s.opts.Secret != "" {
		ts, sig := Sign(s.opts.Secret, s.opts.Now(), body)
		req.Header.Set("X-Chatwoot-Timestamp", ts)
		req.Header.Set("X-Chatwoot-Signature", sig)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }() // drained: nothing to lose
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
