package embed

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrInvalidUTF8 reports text that is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("text is not valid UTF-8")
	// ErrEmptyText reports text that is empty after normalization.
	ErrEmptyText = errors.New("text is empty")
	// ErrRuntimeUnavailable reports that the ONNX Runtime shared library could not be loaded.
	ErrRuntimeUnavailable = errors.New("onnx runtime unavailable")
	// ErrBadModelDir reports a model directory that is missing files or has an invalid manifest.
	ErrBadModelDir = errors.New("invalid model directory")
	// ErrClosed reports use of an Embedder after Close.
	ErrClosed = errors.New("embedder closed")
	// ErrUnreachable reports that a model download could not connect (offline).
	ErrUnreachable = errors.New("download host unreachable")
	// ErrUnknownModel reports a model name that is not in the catalog.
	ErrUnknownModel = errors.New("unknown model")
	// ErrUnknownVariant reports a variant that a catalog model does not have.
	ErrUnknownVariant = errors.New("unknown variant")
)
