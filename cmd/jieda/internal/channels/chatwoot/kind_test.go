package chatwoot

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/cmd/jieda/internal/channels"
	"github.com/jieda/jieda/cmd/jieda/internal/channels/chatwoot/chatwoottest"
)

const secret = "chatwoot-bot-secret-0123456789"

func channel(t *testing.T, body string) channels.Channel {
	t.Helper()
	s, err := New(Options{}).Settings(json.RawMessage(body))
	if err != nil {
		t.Fatalf("settings %s: %v", body, err)
	}
	return channels.Channel{Name: "cw", Kind: KindName, KB: "shop", Settings: s}
}

func TestSettings(t *testing.T) {
	k := New(Options{})
	ch := channel(t, `{"kind":"chatwoot","kb":"shop","handoff_message":"稍等","base_url":"https://cw.example.com/ ","account_id":3,"api_access_token":"tok","secret":"`+secret+`"}`)
	want := map[string]any{"base_url": "https://cw.example.com", "account_id": int64(3), "allow_unsigned": false, "has_api_access_token": true, "has_secret": true}
	if diff := cmp.Diff(want, k.Public(ch.Settings)); diff != "" {
		t.Errorf("public settings (-want +got):\n%s", diff)
	}
	if strings.Contains(string(ch.Settings), "handoff_message") || strings.Contains(string(ch.Settings), `"kb"`) {
		t.Errorf("stored settings carry the registry's fields: %s", ch.Settings)
	}
	for name, body := range map[string]string{
		"no base_url":          `{"account_id":1,"api_access_token":"t","secret":"` + secret + `"}`,
		"base_url with a path": `{"base_url":"cw.example.com","account_id":1,"api_access_token":"t","secret":"` + secret + `"}`,
		"base_url with a user": `{"base_url":"https://u:p@cw.example.com","account_id":1,"api_access_token":"t","secret":"` + secret + `"}`,
		"ftp base_url":         `{"base_url":"ftp://cw.example.com","account_id":1,"api_access_token":"t","secret":"` + secret + `"}`,
		"no account":           `{"base_url":"https://cw.example.com","api_access_token":"t","secret":"` + secret + `"}`,
		"no token":             `{"base_url":"https://cw.example.com","account_id":1,"secret":"` + secret + `"}`,
		"a token with spaces":  `{"base_url":"https://cw.example.com","account_id":1,"api_access_token":"a b","secret":"` + secret + `"}`,
		"no secret":            `{"base_url":"https://cw.example.com","account_id":1,"api_access_token":"t"}`,
		"a short secret":       `{"base_url":"https://cw.example.com","account_id":1,"api_access_token":"t","secret":"short"}`,
		"an unknown field":     `{"base_url":"https://cw.example.com","account_id":1,"api_access_token":"t","secret":"` + secret + `","inbox":2}`,
		"not an object":        `[1]`,
	} {
		if _, err := k.Settings(json.RawMessage(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := k.Settings(json.RawMessage(`{"base_url":"http://cw.local:3000","account_id":1,"api_access_token":"t","allow_unsigned":true}`)); err != nil {
		t.Errorf("an unsigned channel: %v", err)
	}
}

func TestReceiveSignatures(t *testing.T) {
	k := New(Options{})
	signed := channel(t, `{"base_url":"https://cw.example.com","account_id":1,"api_access_token":"t","secret":"`+secret+`"}`)
	both := channel(t, `{"base_url":"https://cw.example.com","account_id":1,"api_access_token":"t","secret":"`+secret+`","allow_unsigned":true}`)
	open := channel(t, `{"base_url":"https://cw.example.com","account_id":1,"api_access_token":"t","allow_unsigned":true}`)
	body := []byte(`{"event":"message_created","id":1,"content":"hi","message_type":"incoming","conversation":{"id":2,"status":"pending"}}`)
	now := time.Unix(1748779200, 0)
	ts, sig := chatwoottest.Sign(secret, now, body)
	_, other := chatwoottest.Sign("another-secret-0123456789", now, body)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	for _, tc := range []struct {
		name string
		ch   channels.Channel
		h    http.Header
		now  time.Time
		err  error
	}{
		{"signed", signed, hdr(HeaderTimestamp, ts, HeaderSignature, sig, HeaderDelivery, "d1"), now, nil},
		{"4m59s later", signed, hdr(HeaderTimestamp, ts, HeaderSignature, sig), now.Add(299 * time.Second), nil},
		{"5m01s later", signed, hdr(HeaderTimestamp, ts, HeaderSignature, sig), now.Add(301 * time.Second), channels.ErrStaleSignature},
		{"5m01s early", signed, hdr(HeaderTimestamp, ts, HeaderSignature, sig), now.Add(-301 * time.Second), channels.ErrStaleSignature},
		{"unsigned", signed, hdr(), now, channels.ErrBadSignature},
		{"another secret", signed, hdr(HeaderTimestamp, ts, HeaderSignature, other), now, channels.ErrBadSignature},
		{"no timestamp", signed, hdr(HeaderSignature, sig), now, channels.ErrBadSignature},
		{"uppercase hex", signed, hdr(HeaderTimestamp, ts, HeaderSignature, "sha256="+strings.ToUpper(strings.TrimPrefix(sig, "sha256="))), now, nil},
		{"allow_unsigned, unsigned", both, hdr(), now, nil},
		{"allow_unsigned, signed wrong", both, hdr(HeaderTimestamp, ts, HeaderSignature, other), now, channels.ErrBadSignature},
		{"no secret, unsigned", open, hdr(), now, nil},
	} {
		rec, err := k.Receive(t.Context(), tc.ch, channels.Request{Header: tc.h, Body: body, Now: tc.now})
		if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.err)
			continue
		}
		if err == nil && (len(rec.Events) != 1 || rec.Delivery != tc.h.Get(HeaderDelivery)) {
			t.Errorf("%s: receipt %+v", tc.name, rec)
		}
	}
}

// Send and Transfer against the stand-in Chatwoot: what a failure means
// for the outbox (retry or give up).
func TestSendAndTransfer(t *testing.T) {
	cw := chatwoottest.New(t, chatwoottest.Options{Secret: secret})
	k := New(Options{Client: &http.Client{Timeout: 2 * time.Second}})
	good := channel(t, `{"base_url":"`+cw.URL+`","account_id":1,"api_access_token":"bot-token","secret":"`+secret+`"}`)
	conv := cw.NewConversation("张三")
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	if err := k.Send(t.Context(), good, id(conv), channels.Message{Text: "您好"}); err != nil {
		t.Fatal(err)
	}
	if err := k.Send(t.Context(), good, id(conv), channels.Message{Text: "内部备注", Private: true}); err != nil {
		t.Fatal(err)
	}
	if err := k.Transfer(t.Context(), good, id(conv)); err != nil {
		t.Fatal(err)
	}
	c := cw.Conversation(conv)
	if c.Status != "open" || len(c.Messages) != 2 || c.Messages[0].Content != "您好" || c.Messages[0].Private || !c.Messages[1].Private ||
		c.Messages[0].SenderType != "agent_bot" || c.Messages[0].MessageType != "outgoing" {
		t.Fatalf("conversation after send, note, transfer: %+v", c)
	}
	badToken := channel(t, `{"base_url":"`+cw.URL+`","account_id":1,"api_access_token":"wrong","secret":"`+secret+`"}`)
	badAccount := channel(t, `{"base_url":"`+cw.URL+`","account_id":2,"api_access_token":"bot-token","secret":"`+secret+`"}`)
	for _, tc := range []struct {
		name      string
		ch        channels.Channel
		conv      string
		fail      int
		down      bool
		status    int
		permanent bool
	}{
		{name: "a wrong token", ch: badToken, conv: id(conv), status: 401, permanent: true},
		{name: "another account", ch: badAccount, conv: id(conv), status: 401, permanent: true},
		{name: "an unknown conversation", ch: good, conv: "999999", status: 404, permanent: true},
		{name: "not a conversation id", ch: good, conv: "../1", permanent: true},
		{name: "503", ch: good, conv: id(conv), fail: 503, status: 503},
		{name: "429", ch: good, conv: id(conv), fail: 429, status: 429},
		{name: "unreachable", ch: good, conv: id(conv), down: true},
	} {
		if tc.fail != 0 {
			cw.FailAPI(tc.fail)
		}
		cw.SetDown(tc.down)
		err := k.Send(t.Context(), tc.ch, tc.conv, channels.Message{Text: "x"})
		cw.SetDown(false)
		var de *channels.DeliveryError
		if !errors.As(err, &de) || de.Status != tc.status || de.Permanent != tc.permanent {
			t.Errorf("%s: %v (%+v), want status %d, permanent %v", tc.name, err, de, tc.status, tc.permanent)
		}
	}
}
