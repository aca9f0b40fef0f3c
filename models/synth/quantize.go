package synth

import (
	"fmt"
	"math"
	"strings"
)

// This file writes int8 models: the float model of the same seed with every
// weight matrix (Q/K/V, attention output, both feed-forward projections)
// quantized symmetrically per column to int8 with zero point 0, and
// activations quantized to uint8 at run time by DynamicQuantizeLinear, the
// form onnxruntime.quantization.quantize_dynamic produces. Embeddings,
// biases and layer norms stay float32.
//
// ONNX Runtime multiplies uint8 activations by int8 weights (u8s8) with
// MLAS kernels chosen by CPUID: AVX512-VNNI (vpdpbusds) where present, as on
// Zen 4 and Ice Lake or later; AMX-INT8 only on Intel Sapphire Rapids or
// later. Without VNNI (AVX2, AVX512 without VNNI) the u8s8 kernels add pairs
// of products in saturating int16 and full-range int8 weights can overflow;
// there set the session option session.x64quantprecision=1, which makes ORT
// re-encode the weights as uint8 (it needs the explicit weight zero points
// written here).

// QuantizeInt8 is the [Options.Quantize] value that writes the weight
// matrices as int8, in ONNX Runtime's dynamic quantization form: weights
// are quantized once, here, and activations at run time.
const QuantizeInt8 = "int8"

// msDomain is the operator domain of ONNX Runtime's contrib operators.
const msDomain = "com.microsoft"

// int8Form is how an int8 model writes its weight matrix multiplications.
// Only the default, formQAttention, is reachable from the public API; the
// others exist so that TestInt8Forms can show why it is the default.
//
// ONNX Runtime's AttentionFusion only matches float MatMul weights (and the
// attention output projection as a float MatMul + Add), and
// EmbedLayerNormFusion only fires when a fused Attention node follows the
// embeddings. So a graph whose Q/K/V projections are quantized keeps
// neither fusion unless it is written already fused, which is what
// onnxruntime.quantization.quantize_dynamic produces from a model that the
// transformers optimizer fused first (QAttention, EmbedLayerNormalization).
type int8Form int

const (
	// formQAttention writes EmbedLayerNormalization and, per layer,
	// DynamicQuantizeLinear + com.microsoft QAttention (one int8 [H, 3H]
	// Q/K/V weight) and DynamicQuantizeMatMul for the other three
	// projections; ORT still fuses SkipLayerNormalization and BiasGelu.
	formQAttention int8Form = iota
	// formDynamicQuantizeMatMul writes every projection as
	// com.microsoft DynamicQuantizeMatMul(x, W, scale, zero point, bias) and
	// keeps the float graph otherwise: Attention and EmbedLayerNormalization
	// are not fused.
	formDynamicQuantizeMatMul
	// formMatMulInteger writes standard ONNX only: DynamicQuantizeLinear,
	// MatMulInteger, Cast, Mul by the product of scales, Add bias (what
	// quantize_dynamic writes for an unfused MatMul). ORT rewrites it to
	// DynamicQuantizeMatMul; no Attention or EmbedLayerNormalization.
	formMatMulInteger
	// formFFNOnly quantizes only the feed-forward projections
	// (DynamicQuantizeMatMul) and leaves attention in float so that the
	// Attention and EmbedLayerNormalization fusions still happen.
	formFFNOnly
)

func (f int8Form) String() string {
	switch f {
	case formQAttention:
		return "QAttention"
	case formDynamicQuantizeMatMul:
		return "DynamicQuantizeMatMul"
	case formMatMulInteger:
		return "MatMulInteger"
	case formFFNOnly:
		return "FFN-only"
	}
	return fmt.Sprintf("int8Form(%d)", int(f))
}

// checkQuantize validates the quantization options.
func checkQuantize(opts bertOptions) error {
	switch opts.quantize {
	case "":
	case QuantizeInt8:
		if opts.form < formQAttention || opts.form > formFFNOnly {
			return fmt.Errorf("%w: int8 form %d", ErrBadConfig, int(opts.form))
		}
	default:
		return fmt.Errorf("%w: quantize %q (want %q or none)", ErrBadConfig, opts.quantize, QuantizeInt8)
	}
	return nil
}

// qattention reports whether attention is written as QAttention.
func (b *bertBuilder) qattention() bool { return b.int8 && b.form == formQAttention }

// quantizes reports whether the linear layer param is written in int8.
func (b *bertBuilder) quantizes(param string) bool {
	if !b.int8 {
		return false
	}
	if b.form == formFFNOnly {
		return strings.HasSuffix(param, ".intermediate.dense") ||
			strings.HasSuffix(param, ".output.dense") && !strings.Contains(param, ".attention.")
	}
	return true
}

// contribOp adds a node with nOut outputs in domain (msDomain or "" for
// the default one) and returns the outputs' names.
func (b *bertBuilder) contribOp(opType, domain, name string, inputs []string, nOut int, attrs ...attribute) []string {
	g := b.g
	name = g.unique(name)
	outs := make([]string, nOut)
	for i := range outs {
		outs[i] = fmt.Sprintf("%s_output_%d", name, i)
	}
	g.nodes = append(g.nodes, encodeNode(name, opType, domain, inputs, outs, attrs))
	if domain == msDomain {
		b.contrib = true
	}
	return outs
}

// rawInit adds an initializer of any type from its little-endian bytes.
func (g *graph) rawInit(name string, dataType int64, dims []int64, raw []byte) string {
	name = g.unique(name)
	g.inits = append(g.inits, [][]byte{tensorHeader(name, dataType, dims, len(raw)), raw})
	return name
}

// quantizeColumns quantizes the row-major [rows, cols] matrix w
// symmetrically per column: q = round(w / scale) in [-127, 127] with
// scale = max|w[·, j]| / 127 and zero point 0. Per-column scales keep each
// output feature's full int8 range, which per-tensor scaling would spend on
// the largest column.
func quantizeColumns(w []float32, rows, cols int) (q []byte, scales []float32) {
	scales = make([]float32, cols)
	for r := range rows {
		for j, v := range w[r*cols : (r+1)*cols] {
			scales[j] = max(scales[j], float32(math.Abs(float64(v))))
		}
	}
	for j, m := range scales {
		if m == 0 {
			scales[j] = 1
		} else {
			scales[j] = m / 127
		}
	}
	q = make([]byte, len(w))
	for i, v := range w {
		x := math.RoundToEven(float64(v / scales[i%cols]))
		q[i] = byte(int8(max(-127, min(127, x))))
	}
	return q, scales
}

// int8Weight quantizes the [in, out] float weight w and adds the int8
// matrix, its per-column float scales and a scalar int8 zero point (0) as
// initializers named after param. The explicit zero point lets ORT's
// Avx2WeightS8ToU8 transformer re-encode the weights as uint8 on x86 CPUs
// without VNNI when session.x64quantprecision is set.
func (b *bertBuilder) int8Weight(param string, w []float32, in, out int) (wq, scale, zero string) {
	q, scales := quantizeColumns(w, in, out)
	g := b.g
	wq = g.rawInit(param+".weight_quantized", dtInt8, []int64{int64(in), int64(out)}, q)
	scale = g.floatInit(param+".weight_scale", []int64{int64(out)}, scales)
	zero = g.rawInit(param+".weight_zero_point", dtInt8, nil, []byte{0})
	return wq, scale, zero
}

// int8Linear is linear with an int8 weight: DynamicQuantizeMatMul, or the
// standard-ONNX MatMulInteger chain in formMatMulInteger.
func (b *bertBuilder) int8Linear(node, param, x string, in, out int) string {
	wq, scale, zero := b.int8Weight(param, b.weights(param+".weight", []int64{int64(in), int64(out)}), in, out)
	bias := b.weight(param+".bias", int64(out))
	if b.form != formMatMulInteger {
		return b.contribOp("DynamicQuantizeMatMul", msDomain, node+"/MatMul_quant",
			[]string{x, wq, scale, zero, bias}, 1)[0]
	}
	g := b.g
	xq := b.contribOp("DynamicQuantizeLinear", "", node+"/DynamicQuantizeLinear", []string{x}, 3)
	y := g.op("MatMulInteger", node+"/MatMulInteger", []string{xq[0], wq, xq[2], zero})
	y = g.op("Cast", node+"/Cast", []string{y}, attrInt("to", dtFloat))
	s := g.op("Mul", node+"/scales_mul", []string{xq[1], scale})
	y = g.op("Mul", node+"/output_scale_mul", []string{y, s})
	return g.op("Add", node+"/Add", []string{y, bias})
}

// embedLayerNorm writes the embeddings as one com.microsoft
// EmbedLayerNormalization, which also returns the mask index (the number of
// real tokens per row, int32 [batch]) that QAttention takes. The weights
// are those of embeddings, so the float and int8 models of a seed agree.
func (b *bertBuilder) embedLayerNorm(ids, types, mask string) (hidden, maskIndex string) {
	g, c := b.g, b.cfg
	h := int64(c.Hidden)
	wordW := b.weight(wordEmbeddings, int64(c.Vocab), h)
	posW := b.weight(positionEmbeddings, int64(c.MaxPositions), h)
	typeW := b.weight(typeEmbeddings, int64(c.TypeVocab), h)
	gamma := b.weight("embeddings.LayerNorm.weight", h)
	beta := b.weight("embeddings.LayerNorm.bias", h)
	cast := func(node, x string) string { return g.op("Cast", node, []string{x}, attrInt("to", dtInt32)) }
	outs := b.contribOp("EmbedLayerNormalization", msDomain, "/embeddings/EmbedLayerNormalization",
		[]string{cast("/embeddings/Cast", ids), cast("/embeddings/Cast_1", types), wordW, posW, typeW, gamma, beta,
			cast("/Cast", mask)},
		2, attrFloat("epsilon", c.LayerNormEps))
	return outs[0], outs[1]
}

// int8Attention is selfAttention as DynamicQuantizeLinear + QAttention: the
// Q, K and V weights are concatenated per row into one [H, 3H] matrix (the
// layout AttentionFusion gives the float Attention node) and quantized per
// column.
func (b *bertBuilder) int8Attention(node, param, x, maskIndex string) string {
	c := b.cfg
	h := c.Hidden
	self := param + ".attention.self."
	var ws, bs [3][]float32
	for i, name := range []string{"query", "key", "value"} {
		ws[i] = b.weights(self+name+".weight", []int64{int64(h), int64(h)})
		bs[i] = b.weights(self+name+".bias", []int64{int64(h)})
	}
	qkv := make([]float32, 0, 3*h*h)
	for r := range h {
		for i := range ws {
			qkv = append(qkv, ws[i][r*h:(r+1)*h]...)
		}
	}
	bias := make([]float32, 0, 3*h)
	for i := range bs {
		bias = append(bias, bs[i]...)
	}
	wq, scale, zero := b.int8Weight(self+"qkv", qkv, h, 3*h)
	biasName := b.g.floatInit(self+"qkv.bias", []int64{int64(3 * h)}, bias)
	xq := b.contribOp("DynamicQuantizeLinear", "", node+"/attention/self/DynamicQuantizeLinear", []string{x}, 3)
	return b.contribOp("QAttention", msDomain, node+"/attention/self/QAttention",
		[]string{xq[0], wq, biasName, xq[1], scale, maskIndex, xq[2], zero}, 1,
		attrInt("num_heads", int64(c.Heads)))[0]
}
