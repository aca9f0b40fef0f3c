package synth

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sugarme/tokenizer/pretrained"
)

func TestDefaultVocabLayout(t *testing.T) {
	v := DefaultVocab(8192)
	if len(v) != 8192 {
		t.Fatalf("len = %d, want 8192", len(v))
	}
	want := map[int]string{0: "[PAD]", 1: "[unused1]", 99: "[unused99]", 100: "[UNK]", 101: "[CLS]", 102: "[SEP]", 103: "[MASK]"}
	for id, tok := range want {
		if v[id] != tok {
			t.Errorf("vocab[%d] = %q, want %q", id, v[id], tok)
		}
	}
	if _, err := checkVocab(v); err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, tok := range v {
		has[tok] = true
	}
	for _, tok := range []string{"a", "z", "0", "?", "##q", "##7", "order", "refund", "shipping", "return", "track",
		"##ing", "，", "订", "单", "取", "消", "退", "货", "发", "票", "错", "鼎", "蔬"} {
		if !has[tok] {
			t.Errorf("vocabulary lacks %q", tok)
		}
	}
	if has["A"] {
		t.Error("vocabulary has upper case letters, which the lowercasing normalizer never yields")
	}
	// The 3755 level-1 GB 2312 characters are all in, even at this size.
	hz := gb2312Hanzi()
	if len(hz) != 6763 {
		t.Fatalf("GB 2312 has %d characters, want 6763", len(hz))
	}
	for _, r := range hz {
		if !has[string(r)] {
			t.Fatalf("vocabulary lacks common character %q", r)
		}
	}

	if got := DefaultVocab(10); len(got) != specialsCount {
		t.Errorf("DefaultVocab(10) has %d tokens, want the %d specials", len(got), specialsCount)
	}
	big := DefaultVocab(30000)
	if len(big) != 30000 || big[29999] == "" {
		t.Fatalf("DefaultVocab(30000) has %d tokens", len(big))
	}
	if _, err := checkVocab(big); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(DefaultVocab(8192), v) {
		t.Error("DefaultVocab is not deterministic")
	}
}

func TestGenerateTokenizerMirrorsHuggingFace(t *testing.T) {
	b, err := GenerateTokenizer(DefaultVocab(2000))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	model := got["model"].(map[string]any)
	if n := len(model["vocab"].(map[string]any)); n != 2000 {
		t.Errorf("vocab has %d entries, want 2000", n)
	}
	delete(model, "vocab")

	var want map[string]any
	wantJSON := `{
	  "version": "1.0", "truncation": null, "padding": null,
	  "added_tokens": [
	    {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
	    {"id": 100, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
	    {"id": 101, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
	    {"id": 102, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
	    {"id": 103, "content": "[MASK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
	  "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
	  "pre_tokenizer": {"type": "BertPreTokenizer"},
	  "post_processor": {"type": "TemplateProcessing",
	    "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
	    "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
	             {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
	    "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [101], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [102], "tokens": ["[SEP]"]}}},
	  "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
	  "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100}
	}`
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tokenizer.json (-want +got):\n%s", diff)
	}

	// Same top-level keys in the same order as a real Hugging Face file.
	ref := filepath.Join(sharedModelsDir(t), "bge-small-zh-v1.5", "tokenizer.json")
	if rb, err := os.ReadFile(ref); err == nil {
		if diff := cmp.Diff(topLevelKeys(t, rb), topLevelKeys(t, b)); diff != "" {
			t.Errorf("top-level keys (-bge +generated):\n%s", diff)
		}
	}
}

// topLevelKeys returns the keys of a JSON object in document order.
func topLevelKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestGenerateTokenizerRejectsBadVocab(t *testing.T) {
	tests := map[string][]string{
		"empty":          nil,
		"no pad first":   {"[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"},
		"missing mask":   {"[PAD]", "[UNK]", "[CLS]", "[SEP]"},
		"duplicate":      {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "a"},
		"space in token": {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a b"},
	}
	for name, vocab := range tests {
		if _, err := GenerateTokenizer(vocab); !errors.Is(err, ErrBadTokenizer) {
			t.Errorf("%s: err = %v, want ErrBadTokenizer", name, err)
		}
	}
}

func TestGeneratedTokenizerLoadsInSugarme(t *testing.T) {
	vocab := DefaultVocab(8192)
	b, err := GenerateTokenizer(vocab)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tk, err := pretrained.FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []string
	}{
		{"订单怎么取消？", []string{"[CLS]", "订", "单", "怎", "么", "取", "消", "？", "[SEP]"}},
		{"How do I RETURN items", []string{"[CLS]", "how", "do", "i", "return", "items", "[SEP]"}},
		{"refunding st-771", []string{"[CLS]", "refund", "##ing", "s", "##t", "-", "7", "##7", "##1", "[SEP]"}},
	}
	for _, tt := range tests {
		enc, err := tk.EncodeSingle(tt.text, true)
		if err != nil {
			t.Fatal(err)
		}
		got := enc.GetTokens()
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q tokens (-want +got):\n%s", tt.text, diff)
		}
		for i, id := range enc.GetIds() {
			if vocab[id] != got[i] {
				t.Errorf("%q: id %d is %q, token says %q", tt.text, id, vocab[id], got[i])
			}
		}
	}
}
