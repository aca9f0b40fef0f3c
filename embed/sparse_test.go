package embed

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func newTestSparseEncoder(t testing.TB) *SparseEncoder {
	t.Helper()
	e, err := NewSparseEncoder(DefaultSparseConfig())
	if err != nil {
		t.Fatalf("NewSparseEncoder(defaults): %v", err)
	}
	return e
}

// checkSparse asserts the invariants of every SparseVector.
func checkSparse(t testing.TB, what string, v SparseVector) {
	t.Helper()
	if len(v.Indices) != len(v.Values) {
		t.Fatalf("%s: %d indices, %d values", what, len(v.Indices), len(v.Values))
	}
	if v.Indices == nil || v.Values == nil {
		t.Fatalf("%s: nil slices", what)
	}
	for i, x := range v.Values {
		if i > 0 && v.Indices[i] <= v.Indices[i-1] {
			t.Fatalf("%s: indices not strictly ascending at %d: %v", what, i, v.Indices)
		}
		if !(x > 0) || math.IsInf(float64(x), 0) {
			t.Fatalf("%s: value %d is %v", what, i, x)
		}
	}
}

func TestSparseTerms(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"chinese", "订单怎么取消", []string{"订", "订单", "单", "单怎", "怎", "怎么", "么", "么取", "取", "取消", "消"}},
		{"single han", "好", []string{"好"}},
		{"english", "where is my order", []string{"where", "is", "my", "order"}},
		{"mixed with sku", "我的订单 st-771 还没到", []string{
			"我", "我的", "的", "的订", "订", "订单", "单",
			"st-771", "st", "771",
			"还", "还没", "没", "没到", "到"}},
		{"tracking number", "tracking sf1234567890 退货", []string{
			"tracking", "sf1234567890", "sf", "1234567890", "退", "退货", "货"}},
		{"scripts touching", "订单st771号", []string{"订", "订单", "单", "st771", "st", "771", "号"}},
		{"long number", "单号20230815123456", []string{"单", "单号", "号", "20230815123456"}},
		{"decimal price", "价格:¥99.00, 9.9元", []string{"价", "价格", "格", "99.00", "9.9", "元"}},
		{"date", "2023-08-15 发货", []string{"2023-08-15", "发", "发货", "货"}},
		{"phone", "138-0013-8000", []string{"138-0013-8000"}},
		{"unit", "1.5kg", []string{"1.5kg", "1.5", "kg"}},
		{"version", "v2.0", []string{"v2.0", "v", "2.0"}},
		{"model", "iphone15pro", []string{"iphone15pro", "iphone", "15", "pro"}},
		{"identifier with underscore and slash", "ab_12/cd", []string{"ab_12/cd", "ab", "12", "cd"}},
		{"words joined by punctuation", "e-mail wi-fi/蓝牙 and/or a.b", []string{
			"e", "mail", "wi", "fi", "蓝", "蓝牙", "牙", "and", "or", "a", "b"}},
		{"double joiner splits", "st--771", []string{"st", "771"}},
		{"trailing and leading joiners", "-5 st- thanks. 1.5.", []string{"5", "st", "thanks", "1.5"}},
		{"hash is not a joiner", "order#123", []string{"order", "123"}},
		{"apostrophe", "don't", []string{"don", "t"}},
		{"accents and combining marks", "naïve cafe\u0301", []string{"naïve", "cafe\u0301"}},
		{"cyrillic", "заказ 42", []string{"заказ", "42"}},
		{"kana with prolonged mark", "カード", []string{"カ", "カー", "ー", "ード", "ド"}},
		{"hangul", "배송", []string{"배", "배송", "송"}},
		{"emoji and symbols separate", "好评👍很快", []string{"好", "好评", "评", "很", "很快", "快"}},
		{"punctuation only", "!!! ... ,,,", []string{}},
		{"empty", "", []string{}},
	}
	e := newTestSparseEncoder(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, e.Terms(tt.in)); diff != "" {
				t.Errorf("Terms(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func ExampleSparseEncoder_Terms() {
	e, err := NewSparseEncoder(DefaultSparseConfig())
	if err != nil {
		panic(err)
	}
	text, err := Normalize("訂單 ST-771 怎麼取消？")
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.Join(e.Terms(text), " "))
	v := e.EncodeQuery(text)
	fmt.Println(len(v.Indices), v.Values[0])
	// Output:
	// 订 订单 单 st-771 st 771 怎 怎么 么 么取 取 取消 消
	// 13 1
}

// vectorOf builds the expected vector from term weights.
func vectorOf(weights map[string]float32) SparseVector {
	v := SparseVector{Indices: []uint32{}, Values: []float32{}}
	terms := make([]string, 0, len(weights))
	for term := range weights {
		terms = append(terms, term)
	}
	slices.SortFunc(terms, func(a, b string) int { return int(int64(TermID(a)) - int64(TermID(b))) })
	for _, term := range terms {
		v.Indices = append(v.Indices, TermID(term))
		v.Values = append(v.Values, weights[term])
	}
	return v
}

func TestSparseEncodeDocumentBM25(t *testing.T) {
	approx := cmpopts.EquateApprox(0, 1e-6)
	e := newTestSparseEncoder(t)
	// "refund refund order": dl = 3, k1 = 1.2, b = 0.75, avgdl = 24.
	// K = 1.2·(1 − 0.75 + 0.75·3/24) = 0.4125
	// refund: 2·2.2/(2 + 0.4125) = 1.8238342; order: 2.2/1.4125 = 1.5575221
	got := e.EncodeDocument("refund refund order")
	want := vectorOf(map[string]float32{"refund": 1.8238342, "order": 1.5575221})
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("EncodeDocument mismatch (-want +got):\n%s", diff)
	}
	// "退货 退货 运费": terms 退 退货 货 ×2, 运 运费 费: dl = 9.
	// K = 1.2·(0.25 + 0.75·9/24) = 0.6375
	// tf 2: 4.4/2.6375 = 1.6682464; tf 1: 2.2/1.6375 = 1.3435115
	got = e.EncodeDocument("退货 退货 运费")
	want = vectorOf(map[string]float32{
		"退": 1.6682464, "退货": 1.6682464, "货": 1.6682464,
		"运": 1.3435115, "运费": 1.3435115, "费": 1.3435115,
	})
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("EncodeDocument mismatch (-want +got):\n%s", diff)
	}
	checkSparse(t, "document", got)
}

func TestSparseEncodeDocumentConfig(t *testing.T) {
	approx := cmpopts.EquateApprox(0, 1e-6)
	tests := []struct {
		name string
		cfg  SparseConfig
		want map[string]float32
	}{
		// k1 = 0: binary weights.
		{"k1 zero", SparseConfig{K1: 0, B: 0.75, AvgDocLen: 24}, map[string]float32{"a": 1, "b": 1}},
		// b = 0: no length normalization: tf·2.2/(tf + 1.2).
		{"b zero", SparseConfig{K1: 1.2, B: 0, AvgDocLen: 24}, map[string]float32{"a": 4.4 / 3.2, "b": 1}},
		// b = 1, avgdl = 3 = dl: K = 1.2.
		{"b one at average length", SparseConfig{K1: 1.2, B: 1, AvgDocLen: 3}, map[string]float32{"a": 4.4 / 3.2, "b": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := NewSparseEncoder(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := e.EncodeDocument("a b a")
			if diff := cmp.Diff(vectorOf(tt.want), got, approx); diff != "" {
				t.Errorf("EncodeDocument mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSparseEncodeQuery(t *testing.T) {
	e := newTestSparseEncoder(t)
	got := e.EncodeQuery("退货 退货 st-771")
	want := vectorOf(map[string]float32{"退": 1, "退货": 1, "货": 1, "st-771": 1, "st": 1, "771": 1})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EncodeQuery mismatch (-want +got):\n%s", diff)
	}
	checkSparse(t, "query", got)
}

func TestSparseEmpty(t *testing.T) {
	e := newTestSparseEncoder(t)
	for _, in := range []string{"", " ", "!?。,"} {
		for what, v := range map[string]SparseVector{"document": e.EncodeDocument(in), "query": e.EncodeQuery(in)} {
			checkSparse(t, what, v)
			if len(v.Indices) != 0 {
				t.Errorf("%s of %q has %d entries, want 0", what, in, len(v.Indices))
			}
		}
	}
}

func TestSparseCollisionsMerge(t *testing.T) {
	const a, b = "glbvs", "yacxa" // found by search: equal FNV-1a 32 hashes
	if TermID(a) != TermID(b) {
		t.Fatalf("TermID(%q) = %#x, TermID(%q) = %#x: not a collision", a, TermID(a), b, TermID(b))
	}
	e := newTestSparseEncoder(t)
	doc := e.EncodeDocument(a + " " + b)
	// One id with tf 2, dl 2: K = 1.2·(0.25 + 0.75·2/24) = 0.375; 4.4/2.375.
	want := SparseVector{Indices: []uint32{TermID(a)}, Values: []float32{4.4 / 2.375}}
	if diff := cmp.Diff(want, doc, cmpopts.EquateApprox(0, 1e-6)); diff != "" {
		t.Errorf("EncodeDocument(%q) mismatch (-want +got):\n%s", a+" "+b, diff)
	}
	q := e.EncodeQuery(a + " " + b)
	if diff := cmp.Diff(SparseVector{Indices: []uint32{TermID(a)}, Values: []float32{1}}, q); diff != "" {
		t.Errorf("EncodeQuery(%q) mismatch (-want +got):\n%s", a+" "+b, diff)
	}
}

func TestSparseDeterministic(t *testing.T) {
	text := sparseBenchPassage()
	e1, e2 := newTestSparseEncoder(t), newTestSparseEncoder(t)
	want := e1.EncodeDocument(text)
	checkSparse(t, "document", want)
	done := make(chan SparseVector)
	for i := range 8 {
		go func() {
			e := e1
			if i%2 == 1 {
				e = e2
			}
			var v SparseVector
			for range 50 {
				v = e.EncodeDocument(text)
			}
			done <- v
		}()
	}
	for range 8 {
		if diff := cmp.Diff(want, <-done); diff != "" {
			t.Fatalf("EncodeDocument not deterministic (-first +later):\n%s", diff)
		}
	}
}

func TestTermIDGolden(t *testing.T) {
	// FNV-1a 32: the first three are the reference test vectors.
	tests := map[string]uint32{
		"":             0x811c9dc5,
		"a":            0xe40c292c,
		"foobar":       0xbf9cf968,
		"订单":           0x055338a0,
		"退货":           0x4883aff5,
		"st-771":       0x5a886fee,
		"sf1234567890": 0x54e610c5,
	}
	for term, want := range tests {
		if got := TermID(term); got != want {
			t.Errorf("TermID(%q) = %#08x, want %#08x", term, got, want)
		}
	}
}

func TestSparseConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  SparseConfig
		want []string // keys named in the error; none means valid
	}{
		{"defaults", DefaultSparseConfig(), nil},
		{"edges", SparseConfig{K1: 0, B: 1, AvgDocLen: 0.5}, nil},
		{"negative k1", SparseConfig{K1: -0.1, B: 0.75, AvgDocLen: 24}, []string{"embed.sparse.k1"}},
		{"huge k1", SparseConfig{K1: 1e9, B: 0.75, AvgDocLen: 24}, []string{"embed.sparse.k1"}},
		{"NaN k1", SparseConfig{K1: math.NaN(), B: 0.75, AvgDocLen: 24}, []string{"embed.sparse.k1"}},
		{"b above one", SparseConfig{K1: 1.2, B: 1.5, AvgDocLen: 24}, []string{"embed.sparse.b"}},
		{"negative b", SparseConfig{K1: 1.2, B: -0.5, AvgDocLen: 24}, []string{"embed.sparse.b"}},
		{"zero avg", SparseConfig{K1: 1.2, B: 0.75}, []string{"embed.sparse.avg_doc_len"}},
		{"infinite avg", SparseConfig{K1: 1.2, B: 0.75, AvgDocLen: math.Inf(1)}, []string{"embed.sparse.avg_doc_len"}},
		{"all bad", SparseConfig{K1: -1, B: 2, AvgDocLen: -3}, []string{"embed.sparse.k1", "embed.sparse.b", "embed.sparse.avg_doc_len"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if _, err := NewSparseEncoder(tt.cfg); err != nil {
					t.Fatalf("NewSparseEncoder: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %v", tt.want)
			}
			for _, key := range tt.want {
				if !strings.Contains(err.Error(), key+":") {
					t.Errorf("Validate() = %q, want it to name %s", err, key)
				}
			}
			if _, err := NewSparseEncoder(tt.cfg); err == nil {
				t.Error("NewSparseEncoder accepted an invalid config")
			}
		})
	}
}

// Weights stay finite and positive at the extremes of the config.
func TestSparseExtremeConfig(t *testing.T) {
	text := strings.Repeat("订单 st-771 ", 2000)
	for _, cfg := range []SparseConfig{
		{K1: maxK1, B: 1, AvgDocLen: 1e-300},
		{K1: maxK1, B: 1, AvgDocLen: math.MaxFloat64},
		{K1: 0, B: 0, AvgDocLen: 1},
	} {
		e, err := NewSparseEncoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		checkSparse(t, "document", e.EncodeDocument(text))
	}
}

// sparseBenchPassage is a ~200-character normalized Chinese passage.
func sparseBenchPassage() string {
	return "退货政策:商品签收后七天内可申请无理由退货,请保持商品完好、配件齐全并附上发票。" +
		"退货运费由买家承担,如因质量问题退货,运费由我们承担。退款将在仓库收到退货后3-5个工作日内原路退回," +
		"使用优惠券的订单按实际支付金额退款。定制商品、生鲜食品和已拆封的个人护理用品不支持无理由退货。" +
		"如需帮助,请在订单详情页联系在线客服,提供订单号(例如st-771)和物流单号sf1234567890,我们会尽快处理。"
}

func BenchmarkSparseEncodeDocument(b *testing.B) {
	e := newTestSparseEncoder(b)
	text := sparseBenchPassage()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		e.EncodeDocument(text)
	}
}

func BenchmarkSparseEncodeQuery(b *testing.B) {
	e := newTestSparseEncoder(b)
	const text = "我的订单 st-771 还没到,运费怎么退?"
	b.ReportAllocs()
	for b.Loop() {
		e.EncodeQuery(text)
	}
}

func FuzzSparseEncode(f *testing.F) {
	for _, s := range []string{
		"", "订单怎么取消", "我的订单 st-771 还没到", "tracking sf1234567890 退货",
		"9.9 1.5kg v2.0 a-b-c st--771 -5 x. .x", "カード 배송 naïve", "\xff\xfe", "a\u0301-1",
		"1.a", "a.1.", "_-./", sparseBenchPassage(),
	} {
		f.Add(s)
	}
	e := newTestSparseEncoder(f)
	f.Fuzz(func(t *testing.T, s string) {
		terms := e.Terms(s)
		for _, term := range terms {
			if term == "" || !strings.Contains(s, term) {
				t.Fatalf("Terms(%q) has %q", s, term)
			}
		}
		doc, q := e.EncodeDocument(s), e.EncodeQuery(s)
		checkSparse(t, "document", doc)
		checkSparse(t, "query", q)
		if !slices.Equal(doc.Indices, q.Indices) {
			t.Fatalf("document and query of %q have different terms", s)
		}
		if len(terms) < len(doc.Indices) || (len(terms) > 0) != (len(doc.Indices) > 0) {
			t.Fatalf("%d terms but %d indices for %q", len(terms), len(doc.Indices), s)
		}
	})
}
