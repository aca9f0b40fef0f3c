package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Options tunes Quantize.
type Options struct {
	// MinWeights is the fewest elements (K×N) a weight matrix must have to
	// be quantized; smaller ones stay float32. 0 means DefaultMinWeights.
	MinWeights int
	// NoMerge keeps projections of the same input (Q, K and V) as separate
	// matrix multiplications instead of one over their concatenated weights.
	NoMerge bool
}

// DefaultMinWeights is Options.MinWeights's default: a 64×64 matrix.
const DefaultMinWeights = 4096

// Report says what Quantize did.
type Report struct {
	// MatMuls counts weight matrix multiplications (MatMul or Gemm by a
	// constant matrix) now computed in int8.
	MatMuls int `json:"matmuls"`
	// Biases counts bias additions folded into them.
	Biases int `json:"biases"`
	// Merged counts groups of projections of one input (Q, K and V) that
	// now run as one matrix multiplication; MergedMatMuls how many they were.
	Merged        int `json:"merged"`
	MergedMatMuls int `json:"merged_matmuls"`
	// Float counts weight matrix multiplications left in float32 because
	// their matrix is below Options.MinWeights.
	Float int `json:"float"`
	// Weights counts distinct weight matrices quantized (fewer than MatMuls
	// when layers share weights).
	Weights int `json:"weights"`
	// BytesIn and BytesOut are the model's sizes.
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
}

// Metadata key written into quantized models.
const metadataKey = "jieda.quantization"

// quantizedOps are operators that only a quantized graph holds.
var quantizedOps = map[string]bool{
	"DynamicQuantizeMatMul": true, "MatMulInteger": true, "QAttention": true, "DynamicQuantizeLinear": true,
	"QLinearMatMul": true, "MatMulIntegerToFloat": true, "QuantizeLinear": true, "DequantizeLinear": true,
	"MatMulNBits": true, "QGemm": true, "DynamicQuantizeLSTM": true, "QOrderedMatMul": true,
}

// Quantize rewrites an ONNX model so that every matrix multiplication by a
// constant float32 weight matrix runs in int8, in ONNX Runtime's dynamic
// quantization form: each weight matrix is quantized once, here,
// symmetrically per output column (zero point 0, scale max|w|/127), and
// activations are quantized to uint8 per tensor at run time by
// com.microsoft DynamicQuantizeMatMul, which also adds the bias when the
// multiplication was followed by the addition of a constant vector.
// Projections of the same input (a layer's Q, K and V) are concatenated
// into one multiplication followed by a Split: per-column quantization
// makes that exact, and the activation is quantized once instead of three
// times. Everything else (embeddings, layer norms, attention arithmetic)
// is left as it is, float32.
//
// It works on the graph's operators, not on names or a known layout: any
// exported BERT-family encoder (separate or fused Q/K/V, any opset, shared
// or repeated initializers, weights as initializers or Constant nodes) is
// handled alike. A model that is already quantized is refused with
// ErrAlreadyQuantized, one whose weights live in external data files with
// ErrExternalData.
func Quantize(onnx []byte, opts Options) ([]byte, Report, error) {
	rep := Report{BytesIn: int64(len(onnx))}
	if opts.MinWeights <= 0 {
		opts.MinWeights = DefaultMinWeights
	}
	m, err := decodeModel(onnx)
	if err != nil {
		return nil, rep, fmt.Errorf("%w: %w", ErrNotONNX, err)
	}
	g := m.graph
	for _, n := range g.nodes {
		if quantizedOps[n.opType] {
			return nil, rep, fmt.Errorf("%w: it has a %s node (%s)", ErrAlreadyQuantized, n.opType, n.name)
		}
	}
	for _, t := range g.inits {
		if t.external {
			return nil, rep, fmt.Errorf("%w: initializer %s", ErrExternalData, t.name)
		}
	}
	r := newRewriter(m, opts)
	cands := r.candidates(&rep)
	if len(cands) == 0 {
		return nil, rep, fmt.Errorf("%w: no matrix multiplication by a constant float32 matrix of at least %d elements", ErrNothingToQuantize, opts.MinWeights)
	}
	r.rewrite(cands, &rep)
	r.prune()
	if m.opsetVersion(msDomain) == 0 {
		m.opsets = append(m.opsets, opset{domain: msDomain, version: 1})
	}
	out := m.encode([][2]string{{metadataKey, "int8: weights symmetric per output column, activations uint8 per tensor at run time (DynamicQuantizeMatMul)"}})
	rep.BytesOut = int64(len(out))
	return out, rep, nil
}

// rewriter holds a graph and its indexes while it is rewritten.
type rewriter struct {
	m        *model
	g        *graph
	opts     Options
	opset    int64
	inits    map[string]*tensor // initializers that are not graph inputs
	consts   map[string]*tensor // outputs of Constant nodes
	users    map[string][]*node
	producer map[string]*node
	names    map[string]bool // every value, node and initializer name
	// removed nodes are dropped by prune; replaced maps a node to the
	// nodes written in its place.
	removed  map[*node]bool
	replaced map[*node][]*node
	// quantized caches the int8 weights of each source matrix.
	quantized map[string]int8Weights
	zeroPoint string
}

func newRewriter(m *model, opts Options) *rewriter {
	g := m.graph
	r := &rewriter{m: m, g: g, opts: opts, opset: m.opsetVersion(""), inits: map[string]*tensor{},
		consts: map[string]*tensor{}, users: map[string][]*node{}, producer: map[string]*node{}, names: map[string]bool{},
		removed: map[*node]bool{}, replaced: map[*node][]*node{}, quantized: map[string]int8Weights{}}
	inputs := map[string]bool{}
	for _, in := range g.inputs {
		inputs[in] = true
		r.names[in] = true
	}
	for _, t := range g.inits {
		r.names[t.name] = true
		if !inputs[t.name] { // an initializer that is also an input can be overridden
			r.inits[t.name] = t
		}
	}
	for _, n := range g.nodes {
		r.names[n.name] = true
		for _, out := range n.outputs {
			r.names[out] = true
			r.producer[out] = n
		}
		for _, in := range n.inputs {
			r.users[in] = append(r.users[in], n)
		}
		if n.opType == "Constant" && isDefaultDomain(n.domain) && len(n.outputs) == 1 {
			if a := n.attr("value"); a != nil && a.typ == attrTypeTensor {
				if v, err := a.value(); err == nil && v.t != nil {
					r.consts[n.outputs[0]] = v.t
				}
			}
		}
	}
	return r
}

func isDefaultDomain(d string) bool { return d == "" || d == "ai.onnx" }

// constant returns the tensor a value holds when it is a constant.
func (r *rewriter) constant(name string) (*tensor, bool) {
	if t, ok := r.inits[name]; ok {
		return t, true
	}
	t, ok := r.consts[name]
	return t, ok
}

// unique returns name, or name with a suffix when it is taken.
func (r *rewriter) unique(name string) string {
	n := name
	for i := 1; r.names[n]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	r.names[n] = true
	return n
}

func (r *rewriter) isGraphOutput(name string) bool { return slices.Contains(r.g.outputs, name) }

// candidate is one weight matrix multiplication to quantize.
type candidate struct {
	node *node
	// x is the activation input; k and n the weight's shape [k, n].
	x    string
	k, n int
	// key names the weight matrix (shared matrices share a key); w is it,
	// row-major [k, n].
	key string
	w   []float32
	// bias is the vector added after the product, or nil; out is the value
	// the quantized node produces (the Add's output when a bias is folded).
	bias []float32
	out  string
	// add is the folded bias addition, removed with the node.
	add *node
}

// candidates finds every quantizable weight matrix multiplication, in
// graph order.
func (r *rewriter) candidates(rep *Report) []*candidate {
	var cs []*candidate
	for _, n := range r.g.nodes {
		var c *candidate
		switch {
		case n.opType == "MatMul" && isDefaultDomain(n.domain) && len(n.inputs) == 2 && len(n.outputs) == 1:
			c = r.matmul(n)
		case n.opType == "Gemm" && isDefaultDomain(n.domain) && len(n.inputs) >= 2 && len(n.outputs) == 1:
			c = r.gemm(n)
		}
		if c == nil {
			continue
		}
		if c.k*c.n < r.opts.MinWeights {
			rep.Float++
			continue
		}
		cs = append(cs, c)
	}
	return cs
}

// weight2D returns a constant float32 matrix [k, n] and a key naming its
// source, or false. The matrix may reach the product through Identity
// nodes (how torch exports a parameter used twice) and one Transpose
// (perm 1, 0; an exporter that did not fold nn.Linear's transpose).
func (r *rewriter) weight2D(name string) (w []float32, k, n int, key string, ok bool) {
	transposed := false
	for range 8 {
		if t, isConst := r.constant(name); isConst {
			if len(t.dims) != 2 {
				return nil, 0, 0, "", false
			}
			w, ok = t.floats()
			k, n, key = int(t.dims[0]), int(t.dims[1]), name
			if ok && transposed {
				w, k, n, key = transpose(w, k, n), n, k, name+"^T"
			}
			return w, k, n, key, ok
		}
		p := r.producer[name]
		switch {
		case p == nil || !isDefaultDomain(p.domain) || len(p.inputs) != 1:
			return nil, 0, 0, "", false
		case p.opType == "Identity":
		case p.opType == "Transpose" && !transposed:
			if perm := p.intsAttr("perm"); perm != nil && !slices.Equal(perm, []int64{1, 0}) {
				return nil, 0, 0, "", false
			}
			transposed = true
		default:
			return nil, 0, 0, "", false
		}
		name = p.inputs[0]
	}
	return nil, 0, 0, "", false
}

func (r *rewriter) matmul(n *node) *candidate {
	if _, isConst := r.constant(n.inputs[0]); isConst {
		return nil
	}
	w, k, cols, key, ok := r.weight2D(n.inputs[1])
	if !ok {
		return nil
	}
	c := &candidate{node: n, x: n.inputs[0], k: k, n: cols, key: key, w: w, out: n.outputs[0]}
	// Fold a following Add of a constant vector [n] (any leading ones).
	y := n.outputs[0]
	users := r.users[y]
	if len(users) != 1 || r.isGraphOutput(y) {
		return c
	}
	add := users[0]
	if add.opType != "Add" || !isDefaultDomain(add.domain) || len(add.inputs) != 2 || len(add.outputs) != 1 {
		return c
	}
	other := add.inputs[0]
	if other == y {
		other = add.inputs[1]
	}
	if other == y {
		return c
	}
	t, isConst := r.constant(other)
	if !isConst || len(t.dims) == 0 || t.dims[len(t.dims)-1] != int64(cols) || numel(t.dims) != int64(cols) {
		return c
	}
	bias, ok := t.floats()
	if !ok {
		return c
	}
	c.bias, c.out, c.add = bias, add.outputs[0], add
	return c
}

// gemm accepts Gemm(A, B, C) with alpha = beta = 1, A not transposed and
// C absent or a vector [n].
func (r *rewriter) gemm(n *node) *candidate {
	if n.floatAttr("alpha", 1) != 1 || n.floatAttr("beta", 1) != 1 || n.intAttr("transA", 0) != 0 {
		return nil
	}
	if _, isConst := r.constant(n.inputs[0]); isConst {
		return nil
	}
	w, k, cols, key, ok := r.weight2D(n.inputs[1])
	if !ok {
		return nil
	}
	if n.intAttr("transB", 0) != 0 {
		w, k, cols = transpose(w, k, cols), cols, k
		key += "^T"
	}
	c := &candidate{node: n, x: n.inputs[0], k: k, n: cols, key: key, w: w, out: n.outputs[0]}
	if len(n.inputs) > 2 && n.inputs[2] != "" {
		t, isConst := r.constant(n.inputs[2])
		if !isConst || numel(t.dims) != int64(cols) || len(t.dims) != 1 {
			return nil
		}
		bias, ok := t.floats()
		if !ok {
			return nil
		}
		c.bias = bias
	}
	return c
}

// transpose returns the [cols, rows] transpose of the row-major [rows, cols] w.
func transpose(w []float32, rows, cols int) []float32 {
	t := make([]float32, len(w))
	for i := range rows {
		for j := range cols {
			t[j*rows+i] = w[i*cols+j]
		}
	}
	return t
}

// int8Weights names the initializers of one quantized matrix.
type int8Weights struct{ q, scale string }

// quantizeColumns quantizes the row-major [rows, cols] matrix w
// symmetrically per column: q = round(w / scale) in [-127, 127] with
// scale = max|w[·, j]| / 127 and zero point 0.
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

func floatBytes(vs []float32) []byte {
	b := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// addInit adds an initializer and returns its (unique) name.
func (r *rewriter) addInit(name string, dataType int64, dims []int64, data []byte) string {
	t := &tensor{name: r.unique(name), dims: dims, dataType: dataType, data: data}
	r.g.inits = append(r.g.inits, t)
	r.inits[t.name] = t
	return t.name
}

// int8Weight quantizes w [k, n] once per key and returns its initializers.
func (r *rewriter) int8Weight(key string, w []float32, k, n int, rep *Report) int8Weights {
	if q, ok := r.quantized[key]; ok {
		return q
	}
	base := strings.NewReplacer("::", "_", "^T", "_T", "+", "_").Replace(key)
	qb, scales := quantizeColumns(w, k, n)
	q := int8Weights{
		q:     r.addInit(base+"_quantized", dtInt8, []int64{int64(k), int64(n)}, qb),
		scale: r.addInit(base+"_scale", dtFloat, []int64{int64(n)}, floatBytes(scales)),
	}
	r.quantized[key] = q
	rep.Weights++
	return q
}

// zero returns the shared scalar int8 zero point 0. The explicit zero point
// lets ONNX Runtime re-encode the weights as uint8 on x86 CPUs without
// AVX-512 VNNI (session.x64quantprecision, which embed sets).
func (r *rewriter) zero() string {
	if r.zeroPoint == "" {
		r.zeroPoint = r.addInit("jieda_int8_zero_point", dtInt8, nil, []byte{0})
	}
	return r.zeroPoint
}

// rewrite replaces the candidates, merging those that share an input.
func (r *rewriter) rewrite(cands []*candidate, rep *Report) {
	groups := map[string][]*candidate{}
	var order []string
	for _, c := range cands {
		key := fmt.Sprintf("%s\x00%d", c.x, c.k)
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], c)
	}
	for _, key := range order {
		cs := groups[key]
		if len(cs) == 1 || r.opts.NoMerge {
			for _, c := range cs {
				r.single(c, rep)
			}
			continue
		}
		r.merged(cs, rep)
	}
}

// dqmm writes DynamicQuantizeMatMul(x, w, scale, zero point, bias) → out.
func (r *rewriter) dqmm(name, x string, w int8Weights, bias, out string) *node {
	inputs := []string{x, w.q, w.scale, r.zero()}
	if bias != "" {
		inputs = append(inputs, bias)
	}
	return &node{name: r.unique(name), opType: "DynamicQuantizeMatMul", domain: msDomain, inputs: inputs, outputs: []string{out}}
}

func (r *rewriter) single(c *candidate, rep *Report) {
	w := r.int8Weight(c.key, c.w, c.k, c.n, rep)
	bias := ""
	if c.bias != nil {
		bias = r.addInit(c.node.name+"_bias", dtFloat, []int64{int64(c.n)}, floatBytes(c.bias))
		rep.Biases++
	}
	r.replace(c, r.dqmm(c.node.name+"_quant", c.x, w, bias, c.out))
	rep.MatMuls++
}

// replace puts nodes in place of c's node and removes its folded Add.
func (r *rewriter) replace(c *candidate, nodes ...*node) {
	r.replaced[c.node] = append(r.replaced[c.node], nodes...)
	r.removed[c.node] = true
	if c.add != nil {
		r.removed[c.add] = true
	}
}

// merged writes the projections cs of one input as one quantized product
// over their weights concatenated by column, split back into their outputs.
func (r *rewriter) merged(cs []*candidate, rep *Report) {
	k := cs[0].k
	total := 0
	keys := make([]string, len(cs))
	hasBias := false
	for i, c := range cs {
		total += c.n
		keys[i] = c.key
		hasBias = hasBias || c.bias != nil
	}
	w := make([]float32, 0, k*total)
	for row := range k {
		for _, c := range cs {
			w = append(w, c.w[row*c.n:(row+1)*c.n]...)
		}
	}
	first := cs[0].node.name
	q := r.int8Weight(strings.Join(keys, "+"), w, k, total, rep)
	bias := ""
	if hasBias {
		b := make([]float32, 0, total)
		for _, c := range cs {
			if c.bias != nil {
				b = append(b, c.bias...)
				rep.Biases++
			} else {
				b = append(b, make([]float32, c.n)...)
			}
		}
		bias = r.addInit(first+"_merged_bias", dtFloat, []int64{int64(total)}, floatBytes(b))
	}
	y := r.unique(first + "_merged_output")
	mm := r.dqmm(first+"_merged_quant", cs[0].x, q, bias, y)
	sizes := make([]int64, len(cs))
	outs := make([]string, len(cs))
	for i, c := range cs {
		sizes[i], outs[i] = int64(c.n), c.out
	}
	split := &node{name: r.unique(first + "_merged_split"), opType: "Split", inputs: []string{y}, outputs: outs,
		attrs: []*attr{intAttribute("axis", -1)}}
	if r.opset >= 13 {
		split.inputs = append(split.inputs, r.addInit(first+"_merged_split_sizes", dtInt64, []int64{int64(len(sizes))}, int64Bytes(sizes)))
	} else {
		split.attrs = append(split.attrs, intsAttribute("split", sizes...))
	}
	r.replace(cs[0], mm, split)
	for _, c := range cs[1:] {
		r.replace(c)
	}
	rep.MatMuls += len(cs)
	rep.Merged++
	rep.MergedMatMuls += len(cs)
}

func int64Bytes(vs []int64) []byte {
	b := make([]byte, 0, 8*len(vs))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return b
}
