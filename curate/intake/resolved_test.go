package intake

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestKey(t *testing.T) {
	base := Resolved{Question: "怎么退货？", Reply: "在订单页申请售后。"}
	same := []Resolved{
		base,
		{Question: "  怎么退货？ ", Reply: "在订单页申请售后。\n"},
		{Question: "怎么退货?", Reply: "在订单页申请售后。"}, // full-width "？" folds to "?"
		{Question: "怎么退货？", Reply: "在订单页申请售后。", Agent: "小美", CSAT: ptr(5)},
	}
	want := base.Key()
	if !strings.HasPrefix(want, "sha256:") || len(want) != len("sha256:")+64 {
		t.Fatalf("Key() = %q, want sha256:<64 hex>", want)
	}
	for _, r := range same {
		if got := r.Key(); got != want {
			t.Errorf("Key(%+v) = %q, want %q", r, got, want)
		}
	}
	differ := []Resolved{
		{Question: "怎么退货？", Reply: "在订单页申请退款。"},
		{Question: "怎么退货？在订单页", Reply: "申请售后。"}, // the separator keeps fields apart
	}
	for _, r := range differ {
		if r.Key() == want {
			t.Errorf("Key(%+v) collides with %+v", r, base)
		}
	}
	tickets := []struct {
		r    Resolved
		want string
	}{
		{Resolved{Question: "q", Reply: "r", Ticket: "T-1"}, "ticket:T-1"},
		{Resolved{Question: "other", Reply: "other", Ticket: " T-1 "}, "ticket:T-1"},
		{Resolved{Question: "q", Reply: "r", Ticket: "1042", Source: "chatwoot"}, "ticket:chatwoot:1042"},
	}
	for _, tc := range tickets {
		if got := tc.r.Key(); got != tc.want {
			t.Errorf("Key(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestResolvedJSONRoundTrip(t *testing.T) {
	items := []Resolved{
		{Question: "q", Reply: "r"},
		{
			Question: "发票", Reply: "订单页申请", Agent: "小美", CSAT: ptr(4),
			ResolvedAt: time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC), Ticket: "T-9", Source: "import", Reusable: ptr(false),
		},
	}
	for _, want := range items {
		b, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var got Resolved
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", b, diff)
		}
	}
	if b, _ := json.Marshal(Resolved{Question: "q", Reply: "r"}); string(b) != `{"question":"q","reply":"r"}` {
		t.Errorf("unset fields are written: %s", b)
	}
}

func TestResolvedUnmarshalFieldErrors(t *testing.T) {
	var r Resolved
	err := json.Unmarshal([]byte(`{"question":"q","reply":"r","csat":"x","resolved_at":"soon"}`), &r)
	if !errors.Is(err, ErrInvalidResolved) || !strings.Contains(err.Error(), "csat") || !strings.Contains(err.Error(), "resolved_at") {
		t.Errorf("err = %v, want both field errors wrapping ErrInvalidResolved", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		r    Resolved
		want string
	}{
		{Resolved{Question: "q", Reply: "r", CSAT: ptr(1)}, ""},
		{Resolved{Question: "q", Reply: "r", CSAT: ptr(0)}, "invalid resolved reply: csat: 0 is not from 1 to 5"},
		{Resolved{Question: "q", Reply: "r", Agent: "\xfe"}, "invalid resolved reply: agent: invalid UTF-8"},
		{Resolved{Question: "\t", Reply: " "}, "invalid resolved reply: empty question\ninvalid resolved reply: empty reply"},
	}
	for _, tc := range tests {
		got := ""
		if err := tc.r.Validate(); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("Validate(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}
