package synth

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// smallConfig is the shape the unit tests run.
var smallConfig = BertConfig{
	Layers: 2, Hidden: 64, Heads: 4, FFN: 128, Vocab: 1000,
	MaxPositions: 64, TypeVocab: 2, LayerNormEps: 1e-12, Seed: 7,
}

func writeModel(t testing.TB, cfg BertConfig, opts bertOptions) (string, []byte) {
	t.Helper()
	m, err := buildBERT(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

func TestBertConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*BertConfig)
		want string // substring of the error; empty for valid
	}{
		{"valid", func(*BertConfig) {}, ""},
		{"heads do not divide hidden", func(c *BertConfig) { c.Heads = 5 }, "multiple of num_attention_heads"},
		{"zero layers", func(c *BertConfig) { c.Layers = 0 }, "num_hidden_layers 0"},
		{"negative vocab", func(c *BertConfig) { c.Vocab = -1 }, "vocab_size -1"},
		{"zero eps", func(c *BertConfig) { c.LayerNormEps = 0 }, "layer_norm_eps"},
		{"nan eps", func(c *BertConfig) { c.LayerNormEps = float32(math.NaN()) }, "layer_norm_eps"},
		{"too large", func(c *BertConfig) { c.Vocab = 1 << 30 }, "2 GiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := smallConfig
			tt.edit(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrBadConfig) {
				t.Fatalf("Validate() = %v, want ErrBadConfig containing %q", err, tt.want)
			}
		})
	}
}

func TestBertConfigParsesHuggingFace(t *testing.T) {
	raw := `{"architectures":["BertModel"],"hidden_size":512,"intermediate_size":2048,
	"layer_norm_eps":1e-12,"max_position_embeddings":512,"num_attention_heads":8,
	"num_hidden_layers":4,"type_vocab_size":2,"vocab_size":21128}`
	var got BertConfig
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatal(err)
	}
	want := BertConfig{Layers: 4, Hidden: 512, Heads: 8, FFN: 2048, Vocab: 21128,
		MaxPositions: 512, TypeVocab: 2, LayerNormEps: 1e-12}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsed config (-want +got):\n%s", diff)
	}
}

func TestWriteBERTRejectsBadConfig(t *testing.T) {
	var buf bytes.Buffer
	err := WriteBERT(&buf, BertConfig{Hidden: 10, Heads: 3})
	if !errors.Is(err, ErrBadConfig) {
		t.Fatalf("WriteBERT(bad) = %v, want ErrBadConfig", err)
	}
	if buf.Len() != 0 {
		t.Errorf("WriteBERT(bad) wrote %d bytes", buf.Len())
	}
}

func TestEncoderRoundTrip(t *testing.T) {
	_, b := writeModel(t, smallConfig, bertOptions{})
	m, err := decodeModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.irVersion != 8 || m.producer != "jieda-synth" {
		t.Errorf("ir_version %d producer %q", m.irVersion, m.producer)
	}
	if diff := cmp.Diff(map[string]int64{"": defaultOpset}, m.opsets); diff != "" {
		t.Errorf("opsets (-want +got):\n%s", diff)
	}
	wantIn := []decodedValue{
		{name: InputIDs, elemType: dtInt64, dims: []string{"batch", "sequence"}},
		{name: AttentionMask, elemType: dtInt64, dims: []string{"batch", "sequence"}},
		{name: TokenTypeIDs, elemType: dtInt64, dims: []string{"batch", "sequence"}},
	}
	wantOut := []decodedValue{{name: LastHiddenState, elemType: dtFloat, dims: []string{"batch", "sequence", "64"}}}
	opt := cmp.AllowUnexported(decodedValue{})
	if diff := cmp.Diff(wantIn, m.graph.inputs, opt); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantOut, m.graph.outputs, opt); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}

	word := m.graph.inits[wordEmbeddings]
	if diff := cmp.Diff([]int64{1000, 64}, word.dims); diff != "" {
		t.Errorf("word embedding dims (-want +got):\n%s", diff)
	}
	if word.dataType != dtFloat || len(word.raw) != 1000*64*4 {
		t.Errorf("word embedding type %d, %d bytes", word.dataType, len(word.raw))
	}
	ws := word.floats()
	for i, v := range ws[:64] {
		if v != 0 {
			t.Fatalf("[PAD] embedding[%d] = %g, want 0", i, v)
		}
	}
	mean, sd := stats(ws[64:])
	if math.Abs(mean) > 0.002 || math.Abs(sd-initStd) > 0.002 {
		t.Errorf("word embeddings mean %.4f sd %.4f, want ≈ 0 and %.2f", mean, sd, initStd)
	}
	if g, _ := stats(m.graph.inits["encoder.layer.0.output.LayerNorm.weight"].floats()); math.Abs(g-1) > 0.01 {
		t.Errorf("LayerNorm gamma mean %.4f, want ≈ 1", g)
	}

	// Every node input is produced by a node, an initializer or a graph input.
	known := map[string]bool{}
	for _, in := range m.graph.inputs {
		known[in.name] = true
	}
	for name := range m.graph.inits {
		known[name] = true
	}
	for _, n := range m.graph.nodes {
		for _, in := range n.inputs {
			if !known[in] {
				t.Fatalf("node %s (%s) reads %q before it is produced", n.name, n.opType, in)
			}
		}
		for _, out := range n.outputs {
			known[out] = true
		}
	}
	if !known[LastHiddenState] {
		t.Error("no node produces last_hidden_state")
	}

	split := m.graph.inits["const_i64_0_0_4_16"]
	if diff := cmp.Diff([]int64{0, 0, 4, 16}, split.int64s()); diff != "" {
		t.Errorf("head split shape (-want +got):\n%s", diff)
	}
	var softmaxes int
	for _, n := range m.graph.nodes {
		if n.opType == "Softmax" {
			softmaxes++
			if a := n.attrs["axis"]; a.typ != attrTypeInt || a.i != 3 {
				t.Errorf("Softmax axis %+v, want INT 3", a)
			}
		}
	}
	if softmaxes != smallConfig.Layers {
		t.Errorf("%d Softmax nodes, want %d", softmaxes, smallConfig.Layers)
	}
}

func stats(vs []float32) (mean, sd float64) {
	for _, v := range vs {
		mean += float64(v)
	}
	mean /= float64(len(vs))
	for _, v := range vs {
		sd += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(sd / float64(len(vs)))
}

func TestWriteBERTDeterministic(t *testing.T) {
	write := func(cfg BertConfig) []byte {
		var buf bytes.Buffer
		if err := WriteBERT(&buf, cfg); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b := write(smallConfig), write(smallConfig)
	if !bytes.Equal(a, b) {
		t.Fatal("same config and seed gave different bytes")
	}
	other := smallConfig
	other.Seed++
	if bytes.Equal(a, write(other)) {
		t.Fatal("different seeds gave the same bytes")
	}
}

func TestSmallModelRuns(t *testing.T) {
	path, _ := writeModel(t, smallConfig, bertOptions{})
	s := newSession(t, path, sessionConfig{})
	b := padBatch([][]int64{
		{101, 5, 6, 7, 8, 9, 102},
		{101, 999, 102},
	})
	out, shape := run(t, s, b)
	if diff := cmp.Diff([]int64{2, 7, 64}, []int64(shape)); diff != "" {
		t.Fatalf("output shape (-want +got):\n%s", diff)
	}
	for i, v := range out {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("output[%d] = %g", i, v)
		}
	}
	// Each token state is layer-normalized: mean ≈ beta's mean, sd ≈ gamma's.
	mean, sd := stats(out[:64])
	if math.Abs(mean) > 0.1 || math.Abs(sd-1) > 0.1 {
		t.Errorf("token state mean %.3f sd %.3f, want ≈ 0 and 1", mean, sd)
	}
	// Padding must not change the real tokens' states.
	single, _ := run(t, s, padBatch([][]int64{{101, 999, 102}}))
	for i := range single {
		if d := math.Abs(float64(single[i] - out[7*64+i])); d > 1e-4 {
			t.Fatalf("padded row differs from unpadded at %d by %g", i, d)
		}
	}
	// The optimized (fused) graph computes what the graph as written does.
	plain := newSession(t, path, sessionConfig{disableOpt: true})
	ref, _ := run(t, plain, b)
	for i := range ref {
		if b.mask[i/64] == 0 {
			continue
		}
		if d := math.Abs(float64(ref[i] - out[i])); d > 1e-3 {
			t.Fatalf("optimized output differs from unoptimized at %d by %g", i, d)
		}
	}
}

// fusedOps loads the model with all optimizations, has ORT save the
// optimized graph and returns its op type counts.
func fusedOps(t *testing.T, path string) map[string]int {
	t.Helper()
	opt := filepath.Join(t.TempDir(), "optimized.onnx")
	newSession(t, path, sessionConfig{optimizedPath: opt})
	b, err := os.ReadFile(opt)
	if err != nil {
		t.Fatalf("reading optimized model: %v", err)
	}
	m, err := decodeModel(b)
	if err != nil {
		t.Fatalf("decoding optimized model: %v", err)
	}
	return m.graph.opCounts()
}

func TestFusions(t *testing.T) {
	path, _ := writeModel(t, smallConfig, bertOptions{})
	got := fusedOps(t, path)
	t.Logf("optimized graph: %v", got)
	L := smallConfig.Layers
	want := map[string]int{
		"EmbedLayerNormalization": 1,
		"Attention":               L,
		"SkipLayerNormalization":  2 * L,
		"BiasGelu":                L,
	}
	for op, n := range want {
		if got[op] != n {
			t.Errorf("optimized graph has %d %s, want %d", got[op], op, n)
		}
	}
	for _, op := range []string{"Softmax", "Erf", "ReduceMean", "LayerNormalization"} {
		if got[op] != 0 {
			t.Errorf("optimized graph still has %d %s nodes", got[op], op)
		}
	}
}

// TestFusionsByOpset documents why the default opset is 12: ORT's C++
// fusions match op versions, and the attention mask pattern is only
// recognized with the attribute form of Unsqueeze (opset < 13).
func TestFusionsByOpset(t *testing.T) {
	for _, opset := range []int64{12, 13, 17} {
		path, _ := writeModel(t, smallConfig, bertOptions{opset: opset})
		t.Logf("opset %d optimized graph: %v", opset, fusedOps(t, path))
	}
}
