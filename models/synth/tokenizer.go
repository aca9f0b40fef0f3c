package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// Special tokens of the BERT WordPiece layout.
const (
	PadToken  = "[PAD]"
	UnkToken  = "[UNK]"
	ClsToken  = "[CLS]"
	SepToken  = "[SEP]"
	MaskToken = "[MASK]"
)

// The tokenizer.json document, field for field in the order Hugging Face
// writes it (compare bge-small-zh-v1.5's tokenizer.json).
type hfTokenizer struct {
	Version       string          `json:"version"`
	Truncation    *struct{}       `json:"truncation"`
	Padding       *struct{}       `json:"padding"`
	AddedTokens   []hfAddedToken  `json:"added_tokens"`
	Normalizer    hfNormalizer    `json:"normalizer"`
	PreTokenizer  hfType          `json:"pre_tokenizer"`
	PostProcessor hfPostProcessor `json:"post_processor"`
	Decoder       hfDecoder       `json:"decoder"`
	Model         hfWordPiece     `json:"model"`
}

type hfAddedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type hfNormalizer struct {
	Type               string `json:"type"`
	CleanText          bool   `json:"clean_text"`
	HandleChineseChars bool   `json:"handle_chinese_chars"`
	StripAccents       *bool  `json:"strip_accents"`
	Lowercase          bool   `json:"lowercase"`
}

type hfType struct {
	Type string `json:"type"`
}

type hfPostProcessor struct {
	Type          string                    `json:"type"`
	Single        []hfPiece                 `json:"single"`
	Pair          []hfPiece                 `json:"pair"`
	SpecialTokens map[string]hfSpecialToken `json:"special_tokens"`
}

// hfPiece is one element of a template: a special token or a sequence.
type hfPiece struct {
	SpecialToken *hfPieceRef `json:"SpecialToken,omitempty"`
	Sequence     *hfPieceRef `json:"Sequence,omitempty"`
}

type hfPieceRef struct {
	ID     string `json:"id"`
	TypeID int    `json:"type_id"`
}

type hfSpecialToken struct {
	ID     string   `json:"id"`
	IDs    []int    `json:"ids"`
	Tokens []string `json:"tokens"`
}

type hfDecoder struct {
	Type    string `json:"type"`
	Prefix  string `json:"prefix"`
	Cleanup bool   `json:"cleanup"`
}

type hfWordPiece struct {
	Type                    string     `json:"type"`
	UnkToken                string     `json:"unk_token"`
	ContinuingSubwordPrefix string     `json:"continuing_subword_prefix"`
	MaxInputCharsPerWord    int        `json:"max_input_chars_per_word"`
	Vocab                   orderedVoc `json:"vocab"`
}

// orderedVoc marshals as a JSON object of token → id in id order, as
// Hugging Face writes it (encoding/json would sort the keys).
type orderedVoc []string

func (v orderedVoc) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for id, tok := range v {
		if id > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(tok)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		fmt.Fprintf(&b, ":%d", id)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// GenerateTokenizer returns a Hugging Face tokenizer.json for a BERT
// WordPiece vocabulary, vocab[i] being the token of id i: BertNormalizer
// (clean text, split CJK characters, lowercase), BertPreTokenizer, WordPiece
// with "##" continuations, and the "[CLS] $A [SEP]" / "[CLS] $A [SEP] $B
// [SEP]" templates. The vocabulary must hold [PAD] at id 0 and [UNK], [CLS],
// [SEP] and [MASK] somewhere, each token once.
func GenerateTokenizer(vocab []string) ([]byte, error) {
	ids, err := checkVocab(vocab)
	if err != nil {
		return nil, err
	}
	var added []hfAddedToken
	for _, tok := range []string{PadToken, UnkToken, ClsToken, SepToken, MaskToken} {
		added = append(added, hfAddedToken{ID: ids[tok], Content: tok, Special: true})
	}
	special := func(tok string, typeID int) hfPiece {
		return hfPiece{SpecialToken: &hfPieceRef{ID: tok, TypeID: typeID}}
	}
	seq := func(id string, typeID int) hfPiece {
		return hfPiece{Sequence: &hfPieceRef{ID: id, TypeID: typeID}}
	}
	doc := hfTokenizer{
		Version:     "1.0",
		AddedTokens: added,
		Normalizer: hfNormalizer{
			Type: "BertNormalizer", CleanText: true, HandleChineseChars: true, Lowercase: true,
		},
		PreTokenizer: hfType{Type: "BertPreTokenizer"},
		PostProcessor: hfPostProcessor{
			Type:   "TemplateProcessing",
			Single: []hfPiece{special(ClsToken, 0), seq("A", 0), special(SepToken, 0)},
			Pair: []hfPiece{special(ClsToken, 0), seq("A", 0), special(SepToken, 0),
				seq("B", 1), special(SepToken, 1)},
			SpecialTokens: map[string]hfSpecialToken{
				ClsToken: {ID: ClsToken, IDs: []int{ids[ClsToken]}, Tokens: []string{ClsToken}},
				SepToken: {ID: SepToken, IDs: []int{ids[SepToken]}, Tokens: []string{SepToken}},
			},
		},
		Decoder: hfDecoder{Type: "WordPiece", Prefix: "##", Cleanup: true},
		Model: hfWordPiece{
			Type: "WordPiece", UnkToken: UnkToken, ContinuingSubwordPrefix: "##",
			MaxInputCharsPerWord: 100, Vocab: orderedVoc(vocab),
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding tokenizer.json: %w", err)
	}
	return append(b, '\n'), nil
}

// checkVocab validates a vocabulary and returns the ids of its special tokens.
func checkVocab(vocab []string) (map[string]int, error) {
	if len(vocab) == 0 || vocab[0] != PadToken {
		return nil, fmt.Errorf("%w: vocabulary must start with %s", ErrBadTokenizer, PadToken)
	}
	seen := make(map[string]int, len(vocab))
	for id, tok := range vocab {
		if tok == "" || strings.IndexFunc(tok, unicode.IsSpace) >= 0 {
			return nil, fmt.Errorf("%w: token %d (%q) is empty or has white space", ErrBadTokenizer, id, tok)
		}
		if prev, dup := seen[tok]; dup {
			return nil, fmt.Errorf("%w: token %q appears at ids %d and %d", ErrBadTokenizer, tok, prev, id)
		}
		seen[tok] = id
	}
	ids := map[string]int{}
	for _, tok := range []string{PadToken, UnkToken, ClsToken, SepToken, MaskToken} {
		id, ok := seen[tok]
		if !ok {
			return nil, fmt.Errorf("%w: vocabulary lacks %s", ErrBadTokenizer, tok)
		}
		ids[tok] = id
	}
	return ids, nil
}

// tokenizerVocabSize returns the number of WordPiece tokens of a
// tokenizer.json, the largest id plus one.
func tokenizerVocabSize(data []byte) (int, error) {
	var doc struct {
		Model struct {
			Type  string         `json:"type"`
			Vocab map[string]int `json:"vocab"`
		} `json:"model"`
		AddedTokens []struct {
			ID int `json:"id"`
		} `json:"added_tokens"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadTokenizer, err)
	}
	if len(doc.Model.Vocab) == 0 {
		return 0, fmt.Errorf("%w: no model.vocab (a %q model?)", ErrBadTokenizer, doc.Model.Type)
	}
	n := 0
	for _, id := range doc.Model.Vocab {
		n = max(n, id+1)
	}
	for _, t := range doc.AddedTokens {
		n = max(n, t.ID+1)
	}
	return n, nil
}
