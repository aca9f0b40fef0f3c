package quant

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/models/synth"
)

func TestQuantizeDir(t *testing.T) {
	src, _ := writeSynth(t, small, synth.Options{Layout: synth.LayoutHF, Name: "tiny", Pooling: embed.PoolingMean})
	for name, content := range map[string]string{"config.json": `{"model_type":"bert"}`, embed.ChecksumsFile: `{}`, "model.onnx.partial": "x"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(t.TempDir(), "tiny-int8")
	rep, err := QuantizeDir(src, dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.MatMuls != 6*small.Layers {
		t.Errorf("report %+v", rep)
	}
	entries, err := os.ReadDir(dst)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"config.json", embed.ManifestFile, embed.ModelFile, embed.TokenizerFile}, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	fm, err := embed.ReadManifest(src)
	if err != nil {
		t.Fatal(err)
	}
	qm, err := embed.ReadManifest(dst)
	if err != nil {
		t.Fatal(err)
	}
	if qm.Name != "tiny-int8" || !strings.Contains(qm.Note, "jieda model quantize") || !strings.HasPrefix(qm.Note, fm.Note) {
		t.Errorf("manifest name %q note %q", qm.Name, qm.Note)
	}
	qm.Name, qm.Note = fm.Name, fm.Note
	if diff := cmp.Diff(fm, qm); diff != "" {
		t.Errorf("manifest differs beyond name and note (-float +int8):\n%s", diff)
	}

	// The directory loads in embed and embeds like the float one.
	texts := []string{"退货运费谁出", "订单什么时候发货", "how do I return this"}
	fv, qv := embedAll(t, src, texts), embedAll(t, dst, texts)
	for i := range texts {
		if c := cosine(fv[i], qv[i]); c < 0.99 {
			t.Errorf("%q: int8 vs float32 cosine %.5f", texts[i], c)
		}
	}

	if _, err := QuantizeDir(dst, filepath.Join(t.TempDir(), "again"), Options{}); !errors.Is(err, ErrAlreadyQuantized) {
		t.Errorf("quantizing the int8 directory: %v, want ErrAlreadyQuantized", err)
	}
	if _, err := QuantizeDir(src, src, Options{}); err == nil || !strings.Contains(err.Error(), "must differ") {
		t.Errorf("quantizing into the source: %v", err)
	}
	if _, err := QuantizeDir(t.TempDir(), dst, Options{}); !errors.Is(err, embed.ErrBadModelDir) {
		t.Errorf("quantizing an empty directory: %v, want ErrBadModelDir", err)
	}
}
