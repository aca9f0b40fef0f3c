package synth

import (
	"errors"
	"fmt"
	"math"
)

// BertConfig is the shape of a BERT encoder. Its JSON keys are those of a
// Hugging Face config.json, so a real model's config parses directly.
type BertConfig struct {
	// Layers is the number of transformer layers (num_hidden_layers).
	Layers int `json:"num_hidden_layers"`
	// Hidden is the width of token states and the output dimension (hidden_size).
	Hidden int `json:"hidden_size"`
	// Heads is the number of attention heads; Hidden must be a multiple of it
	// (num_attention_heads).
	Heads int `json:"num_attention_heads"`
	// FFN is the width of the feed-forward layer (intermediate_size).
	FFN int `json:"intermediate_size"`
	// Vocab is the number of token embeddings (vocab_size).
	Vocab int `json:"vocab_size"`
	// MaxPositions is the number of position embeddings, the longest input
	// the model accepts (max_position_embeddings).
	MaxPositions int `json:"max_position_embeddings"`
	// TypeVocab is the number of token type (segment) embeddings (type_vocab_size).
	TypeVocab int `json:"type_vocab_size"`
	// LayerNormEps is the epsilon of every layer normalization (layer_norm_eps).
	LayerNormEps float32 `json:"layer_norm_eps"`
	// Seed selects the random weights; the same config and seed always give
	// the same model bytes. Not a Hugging Face key.
	Seed int64 `json:"seed,omitempty"`
}

// maxModelBytes keeps a generated model under protobuf's 2 GiB message limit.
const maxModelBytes = 2<<30 - 64<<20

// Validate reports every problem with the config.
func (c BertConfig) Validate() error {
	var errs []error
	positive := []struct {
		key string
		v   int
	}{
		{"num_hidden_layers", c.Layers},
		{"hidden_size", c.Hidden},
		{"num_attention_heads", c.Heads},
		{"intermediate_size", c.FFN},
		{"vocab_size", c.Vocab},
		{"max_position_embeddings", c.MaxPositions},
		{"type_vocab_size", c.TypeVocab},
	}
	for _, p := range positive {
		if p.v <= 0 {
			errs = append(errs, fmt.Errorf("%s %d must be positive", p.key, p.v))
		}
	}
	if c.Hidden > 0 && c.Heads > 0 && c.Hidden%c.Heads != 0 {
		errs = append(errs, fmt.Errorf("hidden_size %d must be a multiple of num_attention_heads %d", c.Hidden, c.Heads))
	}
	if !(c.LayerNormEps > 0) || math.IsInf(float64(c.LayerNormEps), 0) {
		errs = append(errs, fmt.Errorf("layer_norm_eps %g must be positive and finite", c.LayerNormEps))
	}
	if len(errs) == 0 {
		if n := c.paramCount() * 4; n > maxModelBytes {
			errs = append(errs, fmt.Errorf("%d MiB of weights exceed the 2 GiB limit of one ONNX file", n>>20))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrBadConfig, errors.Join(errs...))
	}
	return nil
}

// paramCount is the number of float32 weights of the model, computed in
// int64 so that absurd configs cannot overflow.
func (c BertConfig) paramCount() int64 {
	h, f := int64(c.Hidden), int64(c.FFN)
	emb := (int64(c.Vocab)+int64(c.MaxPositions)+int64(c.TypeVocab))*h + 2*h
	layer := 4*(h*h+h) + 2*h + (h*f + f) + (f*h + h) + 2*h
	return emb + int64(c.Layers)*layer
}

// withDefaults fills the keys that Hugging Face configs may omit with the
// library's defaults.
func (c BertConfig) withDefaults() BertConfig {
	if c.LayerNormEps == 0 {
		c.LayerNormEps = 1e-12
	}
	if c.TypeVocab == 0 {
		c.TypeVocab = 2
	}
	return c
}
