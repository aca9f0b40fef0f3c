package index

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeFast(t *testing.T) {
	tests := []struct {
		in     string
		fast   bool // taken by the fast path
		nilErr bool
	}{
		{`{}`, true, true},
		{` {"a":1,"b":-2.5,"c":"x","d":[1,"y",null,true,false,{"e":{}}],"f":null} `, true, true},
		{`{"kb":"youxuan","title":"退货 怎么 办","n":9223372036854775807}`, true, true},
		{`{"big":9223372036854775808,"e":1e3,"neg0":-0,"frac":0.5E-2}`, true, true},
		{`{"a":1,"a":2}`, true, true},
		{`{"s":"a\"b\\c\/d\b\f\n\r\t"}`, true, true},
		{`{"s":"\u003c\u00e9\u4E2D\u0000"}`, true, true},          // json.Marshal's HTML escaping, any \u escape
		{`{"s":"\ud83d\ude00 x"}`, true, true},                    // a surrogate pair
		{`{"s":"\ud83d x"}`, false, true},                         // a lone surrogate: slow path writes U+FFFD
		{`{"s":"\ud83d\u0041"}`, false, true},                     // a high surrogate then no low one
		{`{"s":"\ude00"}`, false, true},                           // a lone low surrogate
		{`{"s":"{\"packet\":{\"q\":\"退货\"}}","n":1}`, true, true}, // JSON inside a string
		{"{\"s\":\"\xff\"}", false, true},                         // invalid UTF-8: slow path replaces it
		{"{\"s\":\"\\n\xff\"}", false, true},                      // the same after an escape
		{`{"s":"\x"}`, false, false},
		{`{"s":"\u12"}`, false, false},
		{`{"s":"\u12g4"}`, false, false},
		{`{"s":"a\`, false, false},
		{"{\"s\":\"\\n\x01\"}", false, false}, // a raw control character after an escape
		{`null`, false, true},
		{`[1]`, false, false},
		{`{"a":1} x`, false, true}, // trailing data: the decoder never reads it
		{`{"a":01}`, false, false},
		{`{"a":1e999}`, false, false},
		{`{"a":}`, false, false},
		{`{"a":1,}`, false, false},
		{``, false, false},
	}
	for _, tt := range tests {
		p, ok := decodeFast([]byte(tt.in))
		if ok != tt.fast {
			t.Errorf("%q: fast path %v, want %v", tt.in, ok, tt.fast)
		}
		want, err := decodeSlow([]byte(tt.in))
		if (err == nil) != tt.nilErr {
			t.Errorf("%q: slow path error %v", tt.in, err)
		}
		if ok {
			if d := cmp.Diff(want, p); d != "" {
				t.Errorf("%q (-slow +fast):\n%s", tt.in, d)
			}
		}
		got, gerr := DecodePayload([]byte(tt.in))
		if (gerr == nil) != (err == nil) || cmp.Diff(want, got) != "" {
			t.Errorf("%q: DecodePayload = %v, %v; want %v, %v", tt.in, got, gerr, want, err)
		}
	}
}

// FuzzDecodePayload: wherever the fast path takes an input, it decodes it
// exactly as encoding/json does.
func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2.5,"x",{"b":null}],"c":true}`, `{"n":-12e3}`, `{"s":"中文"}`, `{"a":1} `,
		`{"s":"a\"b\n\u00e9\ud83d\ude00"}`, `{"s":"\ud83d"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, ok := decodeFast(b)
		if !ok {
			return
		}
		want, err := decodeSlow(b)
		if err != nil {
			t.Fatalf("%q: fast path decoded what encoding/json refuses: %v", b, err)
		}
		if d := cmp.Diff(want, p); d != "" {
			t.Fatalf("%q (-slow +fast):\n%s", b, d)
		}
	})
}

func BenchmarkDecodePayload(b *testing.B) {
	for _, c := range []struct{ name, in string }{
		{"plain", `{"article_id":"a12345","kb":"youxuan","n":49383,"status":"published","tags":["退货","运费"],"valid_from":"2026-01-01T00:00:00Z"}`},
		{"escaped", `{"article_id":"a12345","answer":"第一步：打开订单。\n第二步：点\"申请退货\"。\n","packet":"{\"question\":\"怎么退货\",\"turns\":[\"你好\"]}"}`},
	} {
		in := []byte(c.in)
		b.Run(c.name+"/fast", func(b *testing.B) {
			for b.Loop() {
				_, _ = DecodePayload(in)
			}
		})
		b.Run(c.name+"/encoding-json", func(b *testing.B) {
			for b.Loop() {
				_, _ = decodeSlow(in)
			}
		})
	}
}
