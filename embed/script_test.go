package embed

import "testing"

func TestDetectScript(t *testing.T) {
	for _, c := range []struct {
		text string
		want Script
	}{
		{"訂單怎麼取消", ScriptTraditional},
		{"订单怎么取消", ScriptSimplified},
		{"我的SF單號查不到", ScriptTraditional},
		{"where is my order", ScriptLatin},
		{"12345 ？", ScriptUnknown},
		{"", ScriptUnknown},
		{"退货 refund", ScriptSimplified},
	} {
		if got := DetectScript(c.text); got != c.want {
			t.Errorf("DetectScript(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}
