package quant

import (
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	ort "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/encoding/protowire"
)

// A hand-written graph with the cases an exporter's output does not
// always have: a weight read by two MatMuls and by a Gather (so it must
// stay float too), a Gemm with transB, a weight held by a Constant node,
// a bias added first with shape [1, N], and a weight reached through
// Transpose (the same matrix the Gemm reads with transB: quantized once).

const handK, handN = 8, 6

type handOptions struct {
	external   bool // W's data is marked as stored outside the file
	gatherOnly bool // only the Gather: nothing to quantize
}

// handValues returns n deterministic values in about [-1, 1].
func handValues(n int, phase float64) []float32 {
	vs := make([]float32, n)
	for i := range vs {
		vs[i] = float32(math.Sin(float64(i)*0.77+phase) * math.Cos(float64(i)*0.13+2*phase))
	}
	return vs
}

var (
	handW  = handValues(handK*handN, 0.1)
	handWt = handValues(handN*handK, 0.7) // [N, K], used transposed
	handWc = handValues(handK*handN, 1.3)
	handB  = handValues(handN, 2.1)
	handC  = handValues(handN, 2.9)
)

func floatTensor(name string, dims []int64, vs []float32) *tensor {
	return &tensor{name: name, dims: dims, dataType: dtFloat, data: floatBytes(vs)}
}

// valueInfo encodes a graph input or output; dims are ints or names.
func valueInfo(num protowire.Number, name string, elem int64, dims ...any) []byte {
	var shape []byte
	for _, d := range dims {
		var db []byte
		switch d := d.(type) {
		case int:
			db = appendVarint(nil, 1, int64(d))
		case string:
			db = appendString(nil, 2, d)
		}
		shape = appendBytes(shape, 1, db)
	}
	tt := appendVarint(nil, 1, elem)
	tt = appendBytes(tt, 2, shape)
	vi := appendString(nil, valueInfoName, name)
	vi = appendBytes(vi, 2, appendBytes(nil, 1, tt))
	return appendBytes(nil, num, vi)
}

func tensorAttribute(name string, t *tensor) *attr {
	b := appendString(nil, attrName, name)
	b = appendBytes(b, attrT, t.encode())
	return &attr{name: name, typ: attrTypeTensor, enc: appendVarint(b, attrType, attrTypeTensor)}
}

func handModel(t testing.TB, opsetVersion int64, o handOptions) []byte {
	t.Helper()
	w := floatTensor("W", []int64{handK, handN}, handW)
	if o.external {
		w.enc = appendVarint(w.encode(), tensorDataLocation, 1)
	}
	g := &graph{
		inputs:  []string{"x"},
		outputs: []string{"y1", "y2", "y3", "y4", "y5", "w_row"},
		inits: []*tensor{w, floatTensor("Wt", []int64{handN, handK}, handWt), floatTensor("b", []int64{1, handN}, handB),
			floatTensor("c", []int64{handN}, handC), {name: "idx", dims: []int64{1}, dataType: dtInt64, data: int64Bytes([]int64{2})}},
		nodes: []*node{
			{name: "wc_const", opType: "Constant", outputs: []string{"Wc"},
				attrs: []*attr{tensorAttribute("value", floatTensor("", []int64{handK, handN}, handWc))}},
			{name: "mm1", opType: "MatMul", inputs: []string{"x", "W"}, outputs: []string{"mm1_out"}},
			{name: "add1", opType: "Add", inputs: []string{"b", "mm1_out"}, outputs: []string{"y1"}},
			{name: "gemm", opType: "Gemm", inputs: []string{"x", "Wt", "c"}, outputs: []string{"y2"}, attrs: []*attr{intAttribute("transB", 1)}},
			{name: "mm3", opType: "MatMul", inputs: []string{"x", "Wc"}, outputs: []string{"y3"}},
			{name: "mm4", opType: "MatMul", inputs: []string{"x", "W"}, outputs: []string{"y4"}},
			{name: "tr", opType: "Transpose", inputs: []string{"Wt"}, outputs: []string{"Wt_T"}, attrs: []*attr{intsAttribute("perm", 1, 0)}},
			{name: "mm5", opType: "MatMul", inputs: []string{"x", "Wt_T"}, outputs: []string{"y5"}},
			{name: "gather", opType: "Gather", inputs: []string{"W", "idx"}, outputs: []string{"w_row"}, attrs: []*attr{intAttribute("axis", 0)}},
		},
	}
	if o.gatherOnly {
		g.outputs = []string{"w_row"}
		g.nodes = g.nodes[len(g.nodes)-1:]
	}
	g.kept = appendString(nil, 2, "hand")
	g.kept = append(g.kept, valueInfo(graphInput, "x", dtFloat, "batch", handK)...)
	for _, out := range g.outputs {
		if out == "w_row" {
			g.kept = append(g.kept, valueInfo(graphOutput, out, dtFloat, 1, handN)...)
		} else {
			g.kept = append(g.kept, valueInfo(graphOutput, out, dtFloat, "batch", handN)...)
		}
	}
	m := &model{graph: g, opsets: []opset{{version: opsetVersion}}}
	m.kept = appendVarint(nil, 1, 8)
	m.kept = appendString(m.kept, 2, "jieda-test")
	return m.encode(nil)
}

// matmul is the row-major [rows, k] × [k, n] product.
func matmul(x, w []float32, rows, k, n int) []float32 {
	y := make([]float32, rows*n)
	for i := range rows {
		for j := range n {
			var s float64
			for l := range k {
				s += float64(x[i*k+l]) * float64(w[l*n+j])
			}
			y[i*n+j] = float32(s)
		}
	}
	return y
}

func addRows(y, b []float32) []float32 {
	out := slices.Clone(y)
	for i := range out {
		out[i] += b[i%len(b)]
	}
	return out
}

func runHand(t *testing.T, path string, x []float32, rows int, optimize bool) [][]float32 {
	t.Helper()
	outs := []string{"y1", "y2", "y3", "y4", "y5", "w_row"}
	s := session(t, path, []string{"x"}, outs, optimize)
	in, err := ort.NewTensor(ort.NewShape(int64(rows), handK), x)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Destroy()
	vals := make([]ort.Value, len(outs))
	if err := s.Run([]ort.Value{in}, vals); err != nil {
		t.Fatalf("run: %v", err)
	}
	res := make([][]float32, len(vals))
	for i, v := range vals {
		res[i] = slices.Clone(v.(*ort.Tensor[float32]).GetData())
		_ = v.Destroy()
	}
	return res
}

func TestQuantizeHandGraph(t *testing.T) {
	const rows = 3
	x := handValues(rows*handK, 4.2)
	want := [][]float32{
		addRows(matmul(x, handW, rows, handK, handN), handB),
		addRows(matmul(x, transpose(handWt, handN, handK), rows, handK, handN), handC),
		matmul(x, handWc, rows, handK, handN),
		matmul(x, handW, rows, handK, handN),
		matmul(x, transpose(handWt, handN, handK), rows, handK, handN),
		handW[2*handN : 3*handN],
	}
	for _, opsetVersion := range []int64{11, 13} {
		for _, noMerge := range []bool{false, true} {
			fb := handModel(t, opsetVersion, handOptions{})
			qb, rep, err := Quantize(fb, Options{MinWeights: 1, NoMerge: noMerge})
			if err != nil {
				t.Fatal(err)
			}
			wantRep := Report{MatMuls: 5, Biases: 2, Merged: 1, MergedMatMuls: 5, Weights: 1, BytesIn: int64(len(fb)), BytesOut: int64(len(qb))}
			if noMerge {
				// W is quantized once for mm1 and mm4, Wt once for the Gemm and mm5.
				wantRep.Merged, wantRep.MergedMatMuls, wantRep.Weights = 0, 0, 3
			}
			if diff := cmp.Diff(wantRep, rep); diff != "" {
				t.Errorf("opset %d merge %v: report (-want +got):\n%s", opsetVersion, !noMerge, diff)
			}
			m, err := decodeModel(qb)
			if err != nil {
				t.Fatal(err)
			}
			var inits, ops []string
			for _, it := range m.graph.inits {
				inits = append(inits, it.name)
			}
			for _, n := range m.graph.nodes {
				ops = append(ops, n.opType)
			}
			// W stays for the Gather; Wt, b, c and the Constant node are gone.
			for _, name := range []string{"Wt", "b", "c"} {
				if slices.Contains(inits, name) {
					t.Errorf("opset %d merge %v: initializer %s left behind", opsetVersion, !noMerge, name)
				}
			}
			if !slices.Contains(inits, "W") {
				t.Errorf("opset %d merge %v: W removed although the Gather reads it", opsetVersion, !noMerge)
			}
			for _, op := range []string{"Constant", "Add", "MatMul", "Gemm", "Transpose"} {
				if slices.Contains(ops, op) {
					t.Errorf("opset %d merge %v: %s node left: %v", opsetVersion, !noMerge, op, ops)
				}
			}
			path := writeTemp(t, "q.onnx", qb)
			for _, optimize := range []bool{false, true} {
				got := runHand(t, path, x, rows, optimize)
				for i := range want {
					scale := 0.0
					for _, v := range want[i] {
						scale = max(scale, math.Abs(float64(v)))
					}
					for j := range want[i] {
						if d := math.Abs(float64(got[i][j] - want[i][j])); d > 0.02*scale {
							t.Errorf("opset %d merge %v optimize %v: output %d[%d] = %g, want %g", opsetVersion, !noMerge, optimize, i, j, got[i][j], want[i][j])
						}
					}
				}
			}
		}
	}
}
