package synth_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/models/synth"
)

// The builtin model is what `jieda model builtin` writes when no real model
// can be downloaded.
func ExampleWriteBuiltin() {
	dir, err := os.MkdirTemp("", "builtin")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := synth.WriteBuiltin(filepath.Join(dir, synth.BuiltinName)); err != nil {
		log.Fatal(err)
	}
	m, err := embed.CheckModelDir(filepath.Join(dir, synth.BuiltinName))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Name, m.Dimension, m.Pooling, m.Grade)
	// Output: jieda-builtin-lexical 256 mean lexical
}

// A random model with a small shape, for tests and benchmarks.
func ExampleWriteDir() {
	dir, err := os.MkdirTemp("", "tiny")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg := synth.BertConfig{
		Layers: 2, Hidden: 64, Heads: 4, FFN: 128, Vocab: 1000,
		MaxPositions: 128, TypeVocab: 2, LayerNormEps: 1e-12, Seed: 1,
	}
	if err := synth.WriteDir(dir, synth.Options{Config: cfg, Name: "tiny", Pooling: embed.PoolingMean}); err != nil {
		log.Fatal(err)
	}
	m, err := embed.ReadManifest(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Name, m.Dimension, m.MaxTokens, m.Grade == "")
	// Output: tiny 64 128 true
}
