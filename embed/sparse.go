package embed

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"
)

// SparseVector is a sparse vector for the lexical leg of hybrid retrieval:
// Indices are term ids (see TermID), strictly ascending; Values has the same
// length. The JSON form matches Qdrant's sparse vectors.
type SparseVector struct {
	Indices []uint32  `json:"indices"`
	Values  []float32 `json:"values"`
}

// SparseConfig configures the lexical encoder's BM25 term-frequency
// weighting. IDF is not applied here: the store applies it (Qdrant's sparse
// `idf` modifier; the embedded engine does the same).
type SparseConfig struct {
	// K1 is BM25's term-frequency saturation (embed.sparse.k1). Default 1.2;
	// must be in [0, 100]; 0 makes every term weigh 1.
	K1 float64 `mapstructure:"k1"`
	// B is BM25's document-length normalization (embed.sparse.b). Default
	// 0.75; must be in [0, 1].
	B float64 `mapstructure:"b"`
	// AvgDocLen is the average document length in terms (embed.sparse.avg_doc_len)
	// as counted by SparseEncoder.Terms. Default 24, about a twelve-character
	// Chinese question; must be positive.
	AvgDocLen float64 `mapstructure:"avg_doc_len"`
}

// maxK1 bounds K1: beyond it BM25 is linear in term frequency anyway, and
// the bound keeps every weight finite.
const maxK1 = 100

// DefaultSparseConfig returns the defaults documented on SparseConfig.
func DefaultSparseConfig() SparseConfig {
	return SparseConfig{K1: 1.2, B: 0.75, AvgDocLen: 24}
}

// Validate checks every field and names the offending key.
func (c SparseConfig) Validate() error {
	var errs []error
	if !(c.K1 >= 0 && c.K1 <= maxK1) { // also rejects NaN
		errs = append(errs, fmt.Errorf("embed.sparse.k1: %v must be in [0, %d]", c.K1, maxK1))
	}
	if !(c.B >= 0 && c.B <= 1) {
		errs = append(errs, fmt.Errorf("embed.sparse.b: %v must be in [0, 1]", c.B))
	}
	if !(c.AvgDocLen > 0 && !math.IsInf(c.AvgDocLen, 1)) {
		errs = append(errs, fmt.Errorf("embed.sparse.avg_doc_len: %v must be a positive number", c.AvgDocLen))
	}
	return errors.Join(errs...)
}

// SparseEncoder turns normalized text into lexical sparse vectors. It is
// safe for concurrent use.
//
// Input must already be normalized (see Normalize): the encoder does not
// lowercase, unify widths or convert traditional characters, so raw text
// would produce terms that normalized queries never match.
//
// Terms are:
//   - in runs of CJK characters (Han, kana, hangul): every character and
//     every pair of adjacent characters;
//   - elsewhere, chunks of letters and digits that may be joined by single
//     '-', '_', '.' or '/' characters. A chunk with a digit is kept whole
//     (order and tracking numbers, SKUs like st-771, decimals like 9.9,
//     dates like 2023-08-15); if it also has letters, its parts are added
//     too, split at joiners and letter/digit boundaries (st-771 → st-771,
//     st, 771; sf1234567890 → sf1234567890, sf, 1234567890; 1.5kg → 1.5kg,
//     1.5, kg), so that "st 771" and "ST771" still meet "st-771". A chunk of
//     letters joined by punctuation is split into its words (e-mail → e,
//     mail);
//   - everything else (spaces, punctuation, symbols, emoji) separates terms.
type SparseEncoder struct {
	k1     float64 // K1
	lenAt0 float64 // K1·(1−B): the length normalization's constant part
	perLen float64 // K1·B/AvgDocLen: its part per term of document length
}

// NewSparseEncoder returns an encoder for cfg.
func NewSparseEncoder(cfg SparseConfig) (*SparseEncoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sparse encoder: %w", err)
	}
	return &SparseEncoder{
		k1:     cfg.K1,
		lenAt0: cfg.K1 * (1 - cfg.B),
		perLen: cfg.K1 * cfg.B / cfg.AvgDocLen,
	}, nil
}

// TermID hashes a term to its sparse index: the 32-bit FNV-1a hash of the
// term's UTF-8 bytes (offset basis 2166136261, prime 16777619), with no
// prefix or tag. It is stable across runs, platforms and releases; changing
// it would invalidate every stored sparse vector.
func TermID(term string) uint32 {
	const (
		offset32 = 2166136261
		prime32  = 16777619
	)
	h := uint32(offset32)
	for i := 0; i < len(term); i++ {
		h ^= uint32(term[i])
		h *= prime32
	}
	return h
}

// Terms returns the terms of text in order, duplicates included, for
// debugging and highlighting. Their count is the document length that
// EncodeDocument uses.
func (e *SparseEncoder) Terms(text string) []string {
	terms := []string{}
	tokenize(text, func(t string) { terms = append(terms, t) })
	return terms
}

// EncodeDocument returns text's terms weighted by BM25 term frequency,
// tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)), where dl is the number of
// terms in text. Terms whose ids collide are counted as one. Empty text
// gives an empty vector.
func (e *SparseEncoder) EncodeDocument(text string) SparseVector {
	ids := getIDs()
	defer putIDs(ids)
	*ids = appendTermIDs((*ids)[:0], text)
	norm := e.lenAt0 + e.perLen*float64(len(*ids))
	return fromIDs(*ids, func(tf int) float32 {
		return clampWeight(float64(tf) * (e.k1 + 1) / (float64(tf) + norm))
	})
}

// EncodeQuery returns text's distinct terms, each with weight 1.
func (e *SparseEncoder) EncodeQuery(text string) SparseVector {
	ids := getIDs()
	defer putIDs(ids)
	*ids = appendTermIDs((*ids)[:0], text)
	return fromIDs(*ids, func(int) float32 { return 1 })
}

// clampWeight keeps a weight finite and positive in float32.
func clampWeight(w float64) float32 {
	f := float32(w)
	switch {
	case !(f > 0):
		return math.SmallestNonzeroFloat32
	case math.IsInf(float64(f), 1):
		return math.MaxFloat32
	}
	return f
}

// fromIDs sorts ids and builds a vector with one entry per distinct id,
// weighted by weight(term frequency).
func fromIDs(ids []uint32, weight func(tf int) float32) SparseVector {
	slices.Sort(ids)
	distinct := 0
	for i := range ids {
		if i == 0 || ids[i] != ids[i-1] {
			distinct++
		}
	}
	v := SparseVector{Indices: make([]uint32, 0, distinct), Values: make([]float32, 0, distinct)}
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && ids[j] == ids[i] {
			j++
		}
		v.Indices = append(v.Indices, ids[i])
		v.Values = append(v.Values, weight(j-i))
		i = j
	}
	return v
}

func appendTermIDs(ids []uint32, text string) []uint32 {
	tokenize(text, func(t string) { ids = append(ids, TermID(t)) })
	return ids
}

// idPool recycles the scratch slices of term ids.
var idPool = sync.Pool{New: func() any { return new([]uint32) }}

// maxPooledIDs keeps one huge document from pinning its scratch space.
const maxPooledIDs = 1 << 16

func getIDs() *[]uint32 { return idPool.Get().(*[]uint32) }

func putIDs(ids *[]uint32) {
	if cap(*ids) <= maxPooledIDs {
		idPool.Put(ids)
	}
}

// runeKind is the tokenizer's view of a character.
type runeKind uint8

const (
	kindOther  runeKind = iota // separates terms
	kindCJK                    // Han, kana, hangul: unigrams and bigrams
	kindLetter                 // starts or continues a chunk
	kindDigit                  // starts or continues a chunk
	kindMark                   // continues a chunk (combining marks)
)

// asciiKind classifies ASCII bytes.
var asciiKind = func() (t [utf8.RuneSelf]runeKind) {
	for c := range utf8.RuneSelf {
		switch {
		case '0' <= c && c <= '9':
			t[c] = kindDigit
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			t[c] = kindLetter
		}
	}
	return t
}()

func kindOf(r rune) runeKind {
	switch {
	case r < utf8.RuneSelf:
		return asciiKind[r]
	case r >= 0x3400 && r < 0xA000: // CJK Extension A and Unified Ideographs
		return kindCJK
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul), r == 'ー':
		return kindCJK
	case unicode.IsDigit(r):
		return kindDigit
	case unicode.IsLetter(r):
		return kindLetter
	case unicode.IsMark(r):
		return kindMark
	}
	return kindOther
}

// isJoiner reports whether c may join the parts of a chunk.
func isJoiner(c byte) bool { return c == '-' || c == '_' || c == '.' || c == '/' }

// decodeKind decodes the rune at s[i] and classifies it.
func decodeKind(s string, i int) (runeKind, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiKind[c], 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	return kindOf(r), size
}

// tokenize calls emit with every term of s, in order; terms are substrings
// of s.
func tokenize(s string, emit func(string)) {
	for i := 0; i < len(s); {
		switch kind, size := decodeKind(s, i); kind {
		case kindCJK:
			i = cjkRun(s, i, emit)
		case kindLetter, kindDigit:
			i = chunk(s, i, emit)
		default:
			i += size
		}
	}
}

// cjkRun emits the unigrams and bigrams of the CJK run starting at s[i]
// (c₀, c₀c₁, c₁, c₁c₂, c₂ …) and returns where the run ends.
func cjkRun(s string, i int, emit func(string)) int {
	prev := -1
	for i < len(s) {
		kind, size := decodeKind(s, i)
		if kind != kindCJK {
			break
		}
		if prev >= 0 {
			emit(s[prev : i+size])
		}
		emit(s[i : i+size])
		prev, i = i, i+size
	}
	return i
}

// chunk emits the terms of the letter/digit chunk starting at s[i] and
// returns where it ends; see SparseEncoder for the rules.
func chunk(s string, i int, emit func(string)) int {
	end := chunkEnd(s, i)
	c := s[i:end]
	letters, digits, joined := chunkTraits(c)
	switch {
	case joined && !digits:
		splitChunk(c, false, emit) // words joined by punctuation
	case letters && digits:
		emit(c)
		splitChunk(c, true, emit) // an identifier: whole, then parts
	default:
		emit(c) // a word, or a number kept whole
	}
	return end
}

// chunkEnd returns the end of the chunk starting at s[i]: letters, digits
// and marks, with single joiners between letters or digits.
func chunkEnd(s string, i int) int {
	for i < len(s) {
		kind, size := decodeKind(s, i)
		switch kind {
		case kindLetter, kindDigit, kindMark:
		default:
			if !isJoiner(s[i]) || !startsChunk(s, i+1) {
				return i
			}
		}
		i += size
	}
	return i
}

// chunkTraits reports whether chunk c has letters, digits and joiners.
func chunkTraits(c string) (letters, digits, joined bool) {
	for i := 0; i < len(c); {
		kind, size := decodeKind(c, i)
		switch kind {
		case kindLetter:
			letters = true
		case kindDigit:
			digits = true
		case kindOther:
			joined = true
		}
		i += size
	}
	return letters, digits, joined
}

// startsChunk reports whether a letter or digit starts at s[i].
func startsChunk(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	kind, _ := decodeKind(s, i)
	return kind == kindLetter || kind == kindDigit
}

// splitChunk emits the parts of chunk c: runs between joiners and, when
// byScript is set, between letters and digits; a '.' between two digits
// stays inside its number.
func splitChunk(c string, byScript bool, emit func(string)) {
	start := 0
	last := kindOther // kind of the last letter or digit in the current part
	for i := 0; i < len(c); {
		kind, size := decodeKind(c, i)
		switch {
		case kind == kindMark:
		case kind == kindOther: // a joiner
			if byScript && c[i] == '.' && last == kindDigit && startsDigit(c, i+1) {
				break // a decimal point
			}
			emit(c[start:i])
			start, last = i+1, kindOther
		case byScript && last != kindOther && kind != last:
			emit(c[start:i])
			start, last = i, kind
		default:
			last = kind
		}
		i += size
	}
	emit(c[start:])
}

// startsDigit reports whether a digit starts at s[i].
func startsDigit(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	kind, _ := decodeKind(s, i)
	return kind == kindDigit
}
