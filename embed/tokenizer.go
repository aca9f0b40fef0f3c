package embed

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/pretrained"
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
