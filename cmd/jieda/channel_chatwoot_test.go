package main

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/channels"
	"github.com/jieda/jieda/cmd/jieda/internal/channels/chatwoot/chatwoottest"
)

const cwSecret = "chatwoot-bot-secret-0123456789"

// fastChannels shortens the channels' retry waits for tests.
func fastChannels() serverOption {
	return func(a *app) {
		a.cfg.Channels.BackoffBase = 20 * time.Millisecond
		a.cfg.Channels.BackoffMax = 100 * time.Millisecond
		a.cfg.Channels.ScanInterval = 200 * time.Millisecond
		a.cfg.Channels.Timeout = 2 * time.Second
	}
}

// chatwootEnv is jieda serving the test KB "shop", a stand-in Chatwoot,
// and channel "cw" connecting them as Chatwoot's docs say: the bot's
// outgoing URL is jieda's webhook, its token and secret are in jieda.
type chatwootEnv struct {
	s                    *testServer
	cw                   *chatwoottest.Server
	admin, agent, editor string
}

func startChatwoot(t *testing.T, cwOpts chatwoottest.Options) *chatwootEnv {
	t.Helper()
	s := startServer(t, nil, fastChannels())
	e := &chatwootEnv{s: s}
	e.admin, _ = s.newKey(t, apikey.RoleAdmin)
	e.agent, _ = s.newKey(t, apikey.RoleAgent)
	e.editor, _ = s.newKey(t, apikey.RoleEditor)
	importTestKB(t, s, e.editor, "shop")
	if cwOpts.Secret == "" {
		cwOpts.Secret = cwSecret
	}
	e.cw = chatwoottest.New(t, cwOpts)
	r := s.do(t, "PUT", "/v1/admin/channels/cw", e.admin, map[string]any{
		"kind": "chatwoot", "kb": "shop", "base_url": e.cw.URL, "account_id": 1, "api_access_token": "bot-token", "secret": cwSecret,
	})
	if r.status != 200 {
		t.Fatalf("registering the channel: %d %s", r.status, r.raw)
	}
	e.cw.ConnectBot(s.url + r.body["webhook_path"].(string))
	return e
}

// idle waits until Chatwoot has delivered every event and jieda has
// worked every job, twice over (a job's messages make new events).
func (e *chatwootEnv) idle(t *testing.T) {
	t.Helper()
	for range 3 {
		e.cw.Drain()
		waitUntil(t, "jieda's channel jobs to finish", func() bool {
			n, err := e.s.sys.channels.Backlog(t.Context())
			return err == nil && n == 0
		})
	}
	e.cw.Drain()
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// botMessages are the messages jieda posted into a conversation.
func botMessages(c chatwoottest.Conversation) []chatwoottest.Message {
	var out []chatwoottest.Message
	for _, m := range c.Messages {
		if m.SenderType == "agent_bot" {
			out = append(out, m)
		}
	}
	return out
}

// texts lists messages as "private|public: content".
func texts(ms []chatwoottest.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		kind := "public"
		if m.Private {
			kind = "private"
		}
		out[i] = kind + ": " + m.Content
	}
	return out
}

// wantDeliveriesOK checks that jieda acknowledged every webhook with a 2xx.
func (e *chatwootEnv) wantDeliveriesOK(t *testing.T) {
	t.Helper()
	for _, d := range e.cw.Deliveries() {
		if d.Status < 200 || d.Status > 299 {
			t.Errorf("jieda answered %s (delivery %s, attempt %d) with %d", d.Event, d.Delivery, d.Attempt, d.Status)
		}
	}
}

func TestChatwootAnswers(t *testing.T) {
	e := startChatwoot(t, chatwoottest.Options{})
	conv := e.cw.NewConversation("张三")
	e.cw.CustomerSays(conv, "运费怎么算")
	e.idle(t)
	c := e.cw.Conversation(conv)
	want := []string{"public: 订单满99元包邮，不满收取8元运费。"}
	if got := texts(botMessages(c)); !slices.Equal(got, want) {
		t.Fatalf("bot messages %q, want %q (its own message_created must not be answered)", got, want)
	}
	if c.Status != "pending" {
		t.Errorf("status %s after an answer, want pending (the bot keeps the conversation)", c.Status)
	}
	e.wantDeliveriesOK(t)

	// The conversation is jieda's conversation too: a follow-up is read with the turn before.
	turns := e.s.conversationTurns(t, "shop", channels.ConversationID("cw", strconv.FormatInt(conv, 10)))
	if len(turns) != 2 || turns[0].Text != "运费怎么算" || turns[1].Role != answer.RoleBot {
		t.Fatalf("jieda's turns of the conversation: %+v", turns)
	}
	e.cw.CustomerSays(conv, "那香港呢")
	e.idle(t)
	msgs := botMessages(e.cw.Conversation(conv))
	if len(msgs) != 2 || !strings.Contains(msgs[1].Content, "香港") {
		t.Errorf("follow-up answered with %q, want the Hong Kong article", texts(msgs))
	}
}

// clarifyKB adds two close articles to KB "shop" and thresholds under
// which "修改地址" asks "did you mean"; webhook, when set, is the KB's
// webhook settings.
func clarifyKB(t *testing.T, s *testServer, editor string, webhook map[string]any) {
	t.Helper()
	const arts = `{"id":"addr-ship","question":"怎么修改收货地址","variants":["收货地址填错了"],"answer":"发货前在订单详情点击修改收货地址即可。","category":"orders","locale":"zh-CN"}
{"id":"addr-invoice","question":"怎么修改发票寄送地址","variants":["发票地址填错了"],"answer":"在开票信息页修改发票寄送地址，已寄出的无法更改。","category":"invoices","locale":"zh-CN"}
`
	r := sendRaw(t, s, "POST", "/v1/articles/import?kb=shop", editor, "application/x-ndjson", arts)
	if r.status != 200 {
		t.Fatalf("import: %d %s", r.status, r.raw)
	}
	settings := map[string]any{"thresholds": map[string]any{"answer": 0.95, "clarify": 0.05, "out_of_scope": 0.01, "clarify_ratio": 0.5}}
	if webhook != nil {
		if _, ok := webhook["secret"]; !ok {
			webhook["secret"] = "test-webhook-secret-0123" // a webhook needs 16+ bytes of secret
		}
		settings["webhook"] = webhook
	}
	r = s.do(t, "PUT", "/v1/kbs/shop/settings", editor, settings)
	if r.status != 200 {
		t.Fatalf("settings: %d %s", r.status, r.raw)
	}
}

func TestChatwootClarifyThenNumber(t *testing.T) {
	e := startChatwoot(t, chatwoottest.Options{})
	clarifyKB(t, e.s, e.editor, nil)
	conv := e.cw.NewConversation("李四")
	e.cw.CustomerSays(conv, "修改地址")
	e.idle(t)
	msgs := botMessages(e.cw.Conversation(conv))
	t.Logf("jieda wrote: %q", texts(msgs))
	if len(msgs) != 1 {
		t.Fatalf("bot messages %q, want one clarify", texts(msgs))
	}
	lines := strings.Split(msgs[0].Content, "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "您是想问") || !strings.HasPrefix(lines[1], "1. ") || !strings.HasPrefix(lines[2], "2. ") ||
		!strings.Contains(lines[len(lines)-1], "序号") {
		t.Fatalf("clarify message %q, want the prompt, numbered options and how to reply", msgs[0].Content)
	}
	second := strings.TrimPrefix(lines[2], "2. ")
	want := map[string]string{"怎么修改收货地址": "发货前在订单详情点击修改收货地址即可。", "怎么修改发票寄送地址": "在开票信息页修改发票寄送地址，已寄出的无法更改。"}[second]
	if want == "" {
		t.Fatalf("option 2 is %q, not one of the two address articles", second)
	}
	e.cw.CustomerSays(conv, "２") // a full-width digit, as phones type it
	e.idle(t)
	msgs = botMessages(e.cw.Conversation(conv))
	if len(msgs) != 2 || msgs[1].Content != want {
		t.Fatalf("after replying 2: bot messages %q, want the answer of %q", texts(msgs), second)
	}
	e.wantDeliveriesOK(t)
}

func TestChatwootHandoffThenResolve(t *testing.T) {
	e := startChatwoot(t, chatwoottest.Options{})
	conv := e.cw.NewConversation("王五")
	e.cw.CustomerSays(conv, "我要转人工，快递一直不到")
	e.idle(t)
	c := e.cw.Conversation(conv)
	msgs := botMessages(c)
	t.Logf("jieda wrote: %q", texts(msgs))
	if len(msgs) != 2 {
		t.Fatalf("bot messages %q, want a private note then the handoff message", texts(msgs))
	}
	note := msgs[0]
	if !note.Private || !strings.Contains(note.Content, "customer_request") || !strings.Contains(note.Content, "置信度") ||
		!strings.Contains(note.Content, "我要转人工，快递一直不到") || !strings.Contains(note.Content, "1. ") {
		t.Errorf("private note %q: want the reason, confidence, question and suggestions", note.Content)
	}
	if msgs[1].Private || !strings.Contains(msgs[1].Content, "人工客服") {
		t.Errorf("handoff message %+v, want a public message about a person", msgs[1])
	}
	if c.Status != "open" {
		t.Fatalf("status %s after the handoff, want open (toggle_status)", c.Status)
	}
	// jieda's own handoff record, for the console's queue and the webhook.
	r := e.s.do(t, "GET", "/v1/handoffs?kb=shop&status=open", e.agent, nil)
	hs, _ := r.body["handoffs"].([]any)
	if len(hs) != 1 || hs[0].(map[string]any)["conversation_id"] != channels.ConversationID("cw", strconv.FormatInt(conv, 10)) {
		t.Fatalf("open handoffs: %s", r.raw)
	}
	id := hs[0].(map[string]any)["id"].(string)
	if !strings.Contains(note.Content, id) {
		t.Errorf("the note %q does not name handoff %s", note.Content, id)
	}

	// The conversation is open: the customer, the agent and the agents'
	// notes talk without jieda.
	e.cw.CustomerSays(conv, "快递单号是SF1234567890，三天没动了")
	e.cw.AgentSays(conv, "小王", "内部：联系顺丰查件", true)
	e.cw.AgentSays(conv, "小王", "您好，已为您联系快递公司加急处理，预计明天送达，请留意电话。", false)
	e.idle(t)
	if n := len(botMessages(e.cw.Conversation(conv))); n != 2 {
		t.Fatalf("jieda wrote %d messages, want still 2: %q", n, texts(botMessages(e.cw.Conversation(conv))))
	}

	// The agent resolves it: jieda's handoff is resolved with the agent's reply, which curation takes in.
	e.cw.Resolve(conv)
	e.idle(t)
	r = e.s.do(t, "GET", "/v1/handoffs/"+id, e.agent, nil)
	res, _ := r.body["resolution"].(map[string]any)
	if r.body["status"] != "resolved" || res["reply"] != "您好，已为您联系快递公司加急处理，预计明天送达，请留意电话。" || res["agent"] != "小王" {
		t.Fatalf("handoff after the Chatwoot resolution: %s", r.raw)
	}
	r = e.s.do(t, "GET", "/v1/candidates?kb=shop&status=pending&sort=recent", e.editor, nil)
	if !strings.Contains(r.raw, "加急处理") || !strings.Contains(r.raw, "{tracking_number}") {
		t.Errorf("candidates after the resolution: %s, want the agent's reply, the customer's tracking number scrubbed", r.raw)
	}
	e.wantDeliveriesOK(t)
}

func TestChatwootIgnoresWhatIsNotAQuestion(t *testing.T) {
	e := startChatwoot(t, chatwoottest.Options{})
	conv := e.cw.NewConversation("赵六")
	calls := e.cw.APICalls()
	e.cw.AgentSays(conv, "小王", "备注：老客户", true)         // a private note
	e.cw.AgentSays(conv, "小王", "您好，请问有什么可以帮您？", false) // an agent's message
	e.idle(t)
	if msgs := botMessages(e.cw.Conversation(conv)); len(msgs) != 0 || e.cw.APICalls() != calls {
		t.Fatalf("jieda answered %q (API calls %d → %d), want nothing", texts(msgs), calls, e.cw.APICalls())
	}
	// Its own message: one answer, whose message_created echo is not answered.
	e.cw.CustomerSays(conv, "怎么开发票")
	e.idle(t)
	if msgs := botMessages(e.cw.Conversation(conv)); len(msgs) != 1 {
		t.Fatalf("bot messages %q, want one answer", texts(msgs))
	}
	// An agent opened the conversation (from Chatwoot's UI): incoming
	// messages are the agents', not jieda's.
	e.cw.SetStatus(conv, "open")
	e.cw.CustomerSays(conv, "运费怎么算")
	e.idle(t)
	if msgs := botMessages(e.cw.Conversation(conv)); len(msgs) != 1 {
		t.Fatalf("in an open conversation: bot messages %q, want still one", texts(msgs))
	}
	// Resolved, then the customer writes again: Chatwoot makes it pending
	// for the bot, and jieda answers.
	e.cw.Resolve(conv)
	e.cw.CustomerSays(conv, "怎么查物流")
	e.idle(t)
	if msgs := botMessages(e.cw.Conversation(conv)); len(msgs) != 2 || msgs[1].Content != "在我的订单中点击查看物流即可看到实时轨迹。" {
		t.Errorf("a reopened conversation: bot messages %q, want a second answer", texts(msgs))
	}
	e.wantDeliveriesOK(t)
}

func TestChatwootSignatures(t *testing.T) {
	e := startChatwoot(t, chatwoottest.Options{})
	conv := e.cw.NewConversation("周八")
	body := []byte(`{"event":"message_created","id":1,"content":"运费怎么算","message_type":"incoming","private":false,` +
		`"conversation":{"id":` + strconv.FormatInt(conv, 10) + `,"status":"pending"},"sender":{"id":1,"name":"周八","type":"contact"}}`)
	now := time.Now()
	ts, sig := chatwoottest.Sign(cwSecret, now, body)
	_, wrong := chatwoottest.Sign("another-secret-0123456789", now, body)
	oldTS, oldSig := chatwoottest.Sign(cwSecret, now.Add(-10*time.Minute), body)
	for _, c := range []struct {
		name   string
		header http.Header
		want   int
	}{
		{"unsigned", http.Header{"X-Chatwoot-Delivery": {"d-1"}}, 401},
		{"signed with another secret", http.Header{"X-Chatwoot-Timestamp": {ts}, "X-Chatwoot-Signature": {wrong}}, 401},
		{"signature of another timestamp", http.Header{"X-Chatwoot-Timestamp": {strconv.FormatInt(now.Unix()+1, 10)}, "X-Chatwoot-Signature": {sig}}, 401},
		{"ten minutes old", http.Header{"X-Chatwoot-Timestamp": {oldTS}, "X-Chatwoot-Signature": {oldSig}}, 401},
		{"malformed signature", http.Header{"X-Chatwoot-Timestamp": {ts}, "X-Chatwoot-Signature": {"sha256=zz"}}, 401},
	} {
		if got := e.cw.PostRaw(body, c.header); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	r := sendWith(t, e.s, "POST", "/v1/channels/nope/webhook", "", map[string]string{"X-Chatwoot-Timestamp": ts, "X-Chatwoot-Signature": sig}, string(body))
	wantError(t, "an unknown channel", r, 401, "unauthorized")
	e.idle(t)
	if msgs := botMessages(e.cw.Conversation(conv)); len(msgs) != 0 {
		t.Fatalf("a refused webhook was answered: %q", texts(msgs))
	}
	if got := e.cw.PostRaw(body, http.Header{"X-Chatwoot-Timestamp": {ts}, "X-Chatwoot-Signature": {sig}}); got != 200 {
		t.Fatalf("a well-signed event: status %d", got)
	}
	e.idle(t)
	if msgs := botMessages(e.cw.Conversation(conv)); len(msgs) != 1 {
		t.Errorf("a well-signed event: bot messages %q, want one answer", texts(msgs))
	}

	// A Chatwoot that does not sign: only with allow_unsigned.
	r = e.s.do(t, "PUT", "/v1/admin/channels/old", e.admin, map[string]any{
		"kind": "chatwoot", "kb": "shop", "base_url": e.cw.URL, "account_id": 1, "api_access_token": "bot-token", "allow_unsigned": true})
	if r.status != 200 || r.body["has_secret"] != false || r.body["allow_unsigned"] != true {
		t.Fatalf("an unsigned channel: %d %s", r.status, r.raw)
	}
	r = sendWith(t, e.s, "POST", "/v1/channels/old/webhook", "", map[string]string{"X-Chatwoot-Delivery": "u-1"}, strings.Replace(string(body), `"id":1,`, `"id":2,`, 1))
	if r.status != 200 || r.body["accepted"] != float64(1) {
		t.Errorf("an unsigned event to an allow_unsigned channel: %d %s", r.status, r.raw)
	}
}

func TestChatwootDuplicateDelivery(t *testing.T) {
	e := startChatwoot(t, chatwoottest.Options{})
	conv := e.cw.NewConversation("吴九")
	e.cw.CustomerSays(conv, "怎么查物流")
	e.idle(t)
	var first chatwoottest.Delivery
	for _, d := range e.cw.Deliveries() {
		if d.Event == "message_created" && strings.Contains(string(d.Body), "怎么查物流") {
			first = d
			break
		}
	}
	if first.Delivery == "" {
		t.Fatal("no message_created delivery of the question")
	}
	// Chatwoot's job retry: the same delivery id.
	if got := e.cw.Redeliver(first); got != 200 {
		t.Fatalf("a redelivery: status %d, want 200 (acknowledged)", got)
	}
	// The same message under another delivery id (a replayed event).
	ts, sig := chatwoottest.Sign(cwSecret, time.Now(), first.Body)
	r := sendWith(t, e.s, "POST", "/v1/channels/cw/webhook", "", map[string]string{
		"X-Chatwoot-Delivery": "another", "X-Chatwoot-Timestamp": ts, "X-Chatwoot-Signature": sig}, string(first.Body))
	if r.status != 200 || r.body["duplicates"] != float64(1) || r.body["accepted"] != float64(0) {
		t.Errorf("the same message again: %d %s, want it counted as a duplicate", r.status, r.raw)
	}
	e.idle(t)
	if msgs := botMessages(e.cw.Conversation(conv)); len(msgs) != 1 {
		t.Errorf("bot messages %q, want one answer", texts(msgs))
	}
}

func TestChatwootDownThenBack(t *testing.T) {
	e := startChatwoot(t, chatwoottest.Options{})
	conv := e.cw.NewConversation("郑十")
	e.cw.SetDown(true)
	e.cw.CustomerSays(conv, "怎么申请七天无理由退货")
	e.cw.Drain()
	// jieda took the event (Chatwoot would open the conversation otherwise)
	// and keeps retrying while Chatwoot's API is unreachable.
	waitUntil(t, "a few failed attempts", func() bool {
		_, fails := jobAttempts(t, e)
		return fails >= 3
	})
	if st := e.cw.Conversation(conv).Status; st != "pending" {
		t.Fatalf("status %s while jieda retries, want pending", st)
	}
	e.cw.SetDown(false)
	e.cw.FailAPI(http.StatusServiceUnavailable, http.StatusBadGateway) // then two more failures
	e.idle(t)
	msgs := botMessages(e.cw.Conversation(conv))
	if want := []string{"public: 签收后7天内在订单详情点击申请退货。"}; !slices.Equal(texts(msgs), want) {
		t.Fatalf("after Chatwoot came back: bot messages %q, want %q exactly once", texts(msgs), want)
	}
	e.wantDeliveriesOK(t)
}

// jobAttempts reports the channel's jobs waiting for a retry and their failed attempts.
func jobAttempts(t *testing.T, e *chatwootEnv) (waiting, fails int) {
	t.Helper()
	n, err := e.s.sys.channels.Backlog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n, e.s.sys.channels.Failures()
}

func TestChannelAdminAPI(t *testing.T) {
	e := startChatwoot(t, chatwoottest.Options{})
	scoped, _ := e.s.newKey(t, apikey.RoleAdmin, "shop")
	r := e.s.do(t, "GET", "/v1/admin/channels/cw", e.admin, nil)
	if r.status != 200 || strings.Contains(r.raw, cwSecret) || strings.Contains(r.raw, "bot-token") ||
		r.body["has_secret"] != true || r.body["has_api_access_token"] != true || r.body["webhook_path"] != "/v1/channels/cw/webhook" {
		t.Fatalf("GET a channel: %d %s", r.status, r.raw)
	}
	if r := e.s.do(t, "GET", "/v1/admin/channels", e.admin, nil); r.status != 200 || strings.Contains(r.raw, cwSecret) || len(r.body["channels"].([]any)) != 1 {
		t.Errorf("list channels: %d %s", r.status, r.raw)
	}
	good := map[string]any{"kind": "chatwoot", "kb": "shop", "base_url": e.cw.URL, "account_id": 1, "api_access_token": "t", "secret": cwSecret}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for name, body := range map[string]map[string]any{
		"unknown kind":  with("kind", "zendesk"),
		"no secret":     with("secret", nil),
		"short secret":  with("secret", "short"),
		"bad base_url":  with("base_url", "chatwoot.example.com"),
		"no account":    with("account_id", 0),
		"no token":      with("api_access_token", nil),
		"unknown field": with("webhook", "x"),
		"bad kb name":   with("kb", "a b"),
	} {
		wantError(t, "PUT with "+name, e.s.do(t, "PUT", "/v1/admin/channels/x", e.admin, body), 400, "bad_request")
	}
	wantError(t, "PUT with an unknown KB", e.s.do(t, "PUT", "/v1/admin/channels/x", e.admin, with("kb", "nope")), 404, "not_found")
	wantError(t, "a scoped admin key", e.s.do(t, "GET", "/v1/admin/channels", scoped, nil), 403, "forbidden")
	wantError(t, "an editor key", e.s.do(t, "GET", "/v1/admin/channels", e.editor, nil), 403, "forbidden")
	if r := e.s.do(t, "DELETE", "/v1/admin/channels/cw", e.admin, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	wantError(t, "GET a deleted channel", e.s.do(t, "GET", "/v1/admin/channels/cw", e.admin, nil), 404, "not_found")
	wantError(t, "DELETE a deleted channel", e.s.do(t, "DELETE", "/v1/admin/channels/cw", e.admin, nil), 404, "not_found")
	// Its webhook now refuses events like a bad signature.
	conv := e.cw.NewConversation("x")
	e.cw.CustomerSays(conv, "运费怎么算")
	e.cw.Drain()
	if ds := e.cw.Deliveries(); len(ds) == 0 || ds[len(ds)-1].Status != 401 {
		t.Errorf("an event for a deleted channel: %+v, want 401", ds)
	}
}
