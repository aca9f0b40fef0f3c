// Package synth generates the ONNX models jieda makes itself: random-weight
// BERT encoders with a real model's shape, for tests and benchmarks, and the
// builtin offline model that lets the product start where no model can be
// downloaded.
//
// Nothing here downloads anything. The ONNX protobuf is encoded by hand with
// google.golang.org/protobuf/encoding/protowire (onnx.go), weights come from
// a seeded SplitMix64 generator (rand.go), and tokenizer.json files are
// written in Hugging Face's format (tokenizer.go, vocab.go).
//
// # Basics
//
//   - [WriteBERT] writes one model.onnx for a [BertConfig]; a config.json
//     of a Hugging Face BERT parses into a BertConfig directly.
//   - [WriteDir] writes a complete model directory (model.onnx,
//     tokenizer.json, manifest.json) that package embed loads like a
//     downloaded model; [LikeConfig] reads a reference directory so that
//     `--like bge-small-zh-v1.5` reproduces that model's shape and tokenizer.
//   - [WriteBuiltin] writes the builtin model, "jieda-builtin-lexical".
//   - [GenerateTokenizer] and [DefaultVocab] make a BERT WordPiece
//     tokenizer.json (bert-base-chinese's special-token layout) without one.
//
// The same config and seed always give the same bytes.
//
// # Graph
//
// The graph is what the PyTorch exporter writes for Hugging Face's
// BertModel, in the exact form ONNX Runtime's graph optimizer (level "all")
// fuses into its transformer kernels: EmbedLayerNormalization, Attention,
// SkipLayerNormalization and BiasGelu. A generated 4-layer model optimizes
// to 1 EmbedLayerNormalization, 4 Attention, 8 SkipLayerNormalization,
// 4 BiasGelu and 12 MatMul nodes and nothing else but casts.
//
// Those fusions match operator versions, and that fixes the opset at 12:
//
//   - AttentionFusion recognizes the attention mask
//     Unsqueeze(axes=1) → Unsqueeze(axes=2) → Cast → Sub(1, ·) → Mul(·, -10000)
//     only with Unsqueeze-11, whose axes are an attribute; from opset 13 on
//     no Attention node is fused (and so no EmbedLayerNormalization either).
//   - LayerNormalization only exists as an ONNX operator from opset 17, so
//     layer norms are written decomposed (ReduceMean, Sub, Pow, ReduceMean,
//     Add ε, Sqrt, Div, Mul γ, Add β), which LayerNormFusion reassembles.
//   - Softmax has axis=3, Q/K/V reshapes use [0, 0, heads, head_dim] and
//     the context reshape [0, 0, hidden]; K is transposed (0, 2, 3, 1) in
//     one node; position ids are Range(0, seq_len) unsqueezed and expanded
//     to the input's shape, with a value_info that keeps the [batch,
//     sequence] shape known (SkipLayerNormFusion needs equal input shapes).
//   - No weight is an exact identity: γ is 1 and biases 0 plus a small
//     jitter, because NoopElimination would otherwise remove x·1 and x+0
//     nodes that the fusion patterns contain.
//
// The result is plain standard ONNX (ir_version 8, opset 12) that any
// runtime can run; only the speed depends on ONNX Runtime's fusions.
//
// # The Hugging Face export layout
//
// [LayoutHF] writes instead what torch.onnx.export through Optimum makes of
// BertModel, the form of the downloadable models (the Transformers.js
// exports of bge-small-zh-v1.5 and multilingual-e5-small): Q, K and V as
// separate MatMul + Add (bias first) with head splits through
// Shape/Gather/Unsqueeze/Concat/Reshape, the mask as (1 - mask) × float32
// lowest, GELU as the Erf subgraph, position ids sliced from a buffer,
// shape constants as Constant nodes, float scalars as initializers shared
// by every layer, weights as onnx::MatMul_N initializers; opset 11 to 17,
// layer norms decomposed below 17 and LayerNormalization operators from
// 17; optionally with every layer sharing the first one's weights. ONNX
// Runtime fuses little of it (layer norms, GELU with its bias; no
// Attention). Both layouts of a seed compute the same function; the
// bge-small-zh-v1.5-shaped model.onnx in this layout is within a few KB of
// the published export's size. It is what `jieda model quantize` is tested
// on.
//
// # Caveats
//
// Random weights carry no meaning: WriteDir's models have no grade and say
// so in their manifest note. The builtin model is graded lexical: its
// vectors are essentially weighted bags of tokens (see [WriteBuiltin]), good
// for matching questions that share words or characters and nothing more.
// One ONNX file holds at most 2 GiB, which bounds the configs
// [BertConfig.Validate] accepts.
package synth
