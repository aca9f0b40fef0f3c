package embed

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File names inside a model directory.
const (
	ModelFile     = "model.onnx"
	TokenizerFile = "tokenizer.json"
	ManifestFile  = "manifest.json"
)

// Pooling strategies for turning token states into one sentence vector.
const (
	PoolingCLS  = "cls"
	PoolingMean = "mean"
)

// Manifest describes a model directory: how to run the model and what it is.
type Manifest struct {
	// Name is the catalog name, e.g. "bge-small-zh-v1.5".
	Name string `json:"name"`
	// Dimension is the length of the output sentence vector.
	Dimension int `json:"dimension"`
	// Pooling is "cls" (first token) or "mean" (mask-weighted mean).
	Pooling string `json:"pooling"`
	// Normalize L2-normalizes output vectors (jieda always does; kept for fidelity).
	Normalize bool `json:"normalize"`
	// MaxTokens is the truncation length including special tokens.
	MaxTokens int `json:"max_tokens"`
	// QueryPrefix and PassagePrefix are prepended to texts per role
	// (e.g. "query: " / "passage: " for e5 models).
	QueryPrefix   string `json:"query_prefix,omitempty"`
	PassagePrefix string `json:"passage_prefix,omitempty"`
	// Output is the ONNX output holding token states [batch, seq, hidden];
	// empty means the model's first output.
	Output string `json:"output,omitempty"`
	// Source says where the weights came from (a URL or "synthetic").
	Source string `json:"source"`
	// License of the weights.
	License string `json:"license"`
	// Grade is "semantic" for trained models and "lexical" for the builtin
	// offline model, whose vectors only reflect shared characters and words.
	Grade string `json:"grade,omitempty"`
	// Note is a free-form human note (e.g. how to get a real model).
	Note string `json:"note,omitempty"`
}

// Model grades.
const (
	GradeSemantic = "semantic"
	GradeLexical  = "lexical"
)

// Validate checks the manifest's fields.
func (m Manifest) Validate() error {
	var errs []error
	if m.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if m.Dimension <= 0 {
		errs = append(errs, fmt.Errorf("dimension %d must be positive", m.Dimension))
	}
	if m.Pooling != PoolingCLS && m.Pooling != PoolingMean {
		errs = append(errs, fmt.Errorf("pooling %q must be %q or %q", m.Pooling, PoolingCLS, PoolingMean))
	}
	if m.MaxTokens < 4 || m.MaxTokens > 8192 {
		errs = append(errs, fmt.Errorf("max_tokens %d must be in [4, 8192]", m.MaxTokens))
	}
	if m.Grade != "" && m.Grade != GradeSemantic && m.Grade != GradeLexical {
		errs = append(errs, fmt.Errorf("grade %q must be %q or %q", m.Grade, GradeSemantic, GradeLexical))
	}
	return errors.Join(errs...)
}

// ReadManifest reads and validates dir/manifest.json.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return m, fmt.Errorf("%w: %w", ErrBadModelDir, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%w: %s: %w", ErrBadModelDir, path, err)
	}
	if err := m.Validate(); err != nil {
		return m, fmt.Errorf("%w: %s: %w", ErrBadModelDir, path, err)
	}
	return m, nil
}

// WriteManifest writes m to dir/manifest.json atomically.
func WriteManifest(dir string, m Manifest) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("writing manifest: %w", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, ManifestFile), append(b, '\n'))
}

// CheckModelDir reports whether dir holds a usable model directory: a valid
// manifest, model.onnx and tokenizer.json.
func CheckModelDir(dir string) (Manifest, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return m, err
	}
	for _, f := range []string{ModelFile, TokenizerFile} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			return m, fmt.Errorf("%w: %s: missing %s", ErrBadModelDir, dir, f)
		}
	}
	return m, nil
}

// WriteFileAtomic writes data to a temp file beside path, fsyncs it and renames it into place.
func WriteFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
