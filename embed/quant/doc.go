// Package quant quantizes float32 ONNX sentence encoders to int8 in Go,
// the way onnxruntime.quantization.quantize_dynamic does, for `jieda model
// quantize`.
//
// # Basics
//
// [Quantize] rewrites a model file: every matrix multiplication by a
// constant float32 weight matrix (MatMul, or Gemm) becomes ONNX Runtime's
// com.microsoft DynamicQuantizeMatMul with the weights stored as int8,
// symmetric per output column, and activations quantized to uint8 at run
// time. A constant bias added after the product is folded in; projections
// of one input (Q, K, V) run as one product over their concatenated
// weights. It matches operators, not names, so it takes the graphs that
// Hugging Face exports hold (unfused attention, GELU as Erf, decomposed or
// fused layer norms, any opset from 11) as well as already optimized ones.
// [QuantizeDir] does it for a model directory: model.onnx quantized, the
// tokenizer and other files copied, the manifest renamed NAME-int8.
//
// # Caveats
//
// The output needs ONNX Runtime (its contrib operators), which is what
// jieda runs. Quantization costs some accuracy: the package's tests hold
// the int8 model's sentence vectors to a cosine ≥ 0.99 of the float32
// model's on generated weights, but what it costs in answer quality on a
// trained model can only be measured with that model on labeled questions
// (`jieda eval --model DIR`). Weights in external data files are refused.
package quant
