package synth

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// WriteBERT writes an ONNX BERT encoder with cfg's shape and seeded random
// weights to w. Inputs are input_ids, attention_mask and token_type_ids
// (int64 [batch, sequence]); the output is last_hidden_state
// (float32 [batch, sequence, hidden]). See the package documentation for the
// graph's form.
func WriteBERT(w io.Writer, cfg BertConfig) error {
	m, err := buildBERT(cfg, bertOptions{})
	if err != nil {
		return err
	}
	if _, err := m.WriteTo(w); err != nil {
		return fmt.Errorf("writing model: %w", err)
	}
	return nil
}

// weightFunc returns the values of the named weight tensor with dims.
type weightFunc func(name string, dims []int64) []float32

// bertOptions are the knobs that only this package turns.
type bertOptions struct {
	// weights overrides the default seeded initializer when it returns non-nil.
	weights weightFunc
	// opset is the ONNX opset, 0 meaning defaultOpset (12, the one that
	// ONNX Runtime fully fuses); 13 to 17 exist to show why (see
	// TestFusionsByOpset), and 17 writes LayerNormalization operators.
	opset int64
	// doc is the model's doc_string.
	doc string
	// quantize is "" for float32 weights or QuantizeInt8 for ONNX Runtime's
	// dynamic int8 form (see quantize.go).
	quantize string
	// form is how int8 weights are written; the zero value is the default
	// form. Other forms exist to compare them (see TestInt8Forms).
	form int8Form
	// layout is LayoutORT ("" too) or LayoutHF (see hf.go).
	layout Layout
	// shareLayers makes every layer use layer 0's weights (ALBERT's
	// cross-layer sharing): one initializer feeds a MatMul in every layer.
	shareLayers bool
}

// defaultOpset is the ONNX opset of generated models; see the package doc.
const defaultOpset = 12

// initStd is the standard deviation of random weights (BERT's initializer_range).
const initStd = 0.02

// defaultWeights is BERT's initialization: N(0, 0.02) weights and embeddings
// (the [PAD] row zero), LayerNorm gamma 1 and biases 0. Gamma and the biases
// carry a small N(0, 0.02) jitter so that no tensor is an exact identity:
// ONNX Runtime's NoopElimination deletes x+0 and x·1 nodes, which would break
// the patterns its transformer fusions look for (trained models never have
// such tensors either).
func defaultWeights(seed int64) weightFunc {
	return func(name string, dims []int64) []float32 {
		n := int(numel(dims))
		vs := normalFloats(seed, name, n, initStd)
		switch {
		case strings.HasSuffix(name, "LayerNorm.weight"):
			for i := range vs {
				vs[i] += 1
			}
		case name == wordEmbeddings:
			clear(vs[:dims[1]]) // padding_idx 0
		}
		return vs
	}
}

func numel(dims []int64) int64 {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	return n
}

// Names of the embedding tensors (Hugging Face parameter names).
const (
	wordEmbeddings     = "embeddings.word_embeddings.weight"
	positionEmbeddings = "embeddings.position_embeddings.weight"
	typeEmbeddings     = "embeddings.token_type_embeddings.weight"
)

// Graph input and output names.
const (
	InputIDs        = "input_ids"
	AttentionMask   = "attention_mask"
	TokenTypeIDs    = "token_type_ids"
	LastHiddenState = "last_hidden_state"
)

// producerVersion is stamped into generated models; bump it when the graph
// or the weights a seed yields change.
const producerVersion = "1"

// bertBuilder writes one BERT graph.
type bertBuilder struct {
	g       *graph
	cfg     BertConfig
	weights weightFunc
	opset   int64
	// int8 is set when weight MatMuls are written in int8, form says how.
	int8 bool
	form int8Form
	// contrib is set once a com.microsoft operator has been written.
	contrib bool
	// shareLayers maps every layer's weights to layer 0's; shared holds the
	// initializer of each weight written so far.
	shareLayers bool
	shared      map[string]string
}

func (b *bertBuilder) weight(name string, dims ...int64) string {
	if !b.shareLayers {
		return b.g.floatInit(name, dims, b.weights(name, dims))
	}
	name = sharedName(name)
	if n, ok := b.shared[name]; ok {
		return n
	}
	n := b.g.floatInit(name, dims, b.weights(name, dims))
	b.shared[name] = n
	return n
}

// buildBERT assembles the model.
func buildBERT(cfg BertConfig, opts bertOptions) (*model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkLayout(opts); err != nil {
		return nil, err
	}
	hf := opts.layout == LayoutHF
	switch {
	case opts.opset != 0:
	case hf:
		opts.opset = defaultHFOpset
	default:
		opts.opset = defaultOpset
	}
	if !hf && (opts.opset < 12 || opts.opset > 17) {
		return nil, fmt.Errorf("%w: opset %d (want 12 to 17)", ErrBadConfig, opts.opset)
	}
	if err := checkQuantize(opts); err != nil {
		return nil, err
	}
	def := defaultWeights(cfg.Seed)
	weights := def
	if opts.weights != nil {
		weights = func(name string, dims []int64) []float32 {
			if vs := opts.weights(name, dims); vs != nil {
				return vs
			}
			return def(name, dims)
		}
	}
	b := &bertBuilder{g: newGraph("bert"), cfg: cfg, weights: weights, opset: opts.opset,
		int8: opts.quantize == QuantizeInt8, form: opts.form,
		shareLayers: opts.shareLayers, shared: map[string]string{}}
	if hf {
		b.g.name = "main_graph"
		return buildHF(b), nil
	}
	g := b.g
	batchSeq := []dim{{param: "batch"}, {param: "sequence"}}
	ids := g.input(InputIDs, dtInt64, batchSeq...)
	mask := g.input(AttentionMask, dtInt64, batchSeq...)
	types := g.input(TokenTypeIDs, dtInt64, batchSeq...)

	var hidden, maskBias string
	if b.qattention() {
		// maskBias is then QAttention's mask_index (see quantize.go).
		hidden, maskBias = b.embedLayerNorm(ids, types, mask)
	} else {
		hidden = b.embeddings(ids, types)
		maskBias = b.extendedMask(mask)
	}
	for i := range cfg.Layers {
		out := ""
		if i == cfg.Layers-1 {
			out = LastHiddenState
		}
		hidden = b.layer(i, hidden, maskBias, out)
	}
	g.output(LastHiddenState, dtFloat, dim{param: "batch"}, dim{param: "sequence"}, dim{value: int64(cfg.Hidden)})

	opsets := []opset{{version: opts.opset}}
	if b.contrib {
		opsets = append(opsets, opset{domain: msDomain, version: 1})
	}
	return &model{
		irVersion: 8,
		opsets:    opsets,
		producer:  "jieda-synth",
		version:   producerVersion,
		doc:       opts.doc,
		graph:     g.parts(),
	}, nil
}

// embeddings adds word + position + token type embeddings and their
// LayerNorm. Position ids are Range(0, seq_len) expanded to the input's shape,
// the form ONNX Runtime's EmbedLayerNormFusion recognizes.
func (b *bertBuilder) embeddings(ids, types string) string {
	g, c := b.g, b.cfg
	h := int64(c.Hidden)
	wordW := b.weight(wordEmbeddings, int64(c.Vocab), h)
	posW := b.weight(positionEmbeddings, int64(c.MaxPositions), h)
	typeW := b.weight(typeEmbeddings, int64(c.TypeVocab), h)

	word := g.op("Gather", "/embeddings/word_embeddings/Gather", []string{wordW, ids})

	shape := g.op("Shape", "/embeddings/Shape", []string{ids})
	seqLen := g.op("Gather", "/embeddings/Gather", []string{shape, g.int64Scalar(1)}, attrInt("axis", 0))
	rng := g.op("Range", "/embeddings/Range", []string{g.int64Scalar(0), seqLen, g.int64Scalar(1)})
	row := b.unsqueeze("/embeddings/Unsqueeze", rng, 0)
	shape2 := g.op("Shape", "/embeddings/Shape_1", []string{ids})
	posIDs := g.op("Expand", "/embeddings/Expand", []string{row, shape2})
	// Expand's output shape comes from a runtime value; without this hint the
	// embeddings, and every residual Add after them, have unknown dimensions
	// and SkipLayerNormFusion refuses them.
	g.annotate(posIDs, dtInt64, dim{param: "batch"}, dim{param: "sequence"})
	pos := g.op("Gather", "/embeddings/position_embeddings/Gather", []string{posW, posIDs})

	typ := g.op("Gather", "/embeddings/token_type_embeddings/Gather", []string{typeW, types})
	sum := g.op("Add", "/embeddings/Add", []string{word, pos})
	sum = g.op("Add", "/embeddings/Add_1", []string{sum, typ})
	return b.layerNorm("/embeddings/LayerNorm", "embeddings.LayerNorm", sum, "")
}

// maskFilter is the additive mask value of masked positions. ONNX Runtime's
// AttentionFusion matches exactly -10000 (the classic BERT export).
const maskFilter = -10000

// extendedMask turns attention_mask [B, S] into the additive bias
// (1 - mask) * -10000 of shape [B, 1, 1, S], shared by all layers.
func (b *bertBuilder) extendedMask(mask string) string {
	g := b.g
	m := b.unsqueeze("/Unsqueeze", mask, 1)
	m = b.unsqueeze("/Unsqueeze_1", m, 2)
	m = g.op("Cast", "/Cast", []string{m}, attrInt("to", dtFloat))
	m = g.op("Sub", "/Sub", []string{g.floatScalar(1), m})
	return g.op("Mul", "/Mul", []string{m, g.floatScalar(maskFilter)})
}

// unsqueeze inserts axis into x: an attribute before opset 13, an input since.
func (b *bertBuilder) unsqueeze(node, x string, axis int64) string {
	if b.opset < 13 {
		return b.g.op("Unsqueeze", node, []string{x}, attrIntList("axes", axis))
	}
	return b.g.op("Unsqueeze", node, []string{x, b.g.int64Vector(axis)})
}

// linear is MatMul by a [in, out] weight then Add of the bias, as the
// PyTorch exporter writes nn.Linear on 3-D input.
func (b *bertBuilder) linear(node, param, x string, in, out int) string {
	if b.quantizes(param) {
		return b.int8Linear(node, param, x, in, out)
	}
	w := b.weight(param+".weight", int64(in), int64(out))
	bias := b.weight(param+".bias", int64(out))
	y := b.g.op("MatMul", node+"/MatMul", []string{x, w})
	return b.g.op("Add", node+"/Add", []string{y, bias})
}

// layer adds transformer layer i. out names the result when it is the graph
// output.
func (b *bertBuilder) layer(i int, x, maskBias, out string) string {
	g, c := b.g, b.cfg
	node := fmt.Sprintf("/encoder/layer.%d", i)
	param := fmt.Sprintf("encoder.layer.%d", i)
	var ctx string
	if b.qattention() {
		ctx = b.int8Attention(node, param, x, maskBias)
	} else {
		ctx = b.selfAttention(node, param, x, maskBias)
	}

	att := b.linear(node+"/attention/output/dense", param+".attention.output.dense", ctx, c.Hidden, c.Hidden)
	att = g.op("Add", node+"/attention/output/Add", []string{att, x})
	att = b.layerNorm(node+"/attention/output/LayerNorm", param+".attention.output.LayerNorm", att, "")

	f := b.linear(node+"/intermediate/dense", param+".intermediate.dense", att, c.Hidden, c.FFN)
	f = b.gelu(node+"/intermediate/intermediate_act_fn", f)
	f = b.linear(node+"/output/dense", param+".output.dense", f, c.FFN, c.Hidden)
	f = g.op("Add", node+"/output/Add", []string{f, att})
	return b.layerNorm(node+"/output/LayerNorm", param+".output.LayerNorm", f, out)
}

// selfAttention is the multi-head self-attention of layer node (parameters
// param) up to the context's reshape to [batch, sequence, hidden], in the
// form AttentionFusion matches.
func (b *bertBuilder) selfAttention(node, param, x, maskBias string) string {
	g, c := b.g, b.cfg
	heads, headDim := int64(c.Heads), int64(c.Hidden/c.Heads)
	split := g.int64Vector(0, 0, heads, headDim)

	proj := func(name string, perm ...int64) string {
		y := b.linear(node+"/attention/self/"+name, param+".attention.self."+name, x, c.Hidden, c.Hidden)
		y = g.op("Reshape", node+"/attention/self/"+name+"/Reshape", []string{y, split})
		return g.op("Transpose", node+"/attention/self/"+name+"/Transpose", []string{y}, attrIntList("perm", perm...))
	}
	q := proj("query", 0, 2, 1, 3)
	k := proj("key", 0, 2, 3, 1)
	v := proj("value", 0, 2, 1, 3)

	self := node + "/attention/self"
	s := g.op("MatMul", self+"/MatMul", []string{q, k})
	s = g.op("Div", self+"/Div", []string{s, g.floatScalar(float32(math.Sqrt(float64(headDim))))})
	s = g.op("Add", self+"/Add", []string{s, maskBias})
	p := g.op("Softmax", self+"/Softmax", []string{s}, attrInt("axis", 3))
	ctx := g.op("MatMul", self+"/MatMul_1", []string{p, v})
	ctx = g.op("Transpose", self+"/Transpose", []string{ctx}, attrIntList("perm", 0, 2, 1, 3))
	return g.op("Reshape", self+"/Reshape", []string{ctx, g.int64Vector(0, 0, int64(c.Hidden))})
}

// gelu is the exact GELU as PyTorch exports it:
// x * 0.5 * (1 + erf(x / sqrt(2))), in the order GeluFusion matches.
func (b *bertBuilder) gelu(node, x string) string {
	g := b.g
	d := g.op("Div", node+"/Div", []string{x, g.floatScalar(1.4142135381698608)})
	e := g.op("Erf", node+"/Erf", []string{d})
	a := g.op("Add", node+"/Add", []string{e, g.floatScalar(1)})
	m := g.op("Mul", node+"/Mul", []string{x, a})
	return g.op("Mul", node+"/Mul_1", []string{m, g.floatScalar(0.5)})
}

// layerNorm normalizes x over the hidden axis with gamma and beta named
// param.weight and param.bias. At opset 13 it is the decomposition PyTorch
// exports (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add), which
// ONNX Runtime's LayerNormFusion turns back into one node; at opset 17 it is
// the LayerNormalization operator. out names the result when it is the graph
// output.
func (b *bertBuilder) layerNorm(node, param, x, out string) string {
	g, h := b.g, int64(b.cfg.Hidden)
	gamma := b.weight(param+".weight", h)
	beta := b.weight(param+".bias", h)
	final := func(opType, name string, inputs []string, attrs ...attribute) string {
		if out != "" {
			return g.opTo(opType, name, out, inputs, attrs...)
		}
		return g.op(opType, name, inputs, attrs...)
	}
	if b.opset >= 17 {
		return final("LayerNormalization", node+"/LayerNormalization", []string{x, gamma, beta},
			attrInt("axis", -1), attrFloat("epsilon", b.cfg.LayerNormEps))
	}
	mean := g.op("ReduceMean", node+"/ReduceMean", []string{x}, attrIntList("axes", -1), attrInt("keepdims", 1))
	d := g.op("Sub", node+"/Sub", []string{x, mean})
	sq := g.op("Pow", node+"/Pow", []string{d, g.floatScalar(2)})
	v := g.op("ReduceMean", node+"/ReduceMean_1", []string{sq}, attrIntList("axes", -1), attrInt("keepdims", 1))
	v = g.op("Add", node+"/Add", []string{v, g.floatScalar(b.cfg.LayerNormEps)})
	sd := g.op("Sqrt", node+"/Sqrt", []string{v})
	n := g.op("Div", node+"/Div", []string{d, sd})
	n = g.op("Mul", node+"/Mul", []string{n, gamma})
	return final("Add", node+"/Add_1", []string{n, beta})
}
