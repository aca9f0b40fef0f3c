package embed

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/unicode/norm"
)

// checkNormalized asserts the invariants every Normalize result must hold:
// valid UTF-8, NFKC-normal, within the limit, trimmed, and a fixed point.
func checkNormalized(t testing.TB, n Normalizer, in, out string) {
	t.Helper()
	limit := n.MaxRunes
	if limit <= 0 {
		limit = DefaultMaxRunes
	}
	if !utf8.ValidString(out) {
		t.Fatalf("Normalize(%q) = %q: invalid UTF-8", in, out)
	}
	if c := utf8.RuneCountInString(out); c > limit {
		t.Fatalf("Normalize(%q) has %d runes, limit %d", in, c, limit)
	}
	if !norm.NFKC.IsNormalString(out) {
		t.Fatalf("Normalize(%q) = %q is not NFKC-normal", in, out)
	}
	if strings.TrimSpace(out) != out || strings.Contains(out, "  ") {
		t.Fatalf("Normalize(%q) = %q: untrimmed or doubled spaces", in, out)
	}
	again, err := n.Normalize(out)
	if err != nil {
		t.Fatalf("Normalize(Normalize(%q)): %v", in, err)
	}
	if again != out {
		t.Fatalf("Normalize is not idempotent on %q:\n once:  %q\n twice: %q", in, out, again)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"order query", "訂單查詢", "订单查询"},
		{"shipping fee", "運費", "运费"},
		{"return", "退貨", "退货"},
		{"invoice", "發票", "发票"},
		{"full-width latin and digits", "ＡＢＣ１２３", "abc123"},
		{"full-width punctuation", "請問：運費多少？（急）！", "请问:运费多少?(急)!"},
		{"mixed", "我的訂單 ST-771 還沒到！", "我的订单 st-771 还没到!"},
		{"ideographic space", "退貨\u3000運費", "退货 运费"},
		{"whitespace runs", "  where\tis\n\n my   ORDER?\r\n", "where is my order?"},
		{"unicode whitespace", "a\u00a0b\u2003c\u2028d\u0085e", "a b c d e"},
		{"zero-width and BOM", "\ufeff退\u200b貨\u200d單\u2060號", "退货单号"},
		{"soft hyphen", "trans\u00adpor\u00adtation", "transportation"},
		{"controls", "a\x00b\x1fc\x7fd", "abcd"},
		{"bidi marks", "\u202a訂單\u202c", "订单"},
		{"already normalized", "我的订单 st-771 还没到", "我的订单 st-771 还没到"},
		{"empty", "", ""},
		{"only spaces and controls", " \t\u200b\n ", ""},
		{"circled and compat", "①号 ㈱ ㎏ ﬁ", "1号 (株) kg fi"},
		{"half-width katakana", "ｶﾀｶﾅ", "カタカナ"},
		{"compatibility ideograph", "\uf900", "岂"},
		{"variant 衞", "衞生紙", "卫生纸"},
		{"variant 枱 and 粧", "枱面化粧", "台面化妆"},
		{"phrase 回覆", "客服回覆很慢", "客服回复很慢"},
		{"phrase 瞭解", "我想瞭解退貨流程", "我想了解退货流程"},
		{"phrase 項鍊", "項鍊的拉鍊壞了", "项链的拉链坏了"},
		{"phrase 傢俱", "傢俱運費", "家具运费"},
		{"char-level 瞭望 kept", "瞭望台", "瞭望台"},
		{"lowercase greek and cyrillic", "ΣΟΦΙΑ Москва", "σοφια москва"},
		{"dotted capital I", "İstanbul", "istanbul"},
		{"lowercase composes", "T\u0308", "ẗ"},
		{"dropped format char composes", "e\u200b\u0301", "é"},
		{"emoji kept", "好評👍🏻", "好评👍🏻"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Normalize(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			checkNormalized(t, Normalizer{}, tt.in, got)
		})
	}
}

func ExampleNormalize() {
	for _, s := range []string{"我的訂單 ST-771 還沒到！", "ＡＢＣ１２３", "請回覆\u200b運費"} {
		out, err := Normalize(s)
		if err != nil {
			panic(err)
		}
		fmt.Println(out)
	}
	// Output:
	// 我的订单 st-771 还没到!
	// abc123
	// 请回复运费
}

func TestNormalizeInvalidUTF8(t *testing.T) {
	for _, in := range []string{"\xff", "訂單\xc3", "abc\x80def", "\xed\xa0\x80", string([]byte{0xe8, 0xa8})} {
		got, err := Normalize(in)
		if !errors.Is(err, ErrInvalidUTF8) {
			t.Errorf("Normalize(%q) error = %v, want ErrInvalidUTF8", in, err)
		}
		if got != "" {
			t.Errorf("Normalize(%q) = %q with an error, want \"\"", in, got)
		}
	}
}

func TestNormalizeTruncate(t *testing.T) {
	tests := []struct {
		name string
		max  int
		in   string
		want string
	}{
		{"ascii", 5, "hello world", "hello"},
		{"no trailing space", 6, "hello world", "hello"},
		{"space counts", 7, "hello world", "hello w"},
		{"cjk at rune boundary", 3, "訂單查詢", "订单查"},
		{"after collapsing", 5, "a    b    c", "a b c"},
		{"exact fit", 4, "訂單查詢", "订单查询"},
		{"leading space not counted", 2, "   ab", "ab"},
		{"phrase cut by the limit", 2, "我回覆", "我回"},
		{"phrase within the limit", 3, "我回覆", "我回复"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Normalizer{MaxRunes: tt.max}
			got, err := n.Normalize(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Normalize(%q) with MaxRunes %d mismatch (-want +got):\n%s", tt.in, tt.max, diff)
			}
			checkNormalized(t, n, tt.in, got)
		})
	}
	t.Run("default limit", func(t *testing.T) {
		got, err := Normalize(strings.Repeat("訂", DefaultMaxRunes+10))
		if err != nil {
			t.Fatal(err)
		}
		if c := utf8.RuneCountInString(got); c != DefaultMaxRunes {
			t.Errorf("got %d runes, want %d", c, DefaultMaxRunes)
		}
	})
	t.Run("negative means default", func(t *testing.T) {
		got, err := Normalizer{MaxRunes: -1}.Normalize(strings.Repeat("a", DefaultMaxRunes+1))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != DefaultMaxRunes {
			t.Errorf("got %d runes, want %d", len(got), DefaultMaxRunes)
		}
	})
}

// Normalized text (the common case at query time once cached, and every
// idempotence check) must not allocate.
func TestNormalizeNoAllocWhenNormal(t *testing.T) {
	for _, s := range []string{"where is my order st-771", "我的订单 st-771 还没到,运费多少?", "  trailing and leading  "} {
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := Normalize(s); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Normalize(%q): %v allocations, want 0", s, allocs)
		}
	}
}

func TestT2STable(t *testing.T) {
	if n := len(t2sPairs) / 2; n <= 4000 {
		t.Fatalf("t2s table has %d entries, want > 4000 (OpenCC TSCharacters has 4113)", n)
	}
	if t2sDataVersion != "1.1.6" {
		t.Errorf("t2sDataVersion = %q, want 1.1.6", t2sDataVersion)
	}
	keys := map[uint32]bool{}
	for i := 0; i < len(t2sPairs); i += 2 {
		k, v := t2sPairs[i], t2sPairs[i+1]
		if i > 0 && k <= t2sPairs[i-2] {
			t.Fatalf("t2sPairs not strictly ascending at %U", k)
		}
		if k == v {
			t.Errorf("%c maps to itself", rune(k))
		}
		keys[k] = true
	}
	for i := 1; i < len(t2sPairs); i += 2 {
		if keys[t2sPairs[i]] {
			t.Errorf("value %c is also a key: conversion would not be idempotent", rune(t2sPairs[i]))
		}
	}
}

func TestT2SSpotCheck(t *testing.T) {
	// Everyday customer-service characters with their OpenCC mappings.
	tests := map[rune]rune{
		'國': '国', '書': '书', '們': '们', '說': '说', '話': '话', '買': '买',
		'賣': '卖', '號': '号', '碼': '码', '優': '优', '價': '价', '錢': '钱',
		'顏': '颜', '讓': '让', '問': '问', '題': '题', '換': '换', '貨': '货',
		'髮': '发', '後': '后', '裡': '里', '麵': '面', '臺': '台', '週': '周',
		'乾': '干', '於': '于', '隻': '只', '寶': '宝', '廣': '广', '龍': '龙',
		'鬱': '郁', '灣': '湾', '歲': '岁', '𡻕': '岁', // astral key
		'溫': '温', '眾': '众', '裏': '里', '爲': '为', '為': '为',
	}
	for in, want := range tests {
		if got := t2s(in); got != want {
			t.Errorf("t2s(%c) = %c, want %c", in, got, want)
		}
	}
	// Simplified, shared and ambiguous self-mapping characters stay.
	for _, r := range "订单查询退货运费了瞭覆藉么吃才台只后干面里着" {
		if got := t2s(r); got != r {
			t.Errorf("t2s(%c) = %c, want unchanged", r, got)
		}
	}
}

func TestT2SPhrases(t *testing.T) {
	if len(t2sPhrases) < 100 {
		t.Fatalf("only %d phrases", len(t2sPhrases))
	}
	for i, p := range t2sPhrases {
		if i > 0 && p[0] <= t2sPhrases[i-1][0] {
			t.Errorf("t2sPhrases not sorted at %q", p[0])
		}
		if utf8.RuneCountInString(p[0]) != utf8.RuneCountInString(p[1]) {
			t.Errorf("phrase %q → %q changes length", p[0], p[1])
		}
		for _, r := range p[1] {
			if t2s(r) != r {
				t.Errorf("phrase output %q holds %c, which the table converts", p[1], r)
			}
		}
	}
	// Every pair of phrases, concatenated in both orders and overlapping
	// by one character where possible, must normalize idempotently.
	for _, a := range t2sPhrases {
		for _, b := range t2sPhrases {
			for _, in := range []string{a[0] + b[0], a[1] + b[0], a[0] + b[1]} {
				out, err := Normalize(in)
				if err != nil {
					t.Fatal(err)
				}
				if again, _ := Normalize(out); again != out {
					t.Fatalf("not idempotent on %q: %q then %q", in, out, again)
				}
			}
		}
	}
}

func TestNormalizeConcurrent(t *testing.T) {
	const in = "我的訂單 ST-771 還沒到！請儘快回覆"
	want, _ := Normalize(in)
	done := make(chan string)
	for range 8 {
		go func() {
			out := ""
			for range 200 {
				out, _ = Normalize(in)
			}
			done <- out
		}()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Errorf("concurrent Normalize = %q, want %q", got, want)
		}
	}
}

// benchSentence is a typical customer question (~40 characters), mixed
// traditional Chinese, Latin and full-width punctuation.
const benchSentence = "您好，我的訂單 ST-771 還沒到，請問運費怎麼退？物流單號 SF1234567890"

// benchPassage builds a ~1000-character knowledge-base passage.
func benchPassage() string {
	const para = "退貨政策：商品簽收後七天內可申請無理由退貨，請保持商品完好並附上發票。" +
		"運費由買家承擔，品質問題除外。Refund is issued within 3-5 business days. " +
		"如需協助請聯繫客服，我們會盡快回覆您的問題。\n"
	var b strings.Builder
	for utf8.RuneCountInString(b.String()) < 1000 {
		b.WriteString(para)
	}
	return string([]rune(b.String())[:1000])
}

func BenchmarkNormalize(b *testing.B) {
	passage := benchPassage()
	simplePassage, _ := Normalize(passage)
	cases := []struct{ name, in string }{
		{"sentence", benchSentence},
		{"ascii", "Hi, where is my ORDER st-771? It has not arrived yet!"},
		{"passage1000", passage},
		{"normalized1000", simplePassage},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Normalize(c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkT2SLookup compares representations of the character table on a
// mix of traditional, simplified and Latin characters: a map of all keys
// built at init, binary search over the generated sorted pair array, and the
// bitmap with rank counts that t2s uses.
func BenchmarkT2SLookup(b *testing.B) {
	input := []rune(benchPassage())
	lookups := []struct {
		name string
		f    func(rune) rune
	}{
		{"map", t2sMap},
		{"binary", t2sBinary},
		{"bitmap-rank", t2s},
	}
	for _, l := range lookups {
		b.Run(l.name, func(b *testing.B) {
			var sink rune
			for b.Loop() {
				for _, r := range input {
					sink += l.f(r)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(input)), "ns/rune")
			_ = sink
		})
	}
}

var t2sAllKeys = func() map[rune]rune {
	m := make(map[rune]rune, len(t2sPairs)/2)
	for i := 0; i < len(t2sPairs); i += 2 {
		m[rune(t2sPairs[i])] = rune(t2sPairs[i+1])
	}
	return m
}()

// t2sMap looks r up in a map of all keys.
func t2sMap(r rune) rune {
	if s, ok := t2sAllKeys[r]; ok {
		return s
	}
	return r
}

// t2sBinary looks r up by binary search over the sorted pairs.
func t2sBinary(r rune) rune {
	k := uint32(r)
	lo, hi := 0, len(t2sPairs)/2
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if t2sPairs[2*mid] < k {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(t2sPairs)/2 && t2sPairs[2*lo] == k {
		return rune(t2sPairs[2*lo+1])
	}
	return r
}

// The three lookups agree on every rune.
func TestT2SLookupsAgree(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := t2sMap(r)
		if got := t2sBinary(r); got != want {
			t.Fatalf("%U: binary search gives %U, map %U", r, got, want)
		}
		if got := t2s(r); got != want {
			t.Fatalf("%U: t2s gives %U, map %U", r, got, want)
		}
	}
}

// classify's fast range has no case, space or control characters.
func TestClassifyCJKRange(t *testing.T) {
	for r := rune(0x3001); r < 0xA000; r++ {
		if unicode.IsSpace(r) || unicode.In(r, unicode.Cc, unicode.Cf) || unicode.ToLower(r) != r {
			t.Errorf("%U needs classify's general path", r)
		}
	}
}

// nfkcInert and fullWidth agree with x/text's tables.
func TestNFKCInert(t *testing.T) {
	for r := rune(0); r < 0x10000; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		if nfkcInert(r) {
			p := norm.NFKC.PropertiesString(s)
			if norm.NFKC.String(s) != s || !p.BoundaryBefore() {
				t.Errorf("%U is not NFKC-inert", r)
			}
		}
		if a, ok := fullWidth(r); ok {
			p := norm.NFKC.PropertiesString(s)
			if norm.NFKC.String(s) != string(a) || !p.BoundaryBefore() {
				t.Errorf("NFKC(%U) = %q, fullWidth says %q", r, norm.NFKC.String(s), a)
			}
		}
	}
}

// normalizeAlphabet mixes the characters that interact in normalization:
// case, combining marks, Hangul jamo, zero-width and control characters,
// full-width forms, every kind of space, traditional characters and the
// characters of phrase rewrites.
var normalizeAlphabet = []rune("aAtTeEiIİσΣ\u0301\u0308\u0323\u0331\u0342\u0345\u0307\u3099" +
	"\u1100\u1161\u11a8가\u200b\u200d\ufeff\u00ad\x00\x1f\u0085 \t\n\u3000\u00a0" +
	"ＡＴａ１！？（¨ﬁ㈱①\uf900𝐓訂單號運費回覆瞭解項鍊傢俱計畫藉手露覆反重答家拉炼画钟后乾")

// TestNormalizeRandomInvariants checks the Normalize invariants on seeded
// random strings over normalizeAlphabet.
func TestNormalizeRandomInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		rs := make([]rune, 1+rng.IntN(12))
		for i := range rs {
			rs[i] = normalizeAlphabet[rng.IntN(len(normalizeAlphabet))]
		}
		in := string(rs)
		nz := Normalizer{MaxRunes: 1 + rng.IntN(16)}
		out, err := nz.Normalize(in)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", in, err)
		}
		checkNormalized(t, nz, in, out)
	}
}

func FuzzNormalize(f *testing.F) {
	seeds := []string{
		"", " ", "訂單查詢", "ＡＢＣ１２３", "我的訂單 ST-771 還沒到！", benchSentence,
		"\u200b\ufeff", "T\u0308", "e\u200b\u0301", "İ\u0307", "\u1100\u200b\u1161",
		"a\u00a8b", "\u00a8", "  x  ", "\xff\xfe", "ﬁ", "㈱", "回覆瞭解項鍊傢俱",
		"藉手鍊", "露覆露", "反覆覆", "𝐓\u0308", "\u0345Ω\u0342", "ᾼ",
		strings.Repeat("訂單 ", 50),
	}
	for i, p := range t2sPhrases {
		if i%10 == 0 {
			seeds = append(seeds, p[0]+p[1])
		}
	}
	for _, s := range seeds {
		f.Add(s, 0)
		f.Add(s, 7)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		n := Normalizer{MaxRunes: max % 64}
		out, err := n.Normalize(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidUTF8) || utf8.ValidString(s) {
				t.Fatalf("Normalize(%q): unexpected error %v", s, err)
			}
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("Normalize(%q) accepted invalid UTF-8", s)
		}
		checkNormalized(t, n, s, out)
	})
}
