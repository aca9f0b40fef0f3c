package synth

import (
	"fmt"
	"math"
	"strings"
)

// Layout is the form in which a BERT graph is written.
type Layout string

const (
	// LayoutORT (the default, also written "") is the graph in the exact
	// form that ONNX Runtime's graph optimizer fuses into its transformer
	// kernels (see the package documentation).
	LayoutORT Layout = "ort"
	// LayoutHF is the graph that torch.onnx.export (through Hugging Face
	// Optimum, as the Transformers.js exports of bge-small-zh-v1.5 and
	// multilingual-e5-small were made) writes for BertModel: separate MatMul
	// and Add (bias first) for Q, K and V, head splits through
	// Shape/Gather/Unsqueeze/Concat/Reshape, K transposed by its own node,
	// the mask as (1 - mask) × float32 lowest, GELU as the Erf subgraph,
	// position ids sliced from the embeddings.position_ids buffer, shape
	// constants as Constant nodes, float scalars as initializers shared by
	// every layer, and weight matrices as transposed initializers named
	// onnx::MatMul_N. Layer norms are decomposed below opset 17 and
	// LayerNormalization operators from 17 on, as the exporter writes them.
	// With shared layers, later layers read the weight matrices through
	// Identity nodes and the other parameters directly.
	LayoutHF Layout = "hf"
)

// defaultHFOpset is the opset Optimum exports BERT models with.
const defaultHFOpset = 14

// hfBuilder writes the LayoutHF graph. Weights come from the same named
// streams as the LayoutORT graph's, so both layouts of a seed compute the
// same function.
type hfBuilder struct {
	*bertBuilder
	// matmuls numbers the onnx::MatMul_N weight initializers.
	matmuls int
}

// checkLayout validates the layout options.
func checkLayout(opts bertOptions) error {
	switch opts.layout {
	case "", LayoutORT:
		if opts.shareLayers {
			return fmt.Errorf("%w: shared layers are written only in layout %q", ErrBadConfig, LayoutHF)
		}
	case LayoutHF:
		if opts.opset != 0 && (opts.opset < 11 || opts.opset > 17) {
			return fmt.Errorf("%w: opset %d for layout %q (want 11 to 17)", ErrBadConfig, opts.opset, LayoutHF)
		}
		if opts.quantize != "" {
			return fmt.Errorf("%w: layout %q is written in float32 only; quantize it with `jieda model quantize`", ErrBadConfig, LayoutHF)
		}
	default:
		return fmt.Errorf("%w: layout %q (want %q or %q)", ErrBadConfig, opts.layout, LayoutORT, LayoutHF)
	}
	return nil
}

// buildHF assembles the LayoutHF graph of b's config.
func buildHF(b *bertBuilder) *model {
	h := &hfBuilder{bertBuilder: b, matmuls: 1200}
	g, c := b.g, b.cfg
	batchSeq := []dim{{param: "batch_size"}, {param: "sequence_length"}}
	ids := g.input(InputIDs, dtInt64, batchSeq...)
	mask := g.input(AttentionMask, dtInt64, batchSeq...)
	types := g.input(TokenTypeIDs, dtInt64, batchSeq...)
	hidden := h.embeddings(ids, types)
	maskBias := h.extendedMask(mask)
	for i := range c.Layers {
		out := ""
		if i == c.Layers-1 {
			out = LastHiddenState
		}
		hidden = h.layer(i, hidden, maskBias, out)
	}
	g.output(LastHiddenState, dtFloat, dim{param: "batch_size"}, dim{param: "sequence_length"}, dim{value: int64(c.Hidden)})
	return &model{
		irVersion: 8,
		opsets:    []opset{{version: b.opset}},
		producer:  "jieda-synth",
		version:   producerVersion,
		doc:       "layout hf",
		graph:     g.parts(),
	}
}

// constant adds a Constant node holding an int64 tensor (a scalar when
// dims is nil) and returns its output, as the exporter writes shape
// arithmetic's constants.
func (h *hfBuilder) constant(node string, dims []int64, vs ...int64) string {
	raw := putInt64s(vs)
	return h.g.op("Constant", node, nil, attrTensor("value", tensorHeader("", dtInt64, dims, len(raw)), raw))
}

// constantFloat adds a Constant node holding a float32 scalar.
func (h *hfBuilder) constantFloat(node string, v float32) string {
	raw := putFloats([]float32{v})
	return h.g.op("Constant", node, nil, attrTensor("value", tensorHeader("", dtFloat, nil, len(raw)), raw))
}

// unsqueeze inserts axis into x: an attribute before opset 13, a Constant
// input since.
func (h *hfBuilder) unsqueeze(node, x string, axis int64) string {
	if h.opset < 13 {
		return h.g.op("Unsqueeze", node, []string{x}, attrIntList("axes", axis))
	}
	return h.g.op("Unsqueeze", node, []string{x, h.constant(node+"/Constant", []int64{1}, axis)})
}

// dimOf returns dimension i of x as a 1-D int64 tensor of one element:
// Shape, Gather, Unsqueeze.
func (h *hfBuilder) dimOf(node, x string, i int64) string {
	g := h.g
	shape := g.op("Shape", node+"/Shape", []string{x})
	d := g.op("Gather", node+"/Gather", []string{shape, h.constant(node+"/Constant", nil, i)}, attrInt("axis", 0))
	return h.unsqueeze(node+"/Unsqueeze", d, 0)
}

func (h *hfBuilder) embeddings(ids, types string) string {
	g, c := h.g, h.cfg
	hid := int64(c.Hidden)
	word := g.op("Gather", "/embeddings/word_embeddings/Gather", []string{h.weight(wordEmbeddings, int64(c.Vocab), hid), ids})
	typ := g.op("Gather", "/embeddings/token_type_embeddings/Gather", []string{h.weight(typeEmbeddings, int64(c.TypeVocab), hid), types})
	sum := g.op("Add", "/embeddings/Add", []string{word, typ})

	positions := make([]int64, c.MaxPositions)
	for i := range positions {
		positions[i] = int64(i)
	}
	buf := g.int64Init("embeddings.position_ids", []int64{1, int64(c.MaxPositions)}, positions)
	seqLen := h.dimOf("/embeddings", ids, 1)
	posIDs := g.op("Slice", "/embeddings/Slice", []string{buf, h.constant("/embeddings/Constant_1", []int64{1}, 0), seqLen,
		h.constant("/embeddings/Constant_2", []int64{1}, 1), h.constant("/embeddings/Constant_3", []int64{1}, 1)})
	pos := g.op("Gather", "/embeddings/position_embeddings/Gather", []string{h.weight(positionEmbeddings, int64(c.MaxPositions), hid), posIDs})
	sum = g.op("Add", "/embeddings/Add_1", []string{sum, pos})
	return h.layerNorm("/embeddings/LayerNorm", "embeddings.LayerNorm", sum, "")
}

// extendedMask is (1 - mask[:, None, None, :]) × float32 lowest, as
// transformers' get_extended_attention_mask writes it.
func (h *hfBuilder) extendedMask(mask string) string {
	g := h.g
	m := h.unsqueeze("/Unsqueeze", mask, 1)
	m = h.unsqueeze("/Unsqueeze_1", m, 2)
	m = g.op("Cast", "/Cast", []string{m}, attrInt("to", dtFloat))
	m = g.op("Sub", "/Sub", []string{h.constantFloat("/Constant", 1), m})
	return g.op("Mul", "/Mul", []string{m, h.constantFloat("/Constant_1", -math.MaxFloat32)})
}

// matmulWeight adds param's [in, out] weight as the exporter names a
// transposed nn.Linear weight: onnx::MatMul_N. A weight already written
// (shared layers) is read again through an Identity node, as torch
// exports a parameter used twice.
func (h *hfBuilder) matmulWeight(param string, in, out int) string {
	name := param + ".weight"
	if h.shareLayers {
		name = sharedName(name)
		if n, ok := h.shared[name]; ok {
			h.matmuls++
			return h.g.opTo("Identity", fmt.Sprintf("Identity_%d", h.matmuls), fmt.Sprintf("onnx::MatMul_%d", h.matmuls), []string{n})
		}
	}
	h.matmuls++
	dims := []int64{int64(in), int64(out)}
	n := h.g.floatInit(fmt.Sprintf("onnx::MatMul_%d", h.matmuls), dims, h.weights(name, dims))
	if h.shareLayers {
		h.shared[name] = n
	}
	return n
}

// linear is nn.Linear on 3-D input as exported: MatMul, then Add with the
// bias as the first input.
func (h *hfBuilder) linear(node, param, x string, in, out int) string {
	y := h.g.op("MatMul", node+"/MatMul", []string{x, h.matmulWeight(param, in, out)})
	return h.g.op("Add", node+"/Add", []string{h.weight(param+".bias", int64(out)), y})
}

// splitHeads is transpose_for_scores: [B, S, H] → [B, heads, S, head_dim].
func (h *hfBuilder) splitHeads(self, x string) string {
	g, c := h.g, h.cfg
	shape := g.op("Concat", self+"/Concat", []string{h.dimOf(self, x, 0), h.dimOf(self, x, 1),
		h.constant(self+"/Constant", []int64{1}, int64(c.Heads)), h.constant(self+"/Constant", []int64{1}, int64(c.Hidden/c.Heads))},
		attrInt("axis", 0))
	r := g.op("Reshape", self+"/Reshape", []string{x, shape})
	return g.op("Transpose", self+"/Transpose", []string{r}, attrIntList("perm", 0, 2, 1, 3))
}

func (h *hfBuilder) layer(i int, x, maskBias, out string) string {
	g, c := h.g, h.cfg
	node := fmt.Sprintf("/encoder/layer.%d", i)
	param := fmt.Sprintf("encoder.layer.%d", i)
	self := node + "/attention/self"
	hid := c.Hidden

	// BertSelfAttention computes the query projection first and splits its
	// heads after key's and value's.
	q := h.linear(self+"/query", param+".attention.self.query", x, hid, hid)
	k := h.splitHeads(self, h.linear(self+"/key", param+".attention.self.key", x, hid, hid))
	v := h.splitHeads(self, h.linear(self+"/value", param+".attention.self.value", x, hid, hid))
	q = h.splitHeads(self, q)
	kt := g.op("Transpose", self+"/Transpose", []string{k}, attrIntList("perm", 0, 1, 3, 2))
	s := g.op("MatMul", self+"/MatMul", []string{q, kt})
	s = g.op("Div", self+"/Div", []string{s, g.floatScalar(float32(math.Sqrt(float64(hid / c.Heads))))})
	s = g.op("Add", self+"/Add", []string{s, maskBias})
	axis := int64(-1)
	if h.opset < 13 {
		axis = 3
	}
	p := g.op("Softmax", self+"/Softmax", []string{s}, attrInt("axis", axis))
	ctx := g.op("MatMul", self+"/MatMul_1", []string{p, v})
	ctx = g.op("Transpose", self+"/Transpose", []string{ctx}, attrIntList("perm", 0, 2, 1, 3))
	merged := g.op("Concat", self+"/Concat", []string{h.dimOf(self, ctx, 0), h.dimOf(self, ctx, 1),
		h.constant(self+"/Constant", []int64{1}, int64(hid))}, attrInt("axis", 0))
	ctx = g.op("Reshape", self+"/Reshape", []string{ctx, merged})

	att := h.linear(node+"/attention/output/dense", param+".attention.output.dense", ctx, hid, hid)
	att = g.op("Add", node+"/attention/output/Add", []string{att, x})
	att = h.layerNorm(node+"/attention/output/LayerNorm", param+".attention.output.LayerNorm", att, "")

	f := h.linear(node+"/intermediate/dense", param+".intermediate.dense", att, hid, c.FFN)
	f = h.gelu(node+"/intermediate/intermediate_act_fn", f)
	f = h.linear(node+"/output/dense", param+".output.dense", f, c.FFN, hid)
	f = g.op("Add", node+"/output/Add", []string{f, att})
	return h.layerNorm(node+"/output/LayerNorm", param+".output.LayerNorm", f, out)
}

// sharedName maps every layer's parameter to layer 0's, the cross-layer
// sharing of ALBERT.
func sharedName(name string) string {
	rest, ok := strings.CutPrefix(name, "encoder.layer.")
	if !ok {
		return name
	}
	_, after, ok := strings.Cut(rest, ".")
	if !ok {
		return name
	}
	return "encoder.layer.0." + after
}
