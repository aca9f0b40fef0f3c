package quant

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/models/synth"
)

// small is the shape of the BERT models most tests quantize.
var small = synth.BertConfig{Layers: 2, Hidden: 64, Heads: 4, FFN: 256, Vocab: 1000,
	MaxPositions: 64, TypeVocab: 2, LayerNormEps: 1e-12, Seed: 7}

// layouts are the graph forms the quantizer must take: the one ONNX
// Runtime fuses, and what Hugging Face exports hold at several opsets,
// with decomposed (11, 14) or fused (17) layer norms and with weights
// shared by every layer.
var layouts = []struct {
	name string
	opts synth.Options
}{
	{"ort-opset12", synth.Options{}},
	{"hf-opset11", synth.Options{Layout: synth.LayoutHF, Opset: 11}},
	{"hf-opset14", synth.Options{Layout: synth.LayoutHF}},
	{"hf-opset17", synth.Options{Layout: synth.LayoutHF, Opset: 17}},
	{"hf-opset14-shared", synth.Options{Layout: synth.LayoutHF, ShareLayers: true}},
}

// writeSynth writes a synthetic model directory and returns it with its model.onnx.
func writeSynth(t testing.TB, cfg synth.BertConfig, opts synth.Options) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	opts.Config = cfg
	if err := synth.WriteDir(dir, opts); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, embed.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	return dir, b
}

var bertInputs, bertOutputs = []string{"input_ids", "attention_mask", "token_type_ids"}, []string{"last_hidden_state"}

// agreementBatches are batches with padded rows.
var agreementBatches = [][][]int64{
	{{101, 5, 6, 7, 8, 9, 10, 11, 102}, {101, 999, 3, 102}},
	{{101, 400, 401, 402, 102}, {101, 17, 250, 33, 871, 64, 12, 500, 102}},
	{{101, 42, 43, 102}, {101, 777, 778, 779, 780, 781, 782, 783, 102}},
	{{101, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 102}},
}

// pooled returns each row's CLS and mask-weighted mean vectors.
func pooled(out []float32, b batch, hidden int) (cls, mean [][]float32) {
	for i := range b.rows {
		row := out[i*b.cols*hidden : (i+1)*b.cols*hidden]
		cls = append(cls, slices.Clone(row[:hidden]))
		m := make([]float32, hidden)
		n := 0
		for j := range b.cols {
			if b.mask[i*b.cols+j] == 0 {
				continue
			}
			n++
			for k := range hidden {
				m[k] += row[j*hidden+k]
			}
		}
		for k := range m {
			m[k] /= float32(n)
		}
		mean = append(mean, m)
	}
	return cls, mean
}

// centered subtracts the mean of ref's vectors from each of vs. A random
// model's sentence vectors share a large common part (for CLS, mostly the
// [CLS] embedding); only the part that depends on the input shows whether
// quantization kept what the model computes.
func centered(vs, ref [][]float32) [][]float32 {
	mean := make([]float32, len(ref[0]))
	for _, v := range ref {
		for k, x := range v {
			mean[k] += x / float32(len(ref))
		}
	}
	out := make([][]float32, len(vs))
	for i, v := range vs {
		out[i] = make([]float32, len(v))
		for k, x := range v {
			out[i][k] = x - mean[k]
		}
	}
	return out
}

// agreement runs the batches through both sessions and returns the worst
// cosines between their CLS and mean vectors, raw and centered.
func agreement(t *testing.T, want, got func(batch) []float32, hidden int) (raw, cent float64) {
	t.Helper()
	var wv, gv [][]float32
	for _, rows := range agreementBatches {
		b := padBatch(rows)
		wc, wm := pooled(want(b), b, hidden)
		gc, gm := pooled(got(b), b, hidden)
		wv = append(append(wv, wc...), wm...)
		gv = append(append(gv, gc...), gm...)
	}
	raw, cent = 1, 1
	wc, gc := centered(wv, wv), centered(gv, wv)
	for i := range wv {
		raw = min(raw, cosine(wv[i], gv[i]))
		cent = min(cent, cosine(wc[i], gc[i]))
	}
	return raw, cent
}

func TestQuantizeLayouts(t *testing.T) {
	L := small.Layers
	for _, lt := range layouts {
		t.Run(lt.name, func(t *testing.T) {
			_, fb := writeSynth(t, small, lt.opts)
			qb, rep, err := Quantize(fb, Options{})
			if err != nil {
				t.Fatal(err)
			}
			weights := 4 * L // Q/K/V merged, attention output, two FFN
			if lt.opts.ShareLayers {
				weights = 4
			}
			want := Report{MatMuls: 6 * L, Biases: 6 * L, Merged: L, MergedMatMuls: 3 * L, Weights: weights,
				BytesIn: int64(len(fb)), BytesOut: int64(len(qb))}
			if diff := cmp.Diff(want, rep); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
			m, err := decodeModel(qb)
			if err != nil {
				t.Fatal(err)
			}
			ops := map[string]int{}
			inits := map[string]*tensor{}
			for _, it := range m.graph.inits {
				inits[it.name] = it
			}
			for _, n := range m.graph.nodes {
				ops[n.opType]++
				if n.opType == "MatMul" && inits[n.inputs[1]] != nil {
					t.Errorf("MatMul %s still multiplies by the float matrix %s", n.name, n.inputs[1])
				}
			}
			if ops["Identity"] != 0 {
				t.Errorf("%d Identity nodes left that led to weights", ops["Identity"])
			}
			if ops["DynamicQuantizeMatMul"] != 4*L || ops["Split"] != L {
				t.Errorf("%d DynamicQuantizeMatMul and %d Split nodes, want %d and %d", ops["DynamicQuantizeMatMul"], ops["Split"], 4*L, L)
			}
			if m.opsetVersion(msDomain) != 1 {
				t.Errorf("com.microsoft opset %d, want 1", m.opsetVersion(msDomain))
			}
			if !strings.Contains(string(m.kept), metadataKey) {
				t.Errorf("no %s metadata", metadataKey)
			}

			fpath, qpath := writeTemp(t, "f.onnx", fb), writeTemp(t, "q.onnx", qb)
			fs := session(t, fpath, bertInputs, bertOutputs, true)
			run := func(s string, optimize bool) func(batch) []float32 {
				sess := session(t, s, bertInputs, bertOutputs, optimize)
				return func(b batch) []float32 { return runBERT(t, sess, b) }
			}
			raw, cent := agreement(t, func(b batch) []float32 { return runBERT(t, fs, b) }, run(qpath, true), small.Hidden)
			t.Logf("int8 vs float32: worst cosine %.7f, centered %.6f", raw, cent)
			if raw < 0.99 || cent < 0.98 {
				t.Errorf("int8 vs float32: worst cosine %.5f (want ≥ 0.99), centered %.4f (want ≥ 0.98)", raw, cent)
			}
			// The graph as written (no ORT optimization) is valid and
			// computes the same.
			raw, _ = agreement(t, run(qpath, true), run(qpath, false), small.Hidden)
			if raw < 0.9999 {
				t.Errorf("int8 graph with and without ORT's optimizations: worst cosine %.6f", raw)
			}
		})
	}
}

// Merging Q, K and V is exact: per-column scales are the same either way
// and the shared input is quantized identically.
func TestQuantizeMergeIsExact(t *testing.T) {
	_, fb := writeSynth(t, small, synth.Options{Layout: synth.LayoutHF})
	merged, _, err := Quantize(fb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	separate, rep, err := Quantize(fb, Options{NoMerge: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Merged != 0 || rep.Weights != 6*small.Layers {
		t.Errorf("NoMerge report %+v", rep)
	}
	ms := session(t, writeTemp(t, "m.onnx", merged), bertInputs, bertOutputs, true)
	ss := session(t, writeTemp(t, "s.onnx", separate), bertInputs, bertOutputs, true)
	for _, rows := range agreementBatches {
		b := padBatch(rows)
		a, c := runBERT(t, ms, b), runBERT(t, ss, b)
		for i := range a {
			if d := math.Abs(float64(a[i] - c[i])); d > 1e-4 {
				t.Fatalf("merged and separate projections differ by %g at %d", d, i)
			}
		}
	}
}

func TestQuantizeMinWeights(t *testing.T) {
	_, fb := writeSynth(t, small, synth.Options{Layout: synth.LayoutHF})
	// 64×64 attention matrices stay float; the 64×256 feed-forward ones do not.
	_, rep, err := Quantize(fb, Options{MinWeights: 64*64 + 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.MatMuls != 2*small.Layers || rep.Float != 4*small.Layers {
		t.Errorf("report %+v, want %d quantized and %d float", rep, 2*small.Layers, 4*small.Layers)
	}
	_, _, err = Quantize(fb, Options{MinWeights: 1 << 30})
	if !errors.Is(err, ErrNothingToQuantize) {
		t.Errorf("every matrix below the minimum: %v, want ErrNothingToQuantize", err)
	}
}

func TestQuantizeRefuses(t *testing.T) {
	_, fb := writeSynth(t, small, synth.Options{Layout: synth.LayoutHF})
	qb, _, err := Quantize(fb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ortInt8 := func() []byte {
		_, b := writeSynth(t, small, synth.Options{Quantize: synth.QuantizeInt8})
		return b
	}()
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"garbage", []byte{0xff, 0xff, 0xff}, ErrNotONNX},
		{"no graph", appendVarint(nil, 1, 8), ErrNotONNX},
		{"quantized twice", qb, ErrAlreadyQuantized},
		{"synth int8", ortInt8, ErrAlreadyQuantized},
		{"external data", handModel(t, 13, handOptions{external: true}), ErrExternalData},
		{"no matmul", handModel(t, 13, handOptions{gatherOnly: true}), ErrNothingToQuantize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := Quantize(tt.in, Options{}); !errors.Is(err, tt.want) {
				t.Errorf("Quantize = %v, want %v", err, tt.want)
			}
		})
	}
}

// A model decoded and encoded again without changes runs the same.
func TestRoundTrip(t *testing.T) {
	_, fb := writeSynth(t, small, synth.Options{Layout: synth.LayoutHF, Opset: 17})
	m, err := decodeModel(fb)
	if err != nil {
		t.Fatal(err)
	}
	again := m.encode(nil)
	if len(again) != len(fb) {
		t.Errorf("re-encoded model has %d bytes, the original %d", len(again), len(fb))
	}
	m2, err := decodeModel(again)
	if err != nil {
		t.Fatal(err)
	}
	if len(m2.graph.nodes) != len(m.graph.nodes) || len(m2.graph.inits) != len(m.graph.inits) {
		t.Errorf("re-encoded graph has %d nodes and %d initializers, want %d and %d",
			len(m2.graph.nodes), len(m2.graph.inits), len(m.graph.nodes), len(m.graph.inits))
	}
	a := session(t, writeTemp(t, "a.onnx", fb), bertInputs, bertOutputs, false)
	b := session(t, writeTemp(t, "b.onnx", again), bertInputs, bertOutputs, false)
	for _, rows := range agreementBatches {
		bt := padBatch(rows)
		if diff := cmp.Diff(runBERT(t, a, bt), runBERT(t, b, bt)); diff != "" {
			t.Fatalf("outputs differ (-original +re-encoded):\n%s", diff)
		}
	}
}
