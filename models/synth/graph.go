package synth

import (
	"fmt"
	"math"
	"strings"
)

// graph accumulates the nodes, initializers and interface of an ONNX graph
// and encodes them as GraphProto pieces.
type graph struct {
	name    string
	nodes   [][]byte   // encoded NodeProto
	inits   [][][]byte // pieces of each encoded TensorProto
	inputs  [][]byte   // encoded ValueInfoProto
	outputs [][]byte   // encoded ValueInfoProto
	infos   [][]byte   // encoded ValueInfoProto of intermediate values
	consts  map[string]string
	used    map[string]bool
}

func newGraph(name string) *graph {
	return &graph{name: name, consts: map[string]string{}, used: map[string]bool{}}
}

// unique returns name, or name with a numeric suffix if it is taken.
func (g *graph) unique(name string) string {
	n := name
	for i := 1; g.used[n]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	g.used[n] = true
	return n
}

// op adds a node in the default ONNX domain with one output, named after the
// node like the PyTorch exporter does, and returns the output's name.
func (g *graph) op(opType, name string, inputs []string, attrs ...attribute) string {
	name = g.unique(name)
	out := name + "_output_0"
	g.nodes = append(g.nodes, encodeNode(name, opType, "", inputs, []string{out}, attrs))
	return out
}

// opTo is op with a caller-chosen output name (for graph outputs).
func (g *graph) opTo(opType, name, out string, inputs []string, attrs ...attribute) string {
	name = g.unique(name)
	g.nodes = append(g.nodes, encodeNode(name, opType, "", inputs, []string{out}, attrs))
	return out
}

// floatInit adds a float32 initializer and returns its name.
func (g *graph) floatInit(name string, dims []int64, data []float32) string {
	name = g.unique(name)
	raw := putFloats(data)
	g.inits = append(g.inits, [][]byte{tensorHeader(name, dtFloat, dims, len(raw)), raw})
	return name
}

// int64Init adds an int64 initializer and returns its name.
func (g *graph) int64Init(name string, dims []int64, data []int64) string {
	name = g.unique(name)
	raw := putInt64s(data)
	g.inits = append(g.inits, [][]byte{tensorHeader(name, dtInt64, dims, len(raw)), raw})
	return name
}

// floatScalar returns a shared scalar float32 constant.
func (g *graph) floatScalar(v float32) string {
	key := fmt.Sprintf("f32:%08x", math.Float32bits(v))
	if n, ok := g.consts[key]; ok {
		return n
	}
	n := g.floatInit("const_f32_"+constName(float64(v)), nil, []float32{v})
	g.consts[key] = n
	return n
}

// int64Scalar returns a shared scalar int64 constant.
func (g *graph) int64Scalar(v int64) string {
	key := fmt.Sprintf("i64:%d", v)
	if n, ok := g.consts[key]; ok {
		return n
	}
	n := g.int64Init("const_i64_"+constName(float64(v)), nil, []int64{v})
	g.consts[key] = n
	return n
}

// int64Vector returns a shared 1-D int64 constant.
func (g *graph) int64Vector(vs ...int64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = constName(float64(v))
	}
	key := "i64v:" + strings.Join(parts, ",")
	if n, ok := g.consts[key]; ok {
		return n
	}
	n := g.int64Init("const_i64_"+strings.Join(parts, "_"), []int64{int64(len(vs))}, vs)
	g.consts[key] = n
	return n
}

// constName turns a number into a name fragment ("neg10000", "1_4142").
func constName(v float64) string {
	s := strings.NewReplacer("-", "neg", ".", "_", "+", "").Replace(fmt.Sprintf("%g", v))
	return s
}

// input declares a graph input.
func (g *graph) input(name string, elemType int64, shape ...dim) string {
	g.used[name] = true
	g.inputs = append(g.inputs, encodeValueInfo(name, elemType, shape))
	return name
}

// output declares a graph output.
func (g *graph) output(name string, elemType int64, shape ...dim) {
	g.outputs = append(g.outputs, encodeValueInfo(name, elemType, shape))
}

// annotate records the type and shape of an intermediate value, for shapes
// that ONNX shape inference cannot work out by itself.
func (g *graph) annotate(name string, elemType int64, shape ...dim) {
	g.infos = append(g.infos, encodeValueInfo(name, elemType, shape))
}

// parts returns the encoded GraphProto as pieces, in field-number order.
func (g *graph) parts() [][]byte {
	var ps [][]byte
	for _, n := range g.nodes {
		ps = append(ps, field(graphNode, n)...)
	}
	ps = append(ps, appendString(nil, graphName, g.name))
	for _, t := range g.inits {
		ps = append(ps, field(graphInitializer, t...)...)
	}
	for _, in := range g.inputs {
		ps = append(ps, field(graphInput, in)...)
	}
	for _, out := range g.outputs {
		ps = append(ps, field(graphOutput, out)...)
	}
	for _, vi := range g.infos {
		ps = append(ps, field(graphValueInfo, vi)...)
	}
	return ps
}
