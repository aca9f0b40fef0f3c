package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/embed"
)

func TestModelBuiltinAndList(t *testing.T) {
	chdir(t)
	code, out, errOut := run(t, t.Context(), "model", "builtin")
	if code != 0 {
		t.Fatalf("model builtin: %d %s", code, errOut)
	}
	if !strings.Contains(out, "lexical-grade") {
		t.Errorf("model builtin should say the model is lexical-grade: %s", out)
	}
	m, err := embed.CheckModelDir(filepath.Join("models", embed.BuiltinName))
	if err != nil {
		t.Fatal(err)
	}
	if m.Grade != embed.GradeLexical {
		t.Errorf("builtin grade %q, want %q", m.Grade, embed.GradeLexical)
	}
	code, out, errOut = run(t, t.Context(), "model", "list")
	if code != 0 {
		t.Fatalf("model list: %d %s", code, errOut)
	}
	for _, want := range []string{"bge-small-zh-v1.5", "multilingual-e5-small", "bge-small-en-v1.5"} {
		if !strings.Contains(out, want) {
			t.Errorf("model list lacks %s:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "builtin") || !strings.Contains(out, "yes") {
		t.Errorf("model list should show the builtin model installed:\n%s", out)
	}
}

func TestModelPullErrors(t *testing.T) {
	chdir(t)
	code, _, errOut := run(t, t.Context(), "model", "pull", "no-such-model")
	if code == 0 || !strings.Contains(errOut, "bge-small-zh-v1.5") {
		t.Errorf("unknown model: exit %d, stderr %q; want an error listing the catalog", code, errOut)
	}
}

func TestModelSynthAndBench(t *testing.T) {
	dir := chdir(t)
	cfg := filepath.Join(dir, "config.json")
	shape := `{"num_hidden_layers":1,"hidden_size":32,"num_attention_heads":2,"intermediate_size":64,"vocab_size":2000,"max_position_embeddings":300,"type_vocab_size":2,"layer_norm_eps":1e-12}`
	if err := os.WriteFile(cfg, []byte(shape), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tiny")
	if code, _, errOut := run(t, t.Context(), "model", "synth", "--config", cfg, "--out", out, "--max-tokens", "300"); code != 0 {
		t.Fatalf("model synth: %d %s", code, errOut)
	}
	m, err := embed.CheckModelDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Dimension != 32 {
		t.Errorf("synth dimension %d, want 32", m.Dimension)
	}
	// Bad shape: a clear error.
	if err := os.WriteFile(cfg, []byte(`{"num_hidden_layers":1,"hidden_size":30,"num_attention_heads":4}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, t.Context(), "model", "synth", "--config", cfg, "--out", filepath.Join(dir, "bad")); code == 0 || errOut == "" {
		t.Errorf("bad shape: exit %d, stderr %q", code, errOut)
	}

	// bench embed runs end to end on the tiny model and prints every field.
	code, stdout, errOut := run(t, t.Context(), "bench", "embed", "--model", out, "--json",
		"--queries", "20", "--duration", "200ms", "--passages", "8")
	if code != 0 {
		t.Fatalf("bench embed: %d %s", code, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("bench embed --json: %v\n%s", err, stdout)
	}
	for _, k := range []string{"query_p50_ms", "query_p99_ms", "query_qps_8", "passages_per_s", "tokens_per_s", "gflops", "peak_gflops"} {
		v, ok := res[k].(float64)
		if !ok || v <= 0 {
			t.Errorf("bench field %s = %v, want a positive number", k, res[k])
		}
	}
}

func TestModelQuantizeAndCompare(t *testing.T) {
	dir := chdir(t)
	cfg := filepath.Join(dir, "config.json")
	shape := `{"num_hidden_layers":2,"hidden_size":64,"num_attention_heads":4,"intermediate_size":256,"vocab_size":2000,"max_position_embeddings":128,"type_vocab_size":2,"layer_norm_eps":1e-12}`
	if err := os.WriteFile(cfg, []byte(shape), 0o644); err != nil {
		t.Fatal(err)
	}
	fp32, int8 := filepath.Join(dir, "tiny"), filepath.Join(dir, "tiny-int8")
	if code, _, errOut := run(t, t.Context(), "model", "synth", "--config", cfg, "--layout", "hf", "--out", fp32, "--max-tokens", "128"); code != 0 {
		t.Fatalf("model synth: %d %s", code, errOut)
	}
	code, out, errOut := run(t, t.Context(), "model", "quantize", fp32, "--out", int8)
	if code != 0 {
		t.Fatalf("model quantize: %d %s", code, errOut)
	}
	if !strings.Contains(out, "12 weight matrix multiplications in int8") {
		t.Errorf("model quantize output: %s", out)
	}
	m, err := embed.CheckModelDir(int8)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "synthetic-bert-int8" || m.Dimension != 64 || !strings.Contains(m.Note, "jieda model quantize") {
		t.Errorf("quantized manifest: %+v", m)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"twice", []string{"model", "quantize", int8, "--out", filepath.Join(dir, "again")}, "already quantized"},
		{"no out", []string{"model", "quantize", fp32}, "--out is required"},
		{"onto itself", []string{"model", "quantize", fp32, "--out", fp32}, "must differ"},
		{"not a model", []string{"model", "quantize", dir, "--out", filepath.Join(dir, "x")}, "invalid model directory"},
	} {
		code, _, errOut := run(t, t.Context(), tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want an error containing %q", tt.name, code, errOut, tt.want)
		}
	}

	// bench embed compares both in one run and reports the ratios.
	code, stdout, errOut := run(t, t.Context(), "bench", "embed", "--model", fp32, "--compare", int8, "--json",
		"--rounds", "2", "--queries", "10", "--duration", "150ms", "--passages", "4")
	if code != 0 {
		t.Fatalf("bench embed --compare: %d %s", code, errOut)
	}
	var c embed.Comparison
	if err := json.Unmarshal([]byte(stdout), &c); err != nil {
		t.Fatalf("bench embed --compare --json: %v\n%s", err, stdout)
	}
	if c.Base.Model != "synthetic-bert" || c.Other.Model != "synthetic-bert-int8" || len(c.Rounds) != 2 {
		t.Errorf("comparison of %q and %q in %d rounds", c.Base.Model, c.Other.Model, len(c.Rounds))
	}
	for _, r := range []float64{c.Ratio.QueryQPS8, c.Ratio.QueryP50Ms, c.Ratio.PassagesPerS, c.Base.QueryQPS8, c.Other.QueryQPS8} {
		if !(r > 0) {
			t.Errorf("comparison figures must be positive: %+v", c.Ratio)
		}
	}
	code, stdout, errOut = run(t, t.Context(), "bench", "embed", "--model", fp32, "--compare", int8,
		"--rounds", "1", "--queries", "5", "--duration", "100ms", "--passages", "2")
	if code != 0 || !strings.Contains(stdout, "ratio") || !strings.Contains(stdout, "synthetic-bert-int8") {
		t.Errorf("bench embed --compare text: exit %d\n%s%s", code, stdout, errOut)
	}
}

// model list shows each catalog model's variants, installed or not, and
// says which were quantized here.
func TestModelListVariants(t *testing.T) {
	dir := chdir(t)
	cfg := filepath.Join(dir, "config.json")
	shape := `{"num_hidden_layers":1,"hidden_size":64,"num_attention_heads":4,"intermediate_size":128,"vocab_size":2000,"max_position_embeddings":64,"type_vocab_size":2,"layer_norm_eps":1e-12}`
	if err := os.WriteFile(cfg, []byte(shape), 0o644); err != nil {
		t.Fatal(err)
	}
	fp32 := filepath.Join("models", "multilingual-e5-small")
	if code, _, errOut := run(t, t.Context(), "model", "synth", "--config", cfg, "--layout", "hf", "--out", fp32, "--max-tokens", "64"); code != 0 {
		t.Fatalf("model synth: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, t.Context(), "model", "quantize", fp32, "--out", fp32+"-int8"); code != 0 {
		t.Fatalf("model quantize: %d %s", code, errOut)
	}
	code, out, errOut := run(t, t.Context(), "model", "list")
	if code != 0 {
		t.Fatalf("model list: %d %s", code, errOut)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(line)
		rows[f[0]+" "+f[1]] = f
	}
	for _, tt := range []struct{ row, installed, dir string }{
		{"bge-small-zh-v1.5 fp32", "no", "models/bge-small-zh-v1.5"},
		{"bge-small-zh-v1.5 int8", "no", "models/bge-small-zh-v1.5-int8"},
		{"multilingual-e5-small fp32", "yes", "models/multilingual-e5-small"},
		{"multilingual-e5-small int8", "yes (quantized here)", "models/multilingual-e5-small-int8"},
		{"bge-small-en-v1.5 int8", "no", "models/bge-small-en-v1.5-int8"},
	} {
		f, ok := rows[tt.row]
		if !ok {
			t.Errorf("model list has no row %q:\n%s", tt.row, out)
			continue
		}
		line := strings.Join(f, " ")
		if !strings.Contains(line, " "+tt.installed+" "+tt.dir+" ") {
			t.Errorf("row %q = %q, want installed %q in %s", tt.row, line, tt.installed, tt.dir)
		}
	}
}

// model pull --variant int8 fetches the publisher's quantized file (here
// from a loopback mirror) and holds it to the catalog's checksum.
func TestModelPullVariantMirror(t *testing.T) {
	chdir(t)
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		_, _ = w.Write([]byte(strings.Repeat("not the model ", 100)))
	}))
	defer srv.Close()
	code, _, errOut := run(t, t.Context(), "model", "pull", "bge-small-zh-v1.5", "--variant", "int8", "--mirror", srv.URL)
	if code == 0 {
		t.Fatal("pull of a file that does not match the catalog succeeded")
	}
	for _, want := range []string{"model pull bge-small-zh-v1.5-int8", "size mismatch", "want 24010842 (catalog)"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not contain %q", errOut, want)
		}
	}
	mu.Lock()
	got := slices.Clone(paths)
	mu.Unlock()
	want := []string{"/Xenova/bge-small-zh-v1.5/resolve/75c43b069aac4d136ba6bc1122f995fedcfd2781/onnx/model_quantized.onnx"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join("models", "bge-small-zh-v1.5-int8", "model.onnx")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused download was installed (stat: %v)", err)
	}
	for _, args := range [][]string{
		{"model", "pull", "bge-small-zh-v1.5", "--variant", "int4"},
		{"model", "pull", "bge-small-zh-v1.5", "--mirror", "hf-mirror.com"},
	} {
		if code, _, errOut := run(t, t.Context(), args...); code == 0 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
