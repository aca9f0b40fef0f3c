package quant

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/jieda/jieda/embed"
)

// needORT loads the real ONNX Runtime, or fails the test saying how to
// install it.
func needORT(t testing.TB) {
	t.Helper()
	if err := embed.InitRuntime(embed.ResolveORTLib("")); err != nil {
		t.Fatalf("%v (run `make setup`, i.e. scripts/install-ort.sh, or set JIEDA_ORT_LIB)", err)
	}
}

// session opens a model file in ONNX Runtime with the given input and
// output names; optimize false runs the graph exactly as written.
func session(t testing.TB, path string, inputs, outputs []string, optimize bool) *ort.DynamicAdvancedSession {
	t.Helper()
	needORT(t)
	so, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer so.Destroy()
	var level ort.GraphOptimizationLevel = ort.GraphOptimizationLevelEnableAll
	if !optimize {
		level = ort.GraphOptimizationLevelDisableAll
	}
	if err := so.SetGraphOptimizationLevel(level); err != nil {
		t.Fatal(err)
	}
	if err := so.SetIntraOpNumThreads(1); err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewDynamicAdvancedSession(path, inputs, outputs, so)
	if err != nil {
		t.Fatalf("ONNX Runtime refuses %s: %v", path, err)
	}
	t.Cleanup(func() { _ = s.Destroy() })
	return s
}

// writeTemp writes a model file into a temporary directory.
func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// batch is one padded BERT input.
type batch struct {
	ids, mask  []int64
	rows, cols int
}

func padBatch(rows [][]int64) batch {
	b := batch{rows: len(rows)}
	for _, r := range rows {
		b.cols = max(b.cols, len(r))
	}
	b.ids, b.mask = make([]int64, b.rows*b.cols), make([]int64, b.rows*b.cols)
	for i, r := range rows {
		for j, id := range r {
			b.ids[i*b.cols+j], b.mask[i*b.cols+j] = id, 1
		}
	}
	return b
}

// runBERT runs a BERT session (input_ids, attention_mask, token_type_ids →
// last_hidden_state) and returns the output.
func runBERT(t testing.TB, s *ort.DynamicAdvancedSession, b batch) []float32 {
	t.Helper()
	shape := ort.NewShape(int64(b.rows), int64(b.cols))
	var ins []ort.Value
	for _, data := range [][]int64{b.ids, b.mask, make([]int64, len(b.ids))} {
		v, err := ort.NewTensor(shape, data)
		if err != nil {
			t.Fatal(err)
		}
		defer v.Destroy()
		ins = append(ins, v)
	}
	outs := []ort.Value{nil}
	if err := s.Run(ins, outs); err != nil {
		t.Fatalf("run: %v", err)
	}
	defer outs[0].Destroy()
	return append([]float32(nil), outs[0].(*ort.Tensor[float32]).GetData()...)
}

// cosine returns the cosine similarity of a and b.
func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}
