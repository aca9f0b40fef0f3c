package quant

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/models/synth"
)

// sharedModel finds a reference model directory in the workplace's shared
// folder ($JIEDA_SHARED, or shared/ beside the working directory or one of
// its parents), or skips the test.
func sharedModel(t *testing.T, name string) string {
	t.Helper()
	var roots []string
	if s := os.Getenv("JIEDA_SHARED"); s != "" {
		roots = append(roots, s)
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			roots = append(roots, filepath.Join(d, "shared"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, r := range roots {
		dir := filepath.Join(r, "models", name)
		if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err == nil {
			return dir
		}
	}
	t.Skipf("reference model %s not found under ../shared/models (set JIEDA_SHARED): skipping the real-tokenizer check", name)
	return ""
}

// sampleTexts reads the questions and variant questions of the project's
// sample knowledge base.
func sampleTexts(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "answer", "samplekb", "articles.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var texts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var a struct {
			Question string   `json:"question"`
			Variants []string `json:"variants"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, a.Question)
		texts = append(texts, a.Variants...)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return texts
}

func embedAll(t *testing.T, dir string, texts []string) [][]float32 {
	t.Helper()
	cfg := embed.DefaultConfig()
	cfg.ModelDir, cfg.CacheSize = dir, 0
	e, err := embed.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	}()
	vs, err := e.Embed(t.Context(), texts, embed.RolePassage)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestRealTextAgreement quantizes a model of bge-small-zh-v1.5's shape
// (random weights, the real tokenizer, the Hugging Face export layout) and
// compares the int8 model's sentence vectors with the float32 model's on
// the sample knowledge base's questions, through embed as jieda runs them.
func TestRealTextAgreement(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and runs two 4-layer, 512-wide models")
	}
	ref := sharedModel(t, "bge-small-zh-v1.5")
	cfg, tok, err := synth.LikeConfig(ref)
	if err != nil {
		t.Fatal(err)
	}
	texts := sampleTexts(t)
	texts = texts[:min(len(texts), 400)]
	fp32, int8 := t.TempDir(), t.TempDir()
	if err := synth.WriteDir(fp32, synth.Options{Config: cfg, TokenizerPath: tok, Layout: synth.LayoutHF}); err != nil {
		t.Fatal(err)
	}
	if _, err := QuantizeDir(fp32, int8, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, pooling := range []string{embed.PoolingCLS, embed.PoolingMean} {
		t.Run(pooling, func(t *testing.T) {
			src, dst := withPooling(t, fp32, pooling), withPooling(t, int8, pooling)
			fv, qv := embedAll(t, src, texts), embedAll(t, dst, texts)
			fc, qc := centered(fv, fv), centered(qv, fv)
			raw, cent := make([]float64, len(texts)), make([]float64, len(texts))
			for i := range texts {
				raw[i], cent[i] = cosine(fv[i], qv[i]), cosine(fc[i], qc[i])
			}
			slices.Sort(raw)
			slices.Sort(cent)
			t.Logf("%d texts, %s pooling: int8 vs float32 cosine min %.5f median %.5f; centered min %.4f median %.4f",
				len(texts), pooling, raw[0], raw[len(raw)/2], cent[0], cent[len(cent)/2])
			if raw[0] < 0.99 || cent[len(cent)/2] < 0.95 {
				t.Errorf("int8 vs float32: min cosine %.5f (want ≥ 0.99), median centered %.4f (want ≥ 0.95)", raw[0], cent[len(cent)/2])
			}
		})
	}
}

// withPooling returns a model directory that links dir's files and has
// the given pooling in its manifest.
func withPooling(t *testing.T, dir, pooling string) string {
	t.Helper()
	m, err := embed.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, f := range []string{embed.ModelFile, embed.TokenizerFile} {
		if err := os.Link(filepath.Join(dir, f), filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	m.Pooling = pooling
	if err := embed.WriteManifest(out, m); err != nil {
		t.Fatal(err)
	}
	return out
}
