package synth

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hfVariants are the exporter layouts the quantizer is tested on.
var hfVariants = []struct {
	name  string
	opts  bertOptions
	fused bool // LayerNormalization operators rather than the decomposition
}{
	{"opset11", bertOptions{layout: LayoutHF, opset: 11}, false},
	{"opset14", bertOptions{layout: LayoutHF}, false},
	{"opset17", bertOptions{layout: LayoutHF, opset: 17}, true},
	{"opset14-shared", bertOptions{layout: LayoutHF, shareLayers: true}, false},
}

func TestHFLayoutGraph(t *testing.T) {
	L := smallConfig.Layers
	for _, v := range hfVariants {
		t.Run(v.name, func(t *testing.T) {
			_, raw := writeModel(t, smallConfig, v.opts)
			m, err := decodeModel(raw)
			if err != nil {
				t.Fatal(err)
			}
			wantOpset := v.opts.opset
			if wantOpset == 0 {
				wantOpset = defaultHFOpset
			}
			if diff := cmp.Diff(map[string]int64{"": wantOpset}, m.opsets); diff != "" {
				t.Errorf("opsets (-want +got):\n%s", diff)
			}
			ops := m.graph.opCounts()
			want := map[string]int{"MatMul": 8 * L, "Softmax": L, "Erf": L, "Slice": 1}
			if v.fused {
				want["LayerNormalization"] = 2*L + 1
			} else {
				want["ReduceMean"] = 2 * (2*L + 1)
			}
			for op, n := range want {
				if ops[op] != n {
					t.Errorf("%d %s nodes, want %d", ops[op], op, n)
				}
			}
			if ops["Constant"] == 0 {
				t.Error("no Constant nodes: the exporter writes shape constants as Constant nodes")
			}
			if want := 6 * (L - 1); v.opts.shareLayers && ops["Identity"] != want {
				t.Errorf("%d Identity nodes, want %d (later layers read shared weight matrices through them)", ops["Identity"], want)
			}
			// Weight matrices are onnx::MatMul_N initializers; with shared
			// layers one set serves every layer.
			matmulWeights := 0
			for name := range m.graph.inits {
				if strings.HasPrefix(name, "onnx::MatMul_") {
					matmulWeights++
				}
			}
			wantWeights := 6 * L
			if v.opts.shareLayers {
				wantWeights = 6
			}
			if matmulWeights != wantWeights {
				t.Errorf("%d onnx::MatMul_ initializers, want %d", matmulWeights, wantWeights)
			}
			// Projections add their bias first; float scalars are shared.
			uses := map[string]int{}
			for _, n := range m.graph.nodes {
				for _, in := range n.inputs {
					uses[in]++
				}
				if n.opType == "Add" && strings.HasSuffix(n.name, "/query/Add") && !strings.HasSuffix(n.inputs[0], ".bias") {
					t.Errorf("%s adds %v, want the bias first", n.name, n.inputs)
				}
			}
			sqrtHead := fmt.Sprintf("const_f32_%s", constName(float64(float32(math.Sqrt(float64(smallConfig.Hidden/smallConfig.Heads))))))
			if uses[sqrtHead] != L {
				t.Errorf("%s feeds %d nodes, want %d (one per layer)", sqrtHead, uses[sqrtHead], L)
			}
		})
	}
}

// TestHFLayoutMatchesORTLayout runs both layouts of a seed: they compute
// the same function, with and without ORT's graph optimizations.
func TestHFLayoutMatchesORTLayout(t *testing.T) {
	for _, v := range hfVariants {
		t.Run(v.name, func(t *testing.T) {
			hfPath, _ := writeModel(t, smallConfig, v.opts)
			refOpts := bertOptions{}
			if v.opts.shareLayers {
				def := defaultWeights(smallConfig.Seed)
				refOpts.weights = func(name string, dims []int64) []float32 { return def(sharedName(name), dims) }
			}
			refPath, _ := writeModel(t, smallConfig, refOpts)
			ref := newSession(t, refPath, sessionConfig{disableOpt: true})
			t.Logf("optimized graph: %v", fusedOps(t, hfPath))
			for _, disable := range []bool{true, false} {
				s := newSession(t, hfPath, sessionConfig{disableOpt: disable})
				for _, rows := range agreementBatches {
					b := padBatch(rows)
					want, _ := run(t, ref, b)
					got, _ := run(t, s, b)
					worst := 0.0
					for i := range want {
						if b.mask[i/smallConfig.Hidden] == 0 {
							continue
						}
						worst = max(worst, math.Abs(float64(want[i]-got[i])))
					}
					if worst > 2e-4 {
						t.Errorf("optimizations off=%v: layouts differ by up to %g", disable, worst)
					}
				}
			}
		})
	}
}

func TestLayoutOptionsRejected(t *testing.T) {
	tests := []struct {
		name string
		opts bertOptions
	}{
		{"unknown layout", bertOptions{layout: "tf"}},
		{"hf opset 10", bertOptions{layout: LayoutHF, opset: 10}},
		{"hf opset 18", bertOptions{layout: LayoutHF, opset: 18}},
		{"hf int8", bertOptions{layout: LayoutHF, quantize: QuantizeInt8}},
		{"shared ort", bertOptions{shareLayers: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := buildBERT(smallConfig, tt.opts); !errors.Is(err, ErrBadConfig) {
				t.Errorf("buildBERT(%+v) = %v, want ErrBadConfig", tt.opts, err)
			}
		})
	}
}

func TestSharedName(t *testing.T) {
	tests := map[string]string{
		"encoder.layer.3.attention.self.query.weight": "encoder.layer.0.attention.self.query.weight",
		"encoder.layer.11.output.LayerNorm.bias":      "encoder.layer.0.output.LayerNorm.bias",
		"embeddings.LayerNorm.weight":                 "embeddings.LayerNorm.weight",
		"encoder.layer.":                              "encoder.layer.",
	}
	for in, want := range tests {
		if got := sharedName(in); got != want {
			t.Errorf("sharedName(%q) = %q, want %q", in, got, want)
		}
	}
}
