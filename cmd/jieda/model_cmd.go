package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/embed/quant"
	"github.com/jieda/jieda/models"
	"github.com/jieda/jieda/models/synth"
)

func (a *app) modelCommand() *cobra.Command {
	c := &cobra.Command{Use: "model", Short: "List, download and generate embedding models"}
	c.AddCommand(a.modelListCommand(), a.modelPullCommand(), a.modelBuiltinCommand(), a.modelSynthCommand(), a.modelQuantizeCommand())
	return c
}

func catalog() (embed.Catalog, error) { return embed.ParseCatalog(models.CatalogJSON) }

func (a *app) modelListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List catalog models and their variants, and whether each is installed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, nil); err != nil {
				return err
			}
			cat, err := catalog()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tVARIANT\tDIM\tPOOLING\tDEFAULT\tINSTALLED\tDIRECTORY\tDESCRIPTION")
			for _, m := range cat.Models {
				for _, name := range m.VariantNames() {
					v, err := m.Variant(name)
					if err != nil {
						return err
					}
					dir := filepath.Join(a.cfg.ModelsDir, v.Name)
					def := ""
					if v.Default {
						def = "*"
					}
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", m.Name, name, v.Dimension, v.Pooling, def, installed(dir), dir, v.Description)
				}
			}
			dir := filepath.Join(a.cfg.ModelsDir, embed.BuiltinName)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", embed.BuiltinName, "-", "-", "mean", "", installed(dir), dir, "offline lexical-grade model (jieda model builtin)")
			return tw.Flush()
		},
	}
}

// installed says whether dir holds a usable model, and whether `jieda
// model quantize` made it.
func installed(dir string) string {
	m, err := embed.CheckModelDir(dir)
	switch {
	case err != nil:
		return "no"
	case strings.Contains(m.Note, "jieda model quantize"):
		return "yes (quantized here)"
	}
	return "yes"
}

func (a *app) modelPullCommand() *cobra.Command {
	var out, variant, mirror string
	cmd := &cobra.Command{
		Use:   "pull NAME [--variant int8]",
		Short: "Download a catalog model or one of its variants (resumable, size and sha256 verified)",
		Long: `Pull downloads a catalog model into <models_dir>/NAME, or a variant of it (--variant int8:
the publisher's int8 export) into <models_dir>/NAME-VARIANT; ` + "`jieda model list`" + ` shows them.
Run a variant with --model-dir or embed.model_dir set to its directory.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.load(cmd, nil); err != nil {
				return err
			}
			cat, err := catalog()
			if err != nil {
				return err
			}
			m, err := cat.Lookup(args[0])
			if err != nil {
				return err
			}
			if m, err = m.Variant(variant); err != nil {
				return err
			}
			if mirror != "" {
				if m, err = m.WithMirror(mirror); err != nil {
					return fmt.Errorf("--mirror: %w", err)
				}
			}
			dir := out
			if dir == "" {
				dir = filepath.Join(a.cfg.ModelsDir, m.Name)
			}
			var bar *progressbar.ProgressBar
			var barFile string
			_, err = embed.Pull(cmd.Context(), m, dir, embed.PullOptions{
				Progress: func(file string, done, total int64) {
					if bar == nil || barFile != file {
						if bar != nil {
							_ = bar.Finish()
						}
						barFile = file
						bar = newBar(a.stderr, total, file, true)
					}
					_ = bar.Set64(done)
				},
			})
			if bar != nil {
				_ = bar.Finish()
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "\n%s: %s\n", m.Name, dir)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "model directory (default <models_dir>/NAME, or NAME-VARIANT)")
	f.StringVar(&variant, "variant", embed.BaseVariant, "variant to download: fp32 (the publisher's float32 export) or one the catalog lists, e.g. int8")
	f.StringVar(&mirror, "mirror", "", "fetch huggingface.co files from this mirror instead (e.g. https://hf-mirror.com); checksums still apply")
	return cmd
}

func (a *app) modelBuiltinCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "builtin",
		Short: "Write the offline lexical-grade model the project generates itself",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, nil); err != nil {
				return err
			}
			dir := out
			if dir == "" {
				dir = filepath.Join(a.cfg.ModelsDir, embed.BuiltinName)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := synth.WriteBuiltin(dir); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "builtin model written to %s (lexical-grade; `jieda model pull bge-small-zh-v1.5` gets a real one)\n", dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "model directory (default <models_dir>/builtin)")
	return cmd
}

func (a *app) modelSynthCommand() *cobra.Command {
	var configPath, tokenizerPath, like, out, name, pooling, quantize, layout string
	var maxTokens, opset int
	var shareLayers bool
	var seed int64
	cmd := &cobra.Command{
		Use:   "synth --config CONFIG.json [--tokenizer tokenizer.json] --out DIR",
		Short: "Write a BERT encoder with the given shape and seeded random weights (for tests and benchmarks)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			opts := synth.Options{Name: name, Pooling: pooling, MaxTokens: maxTokens, TokenizerPath: tokenizerPath, Quantize: quantize,
				Layout: synth.Layout(layout), Opset: opset, ShareLayers: shareLayers}
			switch {
			case like != "" && configPath != "":
				return fmt.Errorf("--like and --config are exclusive")
			case like != "":
				dir, err := findShared(filepath.Join("models", like))
				if err != nil {
					return fmt.Errorf("--like %s: %w", like, err)
				}
				cfg, tok, err := synth.LikeConfig(dir)
				if err != nil {
					return err
				}
				opts.Config = cfg
				if opts.TokenizerPath == "" {
					opts.TokenizerPath = tok
				}
				if opts.Name == "" {
					opts.Name = like + "-synthetic"
				}
			case configPath != "":
				b, err := os.ReadFile(configPath)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(b, &opts.Config); err != nil {
					return fmt.Errorf("--config %s: %w", configPath, err)
				}
			default:
				return fmt.Errorf("one of --config or --like is required")
			}
			if cmd.Flags().Changed("seed") {
				opts.Config.Seed = seed
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			if err := synth.WriteDir(out, opts); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "synthetic model written to %s\n", out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&configPath, "config", "", "Hugging Face BERT config.json giving the shape")
	f.StringVar(&like, "like", "", "copy shape and tokenizer of a reference model in ../shared/models (e.g. bge-small-zh-v1.5)")
	f.StringVar(&tokenizerPath, "tokenizer", "", "tokenizer.json to use (default: generated CJK + ASCII vocabulary)")
	f.StringVar(&out, "out", "", "output model directory")
	f.StringVar(&name, "name", "", "model name in the manifest")
	f.StringVar(&pooling, "pooling", embed.PoolingCLS, "pooling: cls or mean")
	f.IntVar(&maxTokens, "max-tokens", 512, "max tokens")
	f.Int64Var(&seed, "seed", 1, "weight seed")
	f.StringVar(&quantize, "quantize", "", "weight quantization: int8 (ONNX Runtime dynamic int8) or empty for float32")
	f.StringVar(&layout, "layout", string(synth.LayoutORT), "graph layout: ort (the form ONNX Runtime fuses) or hf (what Hugging Face exports contain)")
	f.IntVar(&opset, "opset", 0, "ONNX opset (default 12 for --layout ort, 14 for --layout hf)")
	f.BoolVar(&shareLayers, "share-layers", false, "every layer uses the first layer's weights (--layout hf)")
	return cmd
}

// findShared locates rel under the workplace's shared folder: $JIEDA_SHARED,
// or ../shared beside the working directory or one of its parents.
func findShared(rel string) (string, error) {
	var roots []string
	if s := os.Getenv("JIEDA_SHARED"); s != "" {
		roots = append(roots, s)
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			roots = append(roots, filepath.Join(d, "shared"), filepath.Join(filepath.Dir(d), "shared"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, r := range roots {
		p := filepath.Join(r, rel)
		if fileExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found under ../shared (set JIEDA_SHARED)", rel)
}

func (a *app) modelQuantizeCommand() *cobra.Command {
	var out string
	var opts quant.Options
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "quantize DIR --out DIR2",
		Short: "Quantize a float32 model directory to int8 (dynamic quantization, in Go)",
		Long: `Quantize writes DIR2, a copy of the model directory DIR whose model.onnx computes every
matrix multiplication by a weight matrix in int8 (weights symmetric per output column,
activations quantized at run time; ONNX Runtime's dynamic quantization). Any exported
BERT-family encoder works. Check what it costs on your own labeled questions with
` + "`jieda eval --model DIR2`" + ` against ` + "`jieda eval --model DIR`" + `.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			rep, err := quant.QuantizeDir(args[0], out, opts)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			fmt.Fprintf(a.stdout, "%s: %d weight matrix multiplications in int8 (%d distinct matrices", out, rep.MatMuls, rep.Weights)
			if rep.Merged > 0 {
				fmt.Fprintf(a.stdout, "; projections of one input merged in %d place(s)", rep.Merged)
			}
			fmt.Fprintf(a.stdout, "), %d biases folded, %d left in float32; model.onnx %.1f MB -> %.1f MB\n",
				rep.Biases, rep.Float, float64(rep.BytesIn)/1e6, float64(rep.BytesOut)/1e6)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "output model directory")
	f.IntVar(&opts.MinWeights, "min-weights", quant.DefaultMinWeights, "smallest weight matrix (elements) to quantize")
	f.BoolVar(&opts.NoMerge, "no-merge", false, "keep projections of one input (Q, K, V) as separate products")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
