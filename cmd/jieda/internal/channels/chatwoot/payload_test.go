package chatwoot

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/channels"
)

func TestParse(t *testing.T) {
	created := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		body    string
		want    []channels.Event
		ignored string
		err     error
	}{
		{
			name: "a customer's message in a pending conversation",
			body: `{"event":"message_created","id":5012,"content":" 运费怎么算 ","message_type":"incoming","private":false,"created_at":"2025-06-01T12:00:00.000Z",` +
				`"sender":{"id":77,"name":"张三","type":"contact","custom_attributes":{"tier":"vip"}},` +
				`"conversation":{"id":101,"status":"pending","additional_attributes":{"browser_language":"zh-CN"}}}`,
			want: []channels.Event{{Type: channels.EventMessage, Key: "message:5012", Conversation: "101", MessageID: "5012", Role: answer.RoleCustomer,
				Text: "运费怎么算", Sender: "张三", At: created, Act: true, Customer: answer.Customer{ID: "77", Tier: "vip"}, Locale: "zh-CN"}},
		},
		{
			name: "a customer's message in an open conversation: recorded, not answered",
			body: `{"event":"message_created","id":"5013","content":"在吗","message_type":0,"sender":{"id":77,"type":"contact"},"conversation":{"id":"101","status":"open"}}`,
			want: []channels.Event{{Type: channels.EventMessage, Key: "message:5013", Conversation: "101", MessageID: "5013", Role: answer.RoleCustomer,
				Text: "在吗", Customer: answer.Customer{ID: "77"}}},
		},
		{
			name: "an agent's reply",
			body: `{"event":"message_created","id":5014,"content":"已为您处理","message_type":"outgoing","private":false,"sender":{"id":3,"name":"小王","type":"user"},"conversation":{"id":101,"status":"open"}}`,
			want: []channels.Event{{Type: channels.EventMessage, Key: "message:5014", Conversation: "101", MessageID: "5014", Role: answer.RoleAgent, Text: "已为您处理", Sender: "小王"}},
		},
		{
			name: "the bot's own message",
			body: `{"event":"message_created","id":5015,"content":"订单满99元包邮","message_type":"outgoing","private":false,"sender":{"id":9,"name":"jieda","type":"agent_bot"},"conversation":{"id":101,"status":"pending"}}`,
			want: []channels.Event{{Type: channels.EventMessage, Key: "message:5015", Conversation: "101", MessageID: "5015", Role: answer.RoleBot, Text: "订单满99元包邮", Sender: "jieda"}},
		},
		{
			name: "an attachment alone in a pending conversation",
			body: `{"event":"message_created","id":5016,"content":null,"message_type":"incoming","sender":{"id":77,"type":"contact"},"conversation":{"id":101,"status":"pending"},"attachments":[{"file_type":"image"}]}`,
			want: []channels.Event{{Type: channels.EventMessage, Key: "message:5016", Conversation: "101", MessageID: "5016", Role: answer.RoleCustomer, Act: true, Customer: answer.Customer{ID: "77"}}},
		},
		{
			name:    "a private note",
			body:    `{"event":"message_created","id":5017,"content":"老客户","message_type":"outgoing","private":true,"sender":{"type":"user"},"conversation":{"id":101,"status":"pending"}}`,
			ignored: "a private note",
		},
		{
			name:    "an activity message",
			body:    `{"event":"message_created","id":5018,"content":"Conversation was marked resolved","message_type":"activity","conversation":{"id":101,"status":"resolved"}}`,
			ignored: "an activity message",
		},
		{
			name: "conversation_resolved",
			body: `{"event":"conversation_resolved","id":101,"status":"resolved","messages":[],"updated_at":1748779200.5,"timestamp":1748779200}`,
			want: []channels.Event{{Type: channels.EventResolved, Key: "resolved:101:1748779200.5", Conversation: "101", At: time.Unix(1748779200, 5e8).UTC()}},
		},
		{
			name: "conversation_status_changed to resolved: the same key",
			body: `{"event":"conversation_status_changed","id":101,"status":"resolved","updated_at":1748779200.5,"changed_attributes":[{"status":{"previous_value":"open","current_value":"resolved"}}]}`,
			want: []channels.Event{{Type: channels.EventResolved, Key: "resolved:101:1748779200.5", Conversation: "101", At: time.Unix(1748779200, 5e8).UTC()}},
		},
		{name: "conversation_status_changed to open", body: `{"event":"conversation_status_changed","id":101,"status":"open"}`, ignored: `conversation_status_changed to "open"`},
		{name: "conversation_opened", body: `{"event":"conversation_opened","id":101,"status":"open"}`, ignored: "event conversation_opened"},
		{name: "message_updated", body: `{"event":"message_updated","id":5012}`, ignored: "event message_updated"},
		{name: "webwidget_triggered", body: `{"event":"webwidget_triggered","id":1}`, ignored: "event webwidget_triggered"},
		{name: "not JSON", body: `{"event":`, err: channels.ErrInvalidPayload},
		{name: "no event", body: `{"id":1}`, err: channels.ErrInvalidPayload},
		{name: "a message without its conversation", body: `{"event":"message_created","id":1,"message_type":"incoming"}`, err: channels.ErrInvalidPayload},
		{name: "a message id that is not an id", body: `{"event":"message_created","id":"../x","message_type":"incoming","conversation":{"id":1}}`, err: channels.ErrInvalidPayload},
		{name: "a conversation id that is not an id", body: `{"event":"message_created","id":1,"message_type":"incoming","conversation":{"id":"1/2"}}`, err: channels.ErrInvalidPayload},
		{name: "an unknown message type", body: `{"event":"message_created","id":1,"message_type":9,"conversation":{"id":1}}`, err: channels.ErrInvalidPayload},
		{name: "a resolved conversation without an id", body: `{"event":"conversation_resolved","status":"resolved"}`, err: channels.ErrInvalidPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ignored, err := parse([]byte(tc.body))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ignored != tc.ignored {
				t.Errorf("ignored %q, want %q", ignored, tc.ignored)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"event":"message_created","id":1,"content":"hi","message_type":"incoming","conversation":{"id":2,"status":"pending"}}`))
	f.Add([]byte(`{"event":"conversation_resolved","id":2,"status":"resolved","updated_at":1.5}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, _, err := parse(body)
		if err != nil {
			return
		}
		for _, ev := range evs {
			if ev.Key == "" || !digits.MatchString(ev.Conversation) {
				t.Fatalf("event %+v from %q: no key or a conversation id that is not digits", ev, body)
			}
		}
	})
}
