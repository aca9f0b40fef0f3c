package embed

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// Catalog lists the models `jieda model pull` can download. Its source is
// models/catalog.json, embedded in the binary as models.CatalogJSON.
type Catalog struct {
	Models []CatalogModel `json:"models"`
}

// CatalogModel is one downloadable model: the manifest written into its
// directory after a pull, plus what to download.
type CatalogModel struct {
	// Manifest holds the model's name, shape, pooling, prefixes, source and
	// license; Pull writes it as manifest.json. Its fields sit at the top
	// level of the catalog entry.
	Manifest
	// Description is one line for `jieda model list`.
	Description string `json:"description"`
	// Default marks the model jieda runs when none is configured; exactly
	// one catalog model has it.
	Default bool `json:"default,omitempty"`
	// Files are downloaded into the model directory; they include
	// model.onnx and tokenizer.json.
	Files []CatalogFile `json:"files"`
}

// CatalogFile is one file of a catalog model.
type CatalogFile struct {
	// Name is the file name inside the model directory (no path).
	Name string `json:"name"`
	// URL is where the file is downloaded from (http or https).
	URL string `json:"url"`
	// Size in bytes; 0 when unknown.
	Size int64 `json:"size,omitempty"`
	// SHA256 is the lowercase hex digest; empty when unknown, in which case
	// the first pull records what it saw and later pulls verify against it.
	SHA256 string `json:"sha256,omitempty"`
}

// ParseCatalog decodes and validates a catalog: unique model names, exactly
// one default, valid manifests, and files that include model.onnx and
// tokenizer.json with plain names, absolute http(s) URLs and well-formed
// checksums. Unknown fields are an error, so a misspelt key is caught.
func ParseCatalog(data []byte) (Catalog, error) {
	var c Catalog
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Catalog{}, fmt.Errorf("parsing model catalog: %w", err)
	}
	if err := c.validate(); err != nil {
		return Catalog{}, fmt.Errorf("invalid model catalog: %w", err)
	}
	return c, nil
}

func (c Catalog) validate() error {
	if len(c.Models) == 0 {
		return errors.New("no models")
	}
	var errs []error
	seen := map[string]bool{}
	defaults := 0
	for i, m := range c.Models {
		if m.Default {
			defaults++
		}
		if m.Name != "" && seen[m.Name] {
			errs = append(errs, fmt.Errorf("model %q listed twice", m.Name))
		}
		seen[m.Name] = true
		if err := m.validate(); err != nil {
			errs = append(errs, fmt.Errorf("model %d (%q): %w", i, m.Name, err))
		}
	}
	if defaults != 1 {
		errs = append(errs, fmt.Errorf("%d models are marked default, want exactly 1", defaults))
	}
	return errors.Join(errs...)
}

func (m CatalogModel) validate() error {
	var errs []error
	if err := m.Validate(); err != nil {
		errs = append(errs, err)
	}
	if m.Name != "" && m.Name != filepath.Base(m.Name) || strings.ContainsAny(m.Name, `/\`) || m.Name == "." || m.Name == ".." {
		errs = append(errs, fmt.Errorf("name %q must be usable as a directory name", m.Name))
	}
	names := map[string]bool{}
	for _, f := range m.Files {
		if err := f.validate(); err != nil {
			errs = append(errs, fmt.Errorf("file %q: %w", f.Name, err))
		}
		if names[f.Name] {
			errs = append(errs, fmt.Errorf("file %q listed twice", f.Name))
		}
		names[f.Name] = true
	}
	for _, need := range []string{ModelFile, TokenizerFile} {
		if !names[need] {
			errs = append(errs, fmt.Errorf("files lack %s", need))
		}
	}
	if names[ManifestFile] || names[ChecksumsFile] {
		errs = append(errs, fmt.Errorf("files must not include %s or %s, which pull writes", ManifestFile, ChecksumsFile))
	}
	return errors.Join(errs...)
}

func (f CatalogFile) validate() error {
	var errs []error
	if f.Name == "" || f.Name != filepath.Base(f.Name) || strings.ContainsAny(f.Name, `/\`) || f.Name == "." || f.Name == ".." {
		errs = append(errs, errors.New("name must be a plain file name"))
	}
	if u, err := url.Parse(f.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url %q must be an absolute http(s) URL", f.URL))
	}
	if f.Size < 0 {
		errs = append(errs, fmt.Errorf("size %d must not be negative", f.Size))
	}
	if f.SHA256 != "" {
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != 32 || f.SHA256 != strings.ToLower(f.SHA256) {
			errs = append(errs, fmt.Errorf("sha256 %q must be 64 lowercase hex digits", f.SHA256))
		}
	}
	return errors.Join(errs...)
}

// Names lists the catalog's model names in catalog order.
func (c Catalog) Names() []string {
	names := make([]string, len(c.Models))
	for i, m := range c.Models {
		names[i] = m.Name
	}
	return names
}

// Lookup finds a model by name. An unknown name gives an error wrapping
// ErrUnknownModel that lists the known names.
func (c Catalog) Lookup(name string) (CatalogModel, error) {
	i := slices.IndexFunc(c.Models, func(m CatalogModel) bool { return m.Name == name })
	if i < 0 {
		return CatalogModel{}, fmt.Errorf("%w %q (the catalog has: %s)", ErrUnknownModel, name, strings.Join(c.Names(), ", "))
	}
	return c.Models[i], nil
}

// Default is the model marked default; the zero CatalogModel for a catalog
// that did not come from ParseCatalog and has none.
func (c Catalog) Default() CatalogModel {
	for _, m := range c.Models {
		if m.Default {
			return m
		}
	}
	return CatalogModel{}
}
