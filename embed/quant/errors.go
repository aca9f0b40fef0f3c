package quant

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrNotONNX reports input that is not an ONNX model.
	ErrNotONNX = errors.New("not an ONNX model")
	// ErrAlreadyQuantized reports a model that already holds quantized operators.
	ErrAlreadyQuantized = errors.New("model is already quantized")
	// ErrExternalData reports weights stored outside the model file.
	ErrExternalData = errors.New("external tensor data is not supported")
	// ErrNothingToQuantize reports a model without a weight matrix multiplication to quantize.
	ErrNothingToQuantize = errors.New("nothing to quantize")
)
