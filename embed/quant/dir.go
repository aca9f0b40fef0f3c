package quant

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/jieda/jieda/embed"
)

// Suffix is appended to the name of a model quantized by QuantizeDir.
const Suffix = "-int8"

// QuantizeDir quantizes the model directory src into dst: dst/model.onnx
// is Quantize's rewrite of src/model.onnx, every other file of src (the
// tokenizer, configs) is copied except the checksums a pull recorded, and
// the manifest is src's with the name suffixed "-int8" and a note saying
// what was done. dst must not be src; files in dst are replaced
// atomically.
func QuantizeDir(src, dst string, opts Options) (Report, error) {
	var rep Report
	man, err := embed.CheckModelDir(src)
	if err != nil {
		return rep, err
	}
	if same, err := sameDir(src, dst); err != nil {
		return rep, err
	} else if same {
		return rep, fmt.Errorf("quantizing %s: the output directory must differ from the input", src)
	}
	in, err := os.ReadFile(filepath.Join(src, embed.ModelFile))
	if err != nil {
		return rep, fmt.Errorf("reading model: %w", err)
	}
	out, rep, err := Quantize(in, opts)
	if err != nil {
		return rep, fmt.Errorf("quantizing %s: %w", filepath.Join(src, embed.ModelFile), err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return rep, fmt.Errorf("creating %s: %w", dst, err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return rep, err
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case !e.Type().IsRegular(), name == embed.ModelFile, name == embed.ManifestFile, name == embed.ChecksumsFile,
			strings.HasSuffix(name, ".partial"), strings.Contains(name, ".tmp"):
			continue
		}
		if err := copyFile(filepath.Join(src, name), filepath.Join(dst, name)); err != nil {
			return rep, err
		}
	}
	if err := embed.WriteFileAtomic(filepath.Join(dst, embed.ModelFile), out); err != nil {
		return rep, fmt.Errorf("writing %s: %w", embed.ModelFile, err)
	}
	man.Name = strings.TrimSuffix(man.Name, Suffix) + Suffix
	note := fmt.Sprintf("int8 dynamic quantization (jieda model quantize) of %s: %d weight matrix multiplications in int8", src, rep.MatMuls)
	if man.Note != "" {
		note = man.Note + "; " + note
	}
	man.Note = note
	if err := embed.WriteManifest(dst, man); err != nil {
		return rep, err
	}
	return rep, nil
}

func sameDir(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// copyFile copies src to dst through a temporary file renamed into place.
func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, in.Close()) }()
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, in); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if err = tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
