package synth

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrBadConfig reports a model config or options that cannot make a model.
	ErrBadConfig = errors.New("invalid synthetic model config")
	// ErrBadTokenizer reports a tokenizer.json or vocabulary that cannot be
	// used with the model.
	ErrBadTokenizer = errors.New("invalid tokenizer")
)
