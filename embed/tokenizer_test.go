package embed

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// bgeZhDir is the shared copy of the bge-small-zh-v1.5 tokenizer files,
// relative to the folder that holds the repository (i.e. /work/shared/...).
const bgeZhDir = "shared/models/bge-small-zh-v1.5"

// sharedBGETokenizerPath walks up from the test's working directory to find
// shared/models/bge-small-zh-v1.5/tokenizer.json, skipping the test when the
// shared models are not present on this machine.
func sharedBGETokenizerPath(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, bgeZhDir, TokenizerFile)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skipf("no %s/%s in any parent of the working directory; the shared models folder (e.g. /work/shared) is needed for tokenizer tests", bgeZhDir, TokenizerFile)
		}
		dir = parent
	}
}

func loadBGE(t testing.TB, maxTokens int) *Tokenizer {
	t.Helper()
	tok, err := LoadTokenizer(sharedBGETokenizerPath(t), maxTokens)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The expected ids below were derived from vocab.txt (0-based line number =
// id) following BERT's basic tokenizer (CJK characters split, punctuation
// split, no lowercasing: the file sets "lowercase": false) and greedy
// longest-match WordPiece:
//
//	[CLS]=101 [SEP]=102 [UNK]=100
//	订=6370 单=1296 怎=2582 么=720 取=1357 消=3867
//	how=9510 do=8895 i=151 return=12330 this=8554
//	我=2769 的=4638 st=8811 -=118 77=8411 ##1=8148 (no "771") 还=6820 没=3766 到=1168
//	退=6842 货=6573 运=6817 费=6589 谁=6443 承=2824 担=2857 ？=8043 (full-width)
//	hello=8701, but no "Hello" nor "H" + "##ello" path: capitals are [UNK]
func TestTokenizerEncodeIDs(t *testing.T) {
	tok := loadBGE(t, 512)
	tests := []struct {
		text string
		want []int64
	}{
		{"订单怎么取消", []int64{101, 6370, 1296, 2582, 720, 1357, 3867, 102}},
		{"how do i return this", []int64{101, 9510, 8895, 151, 12330, 8554, 102}},
		{"我的订单st-771还没到", []int64{101, 2769, 4638, 6370, 1296, 8811, 118, 8411, 8148, 6820, 3766, 1168, 102}},
		{"退货运费谁承担？", []int64{101, 6842, 6573, 6817, 6589, 6443, 2824, 2857, 8043, 102}},
		{"  how   do\ti\nreturn this  ", []int64{101, 9510, 8895, 151, 12330, 8554, 102}},
		{"hello Hello", []int64{101, 8701, 100, 102}},
		{"", []int64{101, 102}},
		{" \t\n", []int64{101, 102}},
	}
	for _, tt := range tests {
		got, err := tok.Encode(tt.text)
		if err != nil {
			t.Fatalf("Encode(%q): %v", tt.text, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Encode(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

func TestTokenizerPadID(t *testing.T) {
	if got := loadBGE(t, 512).PadID(); got != 0 {
		t.Errorf("PadID() = %d, want 0 ([PAD])", got)
	}
}

func TestTokenizerTruncation(t *testing.T) {
	full := loadBGE(t, 8192)
	for _, maxTokens := range []int{3, 16, 512} {
		tok := loadBGE(t, maxTokens)
		texts := map[string]string{
			"chinese": string([]rune(strings.Repeat("订单怎么取消", 170))[:1000]),
			"english": strings.Repeat("how do i return this ", 120), // 600 tokens
			"mixed":   strings.Repeat("我的订单st-771还没到", 80),
		}
		for name, text := range texts {
			got, err := tok.Encode(text)
			if err != nil {
				t.Fatalf("max %d %s: %v", maxTokens, name, err)
			}
			if len(got) != maxTokens {
				t.Errorf("max %d %s: got %d ids, want %d", maxTokens, name, len(got), maxTokens)
			}
			if got[0] != 101 || got[len(got)-1] != 102 {
				t.Errorf("max %d %s: ids start %d end %d, want [CLS]=101 ... [SEP]=102", maxTokens, name, got[0], got[len(got)-1])
			}
			// The kept prefix is the untruncated tokenization's prefix.
			all, err := full.Encode(text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(all[:maxTokens-1], got[:maxTokens-1]); diff != "" {
				t.Errorf("max %d %s: truncated prefix differs (-want +got):\n%s", maxTokens, name, diff)
			}
		}
	}
}

func TestTokenizerEncodeBatch(t *testing.T) {
	tok := loadBGE(t, 8)
	texts := []string{
		"订单怎么取消",               // 8 ids
		"",                     // 2 ids
		"how do i return this", // 7 ids
		"退货运费谁承担？退货运费谁承担？退货运费谁承担？", // truncated to 8
		"hello", // 3 ids
	}
	b, err := tok.EncodeBatch(texts)
	if err != nil {
		t.Fatal(err)
	}
	want := Batch{
		Rows: 5, Cols: 8,
		Lengths: []int{8, 2, 7, 8, 3},
		IDs: []int64{
			101, 6370, 1296, 2582, 720, 1357, 3867, 102,
			101, 102, 0, 0, 0, 0, 0, 0,
			101, 9510, 8895, 151, 12330, 8554, 102, 0,
			101, 6842, 6573, 6817, 6589, 6443, 2824, 102,
			101, 8701, 102, 0, 0, 0, 0, 0,
		},
		Mask: []int64{
			1, 1, 1, 1, 1, 1, 1, 1,
			1, 1, 0, 0, 0, 0, 0, 0,
			1, 1, 1, 1, 1, 1, 1, 0,
			1, 1, 1, 1, 1, 1, 1, 1,
			1, 1, 1, 0, 0, 0, 0, 0,
		},
		TypeIDs: make([]int64, 40),
	}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Errorf("EncodeBatch (-want +got):\n%s", diff)
	}

	// Padding is to the longest text in the batch, not to MaxTokens.
	b, err = tok.EncodeBatch([]string{"hello", ""})
	if err != nil {
		t.Fatal(err)
	}
	if b.Cols != 3 || len(b.IDs) != 6 {
		t.Errorf("short batch: Cols=%d len(IDs)=%d, want 3 and 6", b.Cols, len(b.IDs))
	}

	b, err = tok.EncodeBatch(nil)
	if err != nil || b.Rows != 0 || b.Cols != 0 || len(b.IDs) != 0 {
		t.Errorf("empty batch: %+v, %v", b, err)
	}
}

// A large batch takes the parallel path; it must equal one-by-one encoding.
func TestTokenizerEncodeBatchParallel(t *testing.T) {
	tok := loadBGE(t, 64)
	seeds := []string{"订单怎么取消", "how do i return this", "我的订单st-771还没到", "退货运费谁承担？", ""}
	var texts []string
	for i := range 100 {
		texts = append(texts, strings.Repeat(seeds[i%len(seeds)], 1+i%7))
	}
	b, err := tok.EncodeBatch(texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range texts {
		want, err := tok.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		row := b.IDs[i*b.Cols : i*b.Cols+b.Lengths[i]]
		if diff := cmp.Diff(want, row); diff != "" {
			t.Fatalf("row %d (-want +got):\n%s", i, diff)
		}
	}
}

func TestTokenizerConcurrent(t *testing.T) {
	tok := loadBGE(t, 32)
	want, err := tok.Encode("我的订单st-771还没到")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for range 50 {
				got, err := tok.Encode("我的订单st-771还没到")
				if err != nil {
					errs <- err
					return
				}
				if !cmp.Equal(want, got) {
					errs <- errors.New("concurrent Encode gave different ids")
					return
				}
				if _, err := tok.EncodeBatch([]string{"订单怎么取消", "how do i return this", "a", "b", "c"}); err != nil {
					errs <- err
					return
				}
				// The sugarme pipeline, used for non-BERT tokenizers, too.
				enc, err := tok.encodeFull("我的订单st-771还没到")
				if err != nil {
					errs <- err
					return
				}
				if !cmp.Equal(want, toInt64(enc.Ids)) {
					errs <- errors.New("concurrent sugarme encoding gave different ids")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestTokenizerInvalidUTF8(t *testing.T) {
	tok := loadBGE(t, 32)
	if _, err := tok.Encode("abc\xff"); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("Encode(invalid UTF-8) error = %v, want ErrInvalidUTF8", err)
	}
	if _, err := tok.EncodeBatch([]string{"ok", "abc\xff"}); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("EncodeBatch(invalid UTF-8) error = %v, want ErrInvalidUTF8", err)
	}
}

func TestLoadTokenizerErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope", TokenizerFile)
	garbage := filepath.Join(dir, "garbage.json")
	if err := os.WriteFile(garbage, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{missing, garbage} {
		_, err := LoadTokenizer(path, 512)
		if !errors.Is(err, ErrBadModelDir) {
			t.Errorf("LoadTokenizer(%s) error = %v, want ErrBadModelDir", path, err)
		}
		if err != nil && !strings.Contains(err.Error(), path) {
			t.Errorf("LoadTokenizer(%s) error %q does not name the path", path, err)
		}
	}
	// maxTokens must leave room for a content token besides [CLS] and [SEP].
	if _, err := LoadTokenizer(sharedBGETokenizerPath(t), 2); err == nil {
		t.Error("LoadTokenizer(max 2) succeeded, want an error")
	}
}

// tokBenchQuery is a ~32-token customer question; tokBenchPassage a ~270-token
// answer (truncated to 256 in the passage benchmarks).
const (
	tokBenchQuery   = "你好，我的订单里的耳机st-771还没发货，请问什么时候能到？"
	tokBenchPassage = "退货政策：商品签收后七天内可申请无理由退货，运费由买家承担。"
)

func BenchmarkTokenize(b *testing.B) {
	tok := loadBGE(b, 512)
	passage := strings.Repeat(tokBenchPassage, 9)
	q, err := tok.Encode(tokBenchQuery)
	if err != nil {
		b.Fatal(err)
	}
	p, err := tok.Encode(passage)
	if err != nil {
		b.Fatal(err)
	}
	tok256 := loadBGE(b, 256)
	b.Logf("query %d tokens, passage %d tokens before truncation to 256", len(q), len(p))

	b.Run("query32", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tok.Encode(tokBenchQuery); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("passage256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tok256.Encode(passage); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The sugarme pipeline the native one replaces for BERT WordPiece files.
	b.Run("query32-sugarme", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tok.encodeFull(tokBenchQuery); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("passage256-sugarme", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tok256.encodeFull(passage); err != nil {
				b.Fatal(err)
			}
		}
	})
	batch := make([]string, 32)
	for i := range batch {
		batch[i] = passage
	}
	b.Run("batch32x256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tok256.EncodeBatch(batch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("long10k", func(b *testing.B) {
		long := strings.Repeat(passage, 10)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tok.Encode(long); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestTokenizerUsesNativeWordPiece(t *testing.T) {
	if loadBGE(t, 512).fast == nil {
		t.Fatal("bge tokenizer.json did not get the native WordPiece pipeline")
	}
}

// The native pipeline must give sugarme's ids on every text where the two
// implement the same semantics: no Unicode-only whitespace, no control,
// format, private-use or unassigned characters (sugarme's clean_text
// misaligns the text when it removes one, e.g. "\u200d》.." gives four dots),
// at most one added token per text (sugarme sorts
// added-token matches by token id, not position, and drops some when a text
// holds several). TestTokenizerHFEdgeCases covers those cases.
func TestTokenizerNativeMatchesSugarme(t *testing.T) {
	// sugarme is slow (about 0.5 ms a text, 10x that under -race): keep the
	// count modest; FuzzTokenize explores further.
	for _, run := range []struct{ maxTokens, texts int }{{512, 800}, {9, 200}} {
		maxTokens := run.maxTokens
		tok := loadBGE(t, maxTokens)
		alphabet := []rune("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 \t\n-_.,!?#@/:;'\"()[]{}<>" +
			"订单怎么取消我的还没到退货运费谁承担请问发票优惠券" +
			"，。？！、：；“”（）【】《》～" +
			"éüñçÅß€£¥©®™½αβγдж한국어ひらがなカタカナ😀👍🏻\u0301")
		specials := []string{"[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]", "##", "st-771", "iphone15"}
		rng := rand.New(rand.NewPCG(1, 2))
		for n := range run.texts {
			var sb strings.Builder
			special := rng.IntN(len(specials))
			for range rng.IntN(40) {
				if rng.IntN(12) == 0 && special >= 0 {
					sb.WriteString(specials[special])
					if strings.HasPrefix(specials[special], "[") {
						special = -1
					}
					continue
				}
				sb.WriteRune(alphabet[rng.IntN(len(alphabet))])
			}
			if n%50 == 0 { // a long word, beyond max_input_chars_per_word
				sb.WriteString(strings.Repeat("ab", 60))
			}
			text := sb.String()
			want, err := tok.encodeFull(text)
			if err != nil {
				t.Fatal(err)
			}
			got, types := tok.fast.encode(text, tok.maxTokens-tok.added)
			if diff := cmp.Diff(toInt64(want.Ids), got); diff != "" {
				t.Fatalf("max %d, text %q: native vs sugarme ids (-sugarme +native):\n%s", maxTokens, text, diff)
			}
			if diff := cmp.Diff(toInt64(want.TypeIds), types); diff != "" {
				t.Fatalf("max %d, text %q: type ids (-sugarme +native):\n%s", maxTokens, text, diff)
			}
		}
	}
}

func toInt64(xs []int) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = int64(x)
	}
	return out
}

// Where sugarme departs from Hugging Face tokenizers (which trained the
// models), the native pipeline follows Hugging Face.
func TestTokenizerHFEdgeCases(t *testing.T) {
	tok := loadBGE(t, 512)
	tests := []struct {
		text string
		want []int64
	}{
		// NBSP and the ideographic space separate words (sugarme: one [UNK] word / an [UNK]).
		{"hello\u00a0this", []int64{101, 8701, 8554, 102}},
		{"订单\u3000取消", []int64{101, 6370, 1296, 1357, 3867, 102}},
		// Control, format and private-use characters are dropped; the word
		// around a dropped one stays whole.
		{"订\ue000单", []int64{101, 6370, 1296, 102}},
		{"订\x01单\x7f", []int64{101, 6370, 1296, 102}},
		{"\u200d》..", []int64{101, 518, 119, 119, 102}},
		{"how\u200bdo", []int64{101, 9510, 8828, 102}},
		// Added tokens in the raw text are matched as such.
		{"[CLS]hello[SEP]", []int64{101, 101, 8701, 102, 102}},
	}
	for _, tt := range tests {
		got, err := tok.Encode(tt.text)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Encode(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

// tinyTokenizerJSON is a minimal uncased BERT tokenizer.json: lowercase with
// "strip_accents": null, which Hugging Face reads as "strip when lowercasing"
// (sugarme reads it as false).
func tinyTokenizerJSON(preTokenizer string) string {
	return `{
  "version": "1.0", "truncation": null, "padding": null,
  "added_tokens": [
    {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
  ],
  "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
  "pre_tokenizer": {"type": "` + preTokenizer + `"},
  "post_processor": {
    "type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
    "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
    "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}
  },
  "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
  "model": {
    "type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
    "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "cafe": 4, "hello": 5, "##s": 6, "world": 7, "!": 8, "订": 9}
  }
}`
}

func writeTiny(t *testing.T, preTokenizer string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), TokenizerFile)
	if err := os.WriteFile(path, []byte(tinyTokenizerJSON(preTokenizer)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTokenizerUncasedStripsAccents(t *testing.T) {
	tok, err := LoadTokenizer(writeTiny(t, "BertPreTokenizer"), 16)
	if err != nil {
		t.Fatal(err)
	}
	if tok.fast == nil {
		t.Fatal("tiny BERT tokenizer did not get the native pipeline")
	}
	got, err := tok.Encode("Café HELLO Worlds! 订单")
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{2, 4, 5, 7, 6, 8, 9, 1, 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A pipeline the native path does not cover runs through sugarme, with the
// same truncation and padding.
func TestTokenizerSugarmeFallback(t *testing.T) {
	tok, err := LoadTokenizer(writeTiny(t, "WhitespaceSplit"), 4)
	if err != nil {
		t.Fatal(err)
	}
	if tok.fast != nil {
		t.Fatal("WhitespaceSplit tokenizer got the native pipeline")
	}
	b, err := tok.EncodeBatch([]string{"hello world hello world", "world", ""})
	if err != nil {
		t.Fatal(err)
	}
	want := Batch{
		Rows: 3, Cols: 4, Lengths: []int{4, 3, 2},
		IDs:     []int64{2, 5, 7, 3, 2, 7, 3, 0, 2, 3, 0, 0},
		Mask:    []int64{1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0},
		TypeIDs: make([]int64, 12),
	}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// FuzzTokenize checks invariants on any input: no panic, [CLS] first and
// [SEP] last, at most MaxTokens ids, every id in the vocabulary.
func FuzzTokenize(f *testing.F) {
	tok := loadBGE(f, 24)
	vocabSize := int64(tok.tk.GetVocabSize(true))
	for _, s := range []string{"订单怎么取消", "how do i return this", "我的订单st-771还没到", "[CLS]", "\u200d》..", "", "a\u0301\u00a0b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := tok.Encode(s)
		if !utf8.ValidString(s) {
			if !errors.Is(err, ErrInvalidUTF8) {
				t.Fatalf("invalid UTF-8 %q: error %v", s, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) < 2 || len(ids) > 24 || ids[0] != 101 || ids[len(ids)-1] != 102 {
			t.Fatalf("%q: ids %v", s, ids)
		}
		for _, id := range ids {
			if id < 0 || id >= vocabSize {
				t.Fatalf("%q: id %d outside the vocabulary", s, id)
			}
		}
	})
}
