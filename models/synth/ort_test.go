package synth

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

// ONNX Runtime's environment is process-global: initialize it once.
var (
	ortOnce sync.Once
	ortErr  error
)

// ortLibPath finds libonnxruntime: JIEDA_ORT_LIB, or
// .cache/onnxruntime/current/libonnxruntime.so.1 in the working directory or
// one of its parents (the repository root when run by go test).
func ortLibPath() (string, error) {
	if p := os.Getenv("JIEDA_ORT_LIB"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, ".cache", "onnxruntime", "current", "libonnxruntime.so.1")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("libonnxruntime.so.1 not found: run `make setup` (scripts/install-ort.sh) or set JIEDA_ORT_LIB")
		}
		dir = parent
	}
}

// needORT initializes ONNX Runtime or fails the test with how to install it.
func needORT(t testing.TB) {
	t.Helper()
	ortOnce.Do(func() {
		var p string
		p, ortErr = ortLibPath()
		if ortErr != nil {
			return
		}
		ort.SetSharedLibraryPath(p)
		ortErr = ort.InitializeEnvironment(ort.WithLogLevelError())
	})
	if ortErr != nil {
		t.Fatalf("onnx runtime unavailable: %v (run `make setup`, i.e. scripts/install-ort.sh, or set JIEDA_ORT_LIB)", ortErr)
	}
}

// sessionConfig says how to open a test session.
type sessionConfig struct {
	threads       int    // intra-op threads; 0 means 1
	optimizedPath string // where ORT writes the optimized graph, if set
	disableOpt    bool   // run the graph as written
}

// newSession opens a session on the model file with the three BERT inputs
// and the last_hidden_state output.
func newSession(t testing.TB, path string, sc sessionConfig) *ort.DynamicAdvancedSession {
	t.Helper()
	needORT(t)
	so, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer so.Destroy()
	threads := max(sc.threads, 1)
	must(t, so.SetIntraOpNumThreads(threads))
	must(t, so.SetInterOpNumThreads(1))
	var level ort.GraphOptimizationLevel = ort.GraphOptimizationLevelEnableAll
	if sc.disableOpt {
		level = ort.GraphOptimizationLevelDisableAll
	}
	must(t, so.SetGraphOptimizationLevel(level))
	if sc.optimizedPath != "" {
		must(t, so.SetOptimizedModelFilePath(sc.optimizedPath))
	}
	s, err := ort.NewDynamicAdvancedSession(path,
		[]string{InputIDs, AttentionMask, TokenTypeIDs}, []string{LastHiddenState}, so)
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	t.Cleanup(func() { _ = s.Destroy() })
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// batch is one padded model input.
type batch struct {
	ids, mask, types []int64
	rows, cols       int
}

// padBatch right-pads token id rows with [PAD]=0.
func padBatch(rows [][]int64) batch {
	b := batch{rows: len(rows)}
	for _, r := range rows {
		b.cols = max(b.cols, len(r))
	}
	n := b.rows * b.cols
	b.ids, b.mask, b.types = make([]int64, n), make([]int64, n), make([]int64, n)
	for i, r := range rows {
		for j, id := range r {
			b.ids[i*b.cols+j] = id
			b.mask[i*b.cols+j] = 1
		}
	}
	return b
}

// run runs the session on b and returns last_hidden_state and its shape.
func run(t testing.TB, s *ort.DynamicAdvancedSession, b batch) ([]float32, ort.Shape) {
	t.Helper()
	shape := ort.NewShape(int64(b.rows), int64(b.cols))
	var inputs []ort.Value
	for _, data := range [][]int64{b.ids, b.mask, b.types} {
		in, err := ort.NewTensor(shape, data)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Destroy()
		inputs = append(inputs, in)
	}
	outputs := []ort.Value{nil}
	if err := s.Run(inputs, outputs); err != nil {
		t.Fatalf("run: %v", err)
	}
	defer outputs[0].Destroy()
	out, ok := outputs[0].(*ort.Tensor[float32])
	if !ok {
		t.Fatalf("output is %T, want *Tensor[float32]", outputs[0])
	}
	return append([]float32(nil), out.GetData()...), out.GetShape()
}
