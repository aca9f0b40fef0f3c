package embed

import (
	"encoding/json"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sugarme/tokenizer"
	"golang.org/x/text/unicode/norm"
)

// wordPiece is a native implementation of the BERT tokenization pipeline
// (BertNormalizer, BertPreTokenizer, WordPiece, special tokens around the
// sequence). sugarme's general pipeline allocates a normalized-string
// alignment for every byte and split, about 4,000 allocations for a
// 32-token query; this one allocates the output and one buffer per piece.
//
// It follows the Hugging Face tokenizers semantics, which differ from
// sugarme's in edge cases: Unicode whitespace (U+3000, U+00A0) separates
// words; private-use and unassigned code points are dropped with the other
// control characters; "strip_accents": null follows "lowercase".
type wordPiece struct {
	vocab    map[string]int32 // word-initial pieces
	cont     map[string]int32 // continuation pieces, without their prefix
	maxPiece int              // longest vocabulary entry in bytes
	unk      int32
	maxChars int // words longer than this (in runes) become unk

	clean, chinese, strip, lower bool

	added      []addedToken // matched in the raw text, longest first
	addedFirst [256]bool    // first bytes of added tokens

	prefix, suffix           []int64 // special ids around the sequence
	prefixTypes, suffixTypes []int64
	seqType                  int64
}

type addedToken struct {
	content string
	id      int64
}

// hfConfig is the part of a tokenizer.json the native pipeline needs.
type hfConfig struct {
	AddedTokens []struct {
		ID         int64  `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
	} `json:"added_tokens"`
	Normalizer *struct {
		Type               string `json:"type"`
		CleanText          *bool  `json:"clean_text"`
		HandleChineseChars *bool  `json:"handle_chinese_chars"`
		StripAccents       *bool  `json:"strip_accents"`
		Lowercase          *bool  `json:"lowercase"`
	} `json:"normalizer"`
	PreTokenizer *struct {
		Type string `json:"type"`
	} `json:"pre_tokenizer"`
	Model struct {
		Type                    string  `json:"type"`
		UnkToken                *string `json:"unk_token"`
		ContinuingSubwordPrefix *string `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    *int    `json:"max_input_chars_per_word"`
	} `json:"model"`
}

// newWordPiece builds the native pipeline when the file describes a BERT
// WordPiece tokenizer whose added tokens are plain (not normalized, no
// strip or single-word rules); it returns nil for anything else.
func newWordPiece(data []byte, tk *tokenizer.Tokenizer) (w *wordPiece) {
	defer func() {
		if recover() != nil {
			w = nil
		}
	}()
	var c hfConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return nil
	}
	if c.Model.Type != "WordPiece" || c.PreTokenizer == nil || c.PreTokenizer.Type != "BertPreTokenizer" {
		return nil
	}
	w = &wordPiece{maxChars: 100}
	if n := c.Normalizer; n != nil {
		if n.Type != "BertNormalizer" {
			return nil
		}
		// Hugging Face defaults for missing fields.
		w.clean, w.chinese, w.lower = boolOr(n.CleanText, true), boolOr(n.HandleChineseChars, true), boolOr(n.Lowercase, true)
		w.strip = boolOr(n.StripAccents, w.lower)
	}
	unk, prefix := "[UNK]", "##"
	if c.Model.UnkToken != nil {
		unk = *c.Model.UnkToken
	}
	if c.Model.ContinuingSubwordPrefix != nil {
		prefix = *c.Model.ContinuingSubwordPrefix
	}
	if c.Model.MaxInputCharsPerWord != nil {
		w.maxChars = *c.Model.MaxInputCharsPerWord
	}
	vocab := tk.GetModel().GetVocab()
	unkID, ok := vocab[unk]
	if !ok {
		return nil
	}
	w.unk = int32(unkID)
	w.vocab = make(map[string]int32, len(vocab))
	w.cont = make(map[string]int32)
	for k, id := range vocab {
		w.vocab[k] = int32(id)
		if prefix != "" && strings.HasPrefix(k, prefix) && len(k) > len(prefix) {
			w.cont[k[len(prefix):]] = int32(id)
		}
		w.maxPiece = max(w.maxPiece, len(k))
	}
	if prefix == "" {
		w.cont = w.vocab
	}
	for _, a := range c.AddedTokens {
		if a.SingleWord || a.Lstrip || a.Rstrip || a.Normalized || a.Content == "" {
			return nil
		}
		w.added = append(w.added, addedToken{a.Content, a.ID})
		w.addedFirst[a.Content[0]] = true
	}
	sort.SliceStable(w.added, func(i, j int) bool { return len(w.added[i].content) > len(w.added[j].content) })
	if !w.probeSpecials(tk) {
		return nil
	}
	return w
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// probeSpecials learns where the post-processor puts its special tokens by
// running it on a one-token sequence with a marker id.
func (w *wordPiece) probeSpecials(tk *tokenizer.Tokenizer) bool {
	const marker = -12345
	enc := tokenizer.NewEncodingFromTokens([]tokenizer.Token{{Id: marker, Value: "x", Offsets: []int{0, 1}}}, 0)
	enc.Words = []int{0}
	out := tk.PostProcess(enc, nil, true)
	at := -1
	for i, id := range out.Ids {
		if id == marker {
			if at >= 0 {
				return false
			}
			at = i
		}
	}
	if at < 0 || len(out.TypeIds) != len(out.Ids) {
		return false
	}
	for i, id := range out.Ids {
		switch {
		case i < at:
			w.prefix = append(w.prefix, int64(id))
			w.prefixTypes = append(w.prefixTypes, int64(out.TypeIds[i]))
		case i > at:
			w.suffix = append(w.suffix, int64(id))
			w.suffixTypes = append(w.suffixTypes, int64(out.TypeIds[i]))
		}
	}
	w.seqType = int64(out.TypeIds[at])
	return true
}

// encode tokenizes text with the special tokens around it, keeping at most
// limit content tokens (tokenization stops there).
func (w *wordPiece) encode(text string, limit int) (ids, types []int64) {
	ids = make([]int64, 0, len(w.prefix)+min(limit, len(text))+len(w.suffix))
	ids = append(ids, w.prefix...)
	out := &pieces{ids: ids, limit: len(w.prefix) + limit}
	var buf []byte
	for text != "" && !out.full() {
		i, a := w.nextAdded(text)
		buf = w.encodePiece(text[:i], buf, out)
		if a == nil {
			break
		}
		out.add(a.id)
		text = text[i+len(a.content):]
	}
	ids = append(out.ids, w.suffix...)
	types = make([]int64, len(ids))
	copy(types, w.prefixTypes)
	for i := len(w.prefix); i < len(ids)-len(w.suffix); i++ {
		types[i] = w.seqType
	}
	copy(types[len(ids)-len(w.suffix):], w.suffixTypes)
	return ids, types
}

// pieces collects ids up to a limit.
type pieces struct {
	ids   []int64
	limit int
}

func (p *pieces) full() bool { return len(p.ids) >= p.limit }

func (p *pieces) add(id int64) {
	if len(p.ids) < p.limit {
		p.ids = append(p.ids, id)
	}
}

// nextAdded finds the leftmost (then longest) added token in text and its
// byte index; it returns len(text), nil when there is none.
func (w *wordPiece) nextAdded(text string) (int, *addedToken) {
	if len(w.added) == 0 {
		return len(text), nil
	}
	for i := 0; i < len(text); i++ {
		if !w.addedFirst[text[i]] {
			continue
		}
		for j := range w.added {
			if strings.HasPrefix(text[i:], w.added[j].content) {
				return i, &w.added[j]
			}
		}
	}
	return len(text), nil
}

// encodePiece normalizes, pre-tokenizes and word-pieces one stretch of text
// between added tokens. buf is scratch space, returned for reuse.
func (w *wordPiece) encodePiece(piece string, buf []byte, out *pieces) []byte {
	if piece == "" {
		return buf
	}
	buf = w.normalize(piece, buf[:0])
	start := -1 // start of the current word in buf
	for i := 0; i < len(buf) && !out.full(); {
		r, size := utf8.DecodeRune(buf[i:])
		switch {
		case unicode.IsSpace(r):
			if start >= 0 {
				w.wordPieces(buf[start:i], out)
				start = -1
			}
		case isBertPunct(r):
			if start >= 0 {
				w.wordPieces(buf[start:i], out)
				start = -1
			}
			w.wordPieces(buf[i:i+size], out)
		default:
			if start < 0 {
				start = i
			}
		}
		i += size
	}
	if start >= 0 && !out.full() {
		w.wordPieces(buf[start:], out)
	}
	return buf
}

// normalize applies the BertNormalizer steps to piece, appending to buf:
// drop control characters and map whitespace to spaces, put spaces around
// CJK ideographs, strip accents (NFD, drop nonspacing marks), lowercase.
func (w *wordPiece) normalize(piece string, buf []byte) []byte {
	for _, r := range piece {
		switch {
		case w.chinese && isCJK(r):
			buf = append(buf, ' ')
			buf = utf8.AppendRune(buf, r)
			buf = append(buf, ' ')
			continue
		case w.clean && (r == 0 || r == utf8.RuneError || isControl(r)):
			continue
		case w.clean && unicode.IsSpace(r):
			r = ' '
		}
		buf = utf8.AppendRune(buf, r)
	}
	if w.strip {
		nfd := norm.NFD.Bytes(buf)
		buf = buf[:0]
		for i := 0; i < len(nfd); {
			r, size := utf8.DecodeRune(nfd[i:])
			if !unicode.Is(unicode.Mn, r) {
				buf = append(buf, nfd[i:i+size]...)
			}
			i += size
		}
	}
	if w.lower {
		lowered := make([]byte, 0, len(buf))
		for _, r := range string(buf) {
			if r == 'İ' { // the one unconditional multi-rune lowercase mapping
				lowered = append(lowered, "i\u0307"...)
				continue
			}
			lowered = utf8.AppendRune(lowered, unicode.ToLower(r))
		}
		buf = lowered
	}
	return buf
}

// wordPieces splits one word greedily into the longest vocabulary pieces;
// a word with any unmatched part, or longer than maxChars, is one unk.
func (w *wordPiece) wordPieces(word []byte, out *pieces) {
	if utf8.RuneCount(word) > w.maxChars {
		out.add(int64(w.unk))
		return
	}
	mark := len(out.ids)
	for start := 0; start < len(word); {
		m := w.vocab
		if start > 0 {
			m = w.cont
		}
		end := min(len(word), start+w.maxPiece)
		for end < len(word) && !utf8.RuneStart(word[end]) {
			end--
		}
		id := int32(-1)
		for end > start {
			if v, ok := m[string(word[start:end])]; ok {
				id = v
				break
			}
			end--
			for end > start && !utf8.RuneStart(word[end]) {
				end--
			}
		}
		if id < 0 {
			out.ids = out.ids[:mark]
			out.add(int64(w.unk))
			return
		}
		out.add(int64(id))
		start = end
	}
}

// isBertPunct reports ASCII punctuation (all non-alphanumeric printable
// ASCII) and Unicode punctuation (category P).
func isBertPunct(r rune) bool {
	if r < 0x80 {
		return r >= 33 && r <= 47 || r >= 58 && r <= 64 || r >= 91 && r <= 96 || r >= 123 && r <= 126
	}
	return unicode.IsPunct(r)
}

// isCJK reports CJK Unified Ideographs (and extensions, compatibility
// ideographs), the characters BERT splits one by one.
func isCJK(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF ||
		r >= 0x20000 && r <= 0x2A6DF || r >= 0x2A700 && r <= 0x2B73F ||
		r >= 0x2B740 && r <= 0x2B81F || r >= 0x2B820 && r <= 0x2CEAF ||
		r >= 0xF900 && r <= 0xFAFF || r >= 0x2F800 && r <= 0x2FA1F
}

// isControl reports characters BertNormalizer's clean_text drops: Unicode
// "other" categories (control, format, private use, unassigned) except the
// tab and line breaks, which count as whitespace.
func isControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	if r < 0x80 {
		return r < 0x20 || r == 0x7F
	}
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co) {
		return true
	}
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cs)
}
