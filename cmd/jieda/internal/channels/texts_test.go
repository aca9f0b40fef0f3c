package channels

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
)

func TestPickOption(t *testing.T) {
	opts := []answer.ClarifyOption{{ArticleID: "a", Question: "怎么修改收货地址"}, {ArticleID: "b", Question: "怎么修改发票寄送地址"}, {ArticleID: "c", Question: "How do I return an item?"}}
	for _, tc := range []struct {
		reply string
		want  int
	}{
		{"1", 0}, {"2", 1}, {" 3 ", 2}, {"２", 1}, {"2.", 1}, {"(2)", 1}, {"第2个", 1}, {"第二个", 1}, {"二", 1},
		{"选2", 1}, {"option 3", 2}, {"#1", 0}, {"No. 2", 1},
		{"4", -1}, {"0", -1}, {"第五个", -1},
		{"怎么修改收货地址", 0}, {"怎么修改收货地址？", 0}, {"how do i return an item", 2}, {"发票寄送", 1}, {"return an item", 2},
		{"修改", -1}, {"怎么修改", -1}, // in two options
		{"运费多少", -1}, {"", -1}, {"ok", -1},
	} {
		if got := pickOption(tc.reply, opts); got != tc.want {
			t.Errorf("pickOption(%q) = %d, want %d", tc.reply, got, tc.want)
		}
	}
}

func TestLangOf(t *testing.T) {
	for _, tc := range []struct {
		locale, text string
		want         lang
	}{
		{"", "运费怎么算", langZH}, {"", "how much is shipping", langEN}, {"zh-TW", "hi", langZH},
		{"en-US", "运费", langEN}, {"", "", langEN}, {"", "iPhone 15 的保修", langZH},
	} {
		if got := langOf(tc.locale, tc.text); got != tc.want {
			t.Errorf("langOf(%q, %q) = %s, want %s", tc.locale, tc.text, got, tc.want)
		}
	}
}

func TestClarifyText(t *testing.T) {
	got := clarifyText("Did you mean one of these?", []answer.ClarifyOption{{Question: "How do I return an item?"}, {Question: "How much is shipping?"}}, langEN)
	want := "Did you mean one of these?\n1. How do I return an item?\n2. How much is shipping?\nReply with a number, or tell us more in your own words."
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("clarify text (-want +got):\n%s", diff)
	}
}

func TestHandoffNote(t *testing.T) {
	h := answer.Handoff{ID: "h-1", Question: "I want a refund for a broken phone", Reason: answer.ReasonLowConfidence, Confidence: 0.314}
	sugg := []suggestion{{Question: "How do I get a refund?", Answer: strings.Repeat("Open the order and choose Refund. ", 10)}}
	got := handoffNote(h, sugg, langEN)
	for _, want := range []string{"jieda handoff", "Reason: low_confidence (low confidence)", "Confidence: 0.31",
		"Customer's question: I want a refund for a broken phone", "1. How do I get a refund? → Open the order", "…", "(handoff h-1)"} {
		if !strings.Contains(got, want) {
			t.Errorf("note %q lacks %q", got, want)
		}
	}
	if none := handoffNote(h, nil, langZH); !strings.Contains(none, "（无建议）") || !strings.Contains(none, "置信度低") {
		t.Errorf("note without suggestions: %q", none)
	}
}

func TestConversationID(t *testing.T) {
	if got := ConversationID("cw", "1024"); got != "ch.cw.1024" {
		t.Errorf("ConversationID = %q", got)
	}
	odd := ConversationID("wx", "wmAbc/+== 外部")
	if answer.ValidateID(odd) != nil || !strings.HasPrefix(odd, "ch.wx.h") || odd != ConversationID("wx", "wmAbc/+== 外部") {
		t.Errorf("an id answer refuses maps to %q, want a stable valid hash", odd)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := DefaultConfig()
	bad.Timeout, bad.Concurrency, bad.BackoffMax = 0, 0, 0
	err := bad.Validate()
	for _, key := range []string{"channels.timeout", "channels.concurrency", "channels.backoff_max"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not name %s", err, key)
		}
	}
	c := DefaultConfig()
	for attempt, want := range map[int][2]float64{1: {1.6, 2}, 2: {3.2, 4}, 20: {96, 120}} {
		got := c.backoff(attempt).Seconds()
		if got < want[0] || got > want[1] {
			t.Errorf("backoff(%d) = %vs, want in [%v, %v]", attempt, got, want[0], want[1])
		}
	}
}

func TestTranscriptBound(t *testing.T) {
	var st convState
	for i := range MaxTranscript + 10 {
		if i == 50 {
			st.HandoffFrom = len(st.Messages)
		}
		st.record(Event{Type: EventMessage, Key: "k", Act: true, Text: "m"})
	}
	if len(st.Messages) != MaxTranscript || st.HandoffFrom != 40 || st.Messages[0].Key != "" || st.Messages[0].Act {
		t.Errorf("after %d messages: %d kept, handoff at %d, first %+v", MaxTranscript+10, len(st.Messages), st.HandoffFrom, st.Messages[0])
	}
}
