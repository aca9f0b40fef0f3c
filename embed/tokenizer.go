package embed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/pretrained"
	"golang.org/x/text/unicode/norm"
)

// Tokenizer turns text into model input ids using a Hugging Face
// tokenizer.json (WordPiece, Unigram or BPE, as github.com/sugarme/tokenizer
// supports them). It truncates to a fixed maximum that counts the special
// tokens and pads batches to their longest row.
//
// A Tokenizer is safe for concurrent use: encoding only reads the loaded
// vocabulary and pipeline, and each call builds its own encoding.
type Tokenizer struct {
	tk        *tokenizer.Tokenizer
	maxTokens int
	// fast is the native BERT WordPiece pipeline, used instead of sugarme's
	// when the file describes exactly that pipeline (see newWordPiece); nil otherwise.
	fast *wordPiece
	// added is the number of special tokens the post-processor adds to a
	// single sequence ([CLS] and [SEP] for BERT).
	added int
	padID int64
}

// parallelMinTexts is the smallest batch that EncodeBatch spreads over
// several goroutines; below it the goroutine handoff costs more than it saves.
const parallelMinTexts = 4

// LoadTokenizer loads a Hugging Face tokenizer.json from path. maxTokens is
// the truncation length including special tokens; it must leave room for at
// least one content token. Any truncation or padding configured inside the
// file is replaced by jieda's own (truncate to maxTokens, pad to the longest
// text of a batch).
func LoadTokenizer(path string, maxTokens int) (t *Tokenizer, err error) {
	defer func() {
		// sugarme panics on some malformed files; a bad file is an error.
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("%w: loading tokenizer %s: %v", ErrBadModelDir, path, r)
		}
	}()
	if maxTokens < 1 {
		return nil, fmt.Errorf("loading tokenizer %s: max tokens %d must be positive", path, maxTokens)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: loading tokenizer: %w", ErrBadModelDir, err)
	}
	tk, err := pretrained.FromReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: loading tokenizer %s: %w", ErrBadModelDir, path, err)
	}
	if tk.GetModel() == nil {
		return nil, fmt.Errorf("%w: loading tokenizer %s: no model", ErrBadModelDir, path)
	}
	padID := int64(0)
	if p := tk.GetPadding(); p != nil {
		padID = int64(p.PadId)
	} else if id, ok := padTokenID(tk); ok {
		padID = int64(id)
	}
	tk.WithTruncation(nil)
	tk.WithPadding(nil)

	t = &Tokenizer{tk: tk, maxTokens: maxTokens, padID: padID}
	// Count the special tokens a single sequence gets by encoding nothing.
	empty, err := t.encodeFull("")
	if err != nil {
		return nil, fmt.Errorf("%w: loading tokenizer %s: %w", ErrBadModelDir, path, err)
	}
	t.added = len(empty.Ids)
	if maxTokens <= t.added {
		return nil, fmt.Errorf("loading tokenizer %s: max tokens %d must exceed the %d special tokens", path, maxTokens, t.added)
	}
	t.fast = newWordPiece(data, tk)
	if t.fast != nil && !t.agrees() {
		t.fast = nil
	}
	return t, nil
}

// selfCheckTexts are encoded by both the native and the sugarme pipeline at
// load time; any difference disables the native one.
var selfCheckTexts = []string{
	"", "订单怎么取消", "how do i return this?", "我的订单st-771还没到",
	"退货运费谁承担？", "Order #A12 (2 items) - refund!", "[CLS] x",
}

// agrees reports whether the native pipeline reproduces sugarme's ids on
// selfCheckTexts (texts on which the two implement the same semantics).
func (t *Tokenizer) agrees() bool {
	for _, s := range selfCheckTexts {
		enc, err := t.encodeFull(s)
		if err != nil {
			return false
		}
		ids, _ := t.fast.encode(s, t.maxTokens-t.added)
		if len(ids) != len(enc.Ids) {
			return false
		}
		for i, id := range enc.Ids {
			if ids[i] != int64(id) {
				return false
			}
		}
	}
	return true
}

// padTokenID finds the padding token by its usual names.
func padTokenID(tk *tokenizer.Tokenizer) (int, bool) {
	for _, name := range []string{"[PAD]", "<pad>", "<|padding|>"} {
		if id, ok := tk.TokenToId(name); ok {
			return id, true
		}
	}
	return 0, false
}

// PadID is the id used for padding positions (the [PAD] token, 0 for BERT).
func (t *Tokenizer) PadID() int64 { return t.padID }

// MaxTokens is the truncation length, special tokens included.
func (t *Tokenizer) MaxTokens() int { return t.maxTokens }

// Encode returns the ids of text with special tokens, truncated to
// MaxTokens (the closing special token is kept). Empty text gives only the
// special tokens, e.g. [CLS][SEP].
func (t *Tokenizer) Encode(text string) ([]int64, error) {
	ids, _, err := t.encode(text)
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// Batch holds row-major [Rows x Cols] tensors for a batch of texts, padded to
// the longest text in the batch.
type Batch struct {
	// IDs are token ids; padding positions hold the tokenizer's pad id.
	IDs []int64
	// Mask is 1 on tokens and 0 on padding.
	Mask []int64
	// TypeIDs are the token type (segment) ids, 0 for single texts and padding.
	TypeIDs []int64
	// Rows is the number of texts; Cols the length of the longest one.
	Rows, Cols int
	// Lengths are the unpadded lengths of the rows.
	Lengths []int
}

// EncodeBatch encodes texts into one padded batch. Large batches are encoded
// in parallel. An empty texts slice gives an empty Batch.
func (t *Tokenizer) EncodeBatch(texts []string) (Batch, error) {
	ids := make([][]int64, len(texts))
	types := make([][]int64, len(texts))
	if err := t.encodeAll(texts, ids, types); err != nil {
		return Batch{}, err
	}
	b := Batch{Rows: len(texts), Lengths: make([]int, len(texts))}
	for i, row := range ids {
		b.Lengths[i] = len(row)
		b.Cols = max(b.Cols, len(row))
	}
	n := b.Rows * b.Cols
	b.IDs = make([]int64, n)
	b.Mask = make([]int64, n)
	b.TypeIDs = make([]int64, n)
	for i, row := range ids {
		off := i * b.Cols
		copy(b.IDs[off:], row)
		copy(b.TypeIDs[off:], types[i])
		for j := range row {
			b.Mask[off+j] = 1
		}
		for j := off + len(row); j < off+b.Cols; j++ {
			b.IDs[j] = t.padID
		}
	}
	return b, nil
}

// encodeAll fills ids and types for each text, in parallel for large batches.
func (t *Tokenizer) encodeAll(texts []string, ids, types [][]int64) error {
	workers := min(runtime.GOMAXPROCS(0), len(texts))
	if len(texts) < parallelMinTexts || workers < 2 {
		for i, s := range texts {
			var err error
			if ids[i], types[i], err = t.encode(s); err != nil {
				return fmt.Errorf("text %d: %w", i, err)
			}
		}
		return nil
	}
	var (
		wg   sync.WaitGroup
		next atomic.Int64
		errs = make([]error, len(texts))
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(texts) {
					return
				}
				ids[i], types[i], errs[i] = t.encode(texts[i])
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("text %d: %w", i, err)
		}
	}
	return nil
}

// encode tokenizes one text and returns its truncated ids and type ids.
func (t *Tokenizer) encode(text string) (ids, types []int64, err error) {
	if !utf8.ValidString(text) {
		return nil, nil, ErrInvalidUTF8
	}
	if t.fast != nil {
		ids, types = t.fast.encode(text, t.maxTokens-t.added)
		return ids, types, nil
	}
	enc, err := t.encodeFull(text)
	if err != nil {
		return nil, nil, err
	}
	ids = make([]int64, len(enc.Ids))
	types = make([]int64, len(enc.Ids))
	for i, id := range enc.Ids {
		ids[i] = int64(id)
		if i < len(enc.TypeIds) {
			types[i] = int64(enc.TypeIds[i])
		}
	}
	return ids, types, nil
}

// encodeFull runs the sugarme pipeline: normalize, pre-tokenize, model,
// truncate the content to leave room for the special tokens, post-process.
// Truncation is done here rather than by sugarme, whose truncation also
// builds (through reflection) every overflowing window of a long text.
func (t *Tokenizer) encodeFull(text string) (enc *tokenizer.Encoding, err error) {
	defer func() {
		if r := recover(); r != nil {
			enc, err = nil, fmt.Errorf("tokenizing: %v", r)
		}
	}()
	seq, err := t.tk.EncodeSingleSequence(tokenizer.NewInputSequence(text), 0, tokenizer.Byte)
	if err != nil {
		return nil, fmt.Errorf("tokenizing: %w", err)
	}
	if seq == nil {
		return nil, errors.New("tokenizing: no encoding")
	}
	truncate(seq, t.maxTokens-t.added)
	return t.tk.PostProcess(seq, nil, true), nil
}

// truncate cuts a single-sequence encoding (before special tokens) to n tokens.
func truncate(e *tokenizer.Encoding, n int) {
	if len(e.Ids) <= n {
		return
	}
	cut := func(l int) int { return min(l, n) }
	e.Ids = e.Ids[:n]
	e.TypeIds = e.TypeIds[:cut(len(e.TypeIds))]
	e.Tokens = e.Tokens[:cut(len(e.Tokens))]
	e.Offsets = e.Offsets[:cut(len(e.Offsets))]
	e.SpecialTokenMask = e.SpecialTokenMask[:cut(len(e.SpecialTokenMask))]
	e.AttentionMask = e.AttentionMask[:cut(len(e.AttentionMask))]
	e.Words = e.Words[:cut(len(e.Words))]
	e.Overflowing = nil
}

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
