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
	// Variants are other forms of the same model that its publisher ships,
	// such as int8 weights; see Variant.
	Variants []CatalogVariant `json:"variants,omitempty"`
}

// BaseVariant names a catalog model's own files (the publisher's float32
// export) in `jieda model list` and `jieda model pull --variant`.
const BaseVariant = "fp32"

// CatalogVariant is another form of a catalog model, pulled into a
// directory of its own, NAME-VARIANT.
type CatalogVariant struct {
	// Name is short and plain, e.g. "int8".
	Name string `json:"name"`
	// Description is one line for `jieda model list`, also written as the
	// manifest's note.
	Description string `json:"description"`
	// Files replace the model's files of the same names (typically
	// model.onnx); the model's other files (the tokenizer) are shared.
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
	for _, m := range c.Models {
		for _, v := range m.Variants {
			if full := m.Name + "-" + v.Name; seen[full] {
				errs = append(errs, fmt.Errorf("variant %s of %s has the name of another model", v.Name, m.Name))
			}
		}
	}
	return errors.Join(errs...)
}

func (m CatalogModel) validate() error {
	var errs []error
	if err := m.Validate(); err != nil {
		errs = append(errs, err)
	}
	if m.Name != "" && !plainName(m.Name) {
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
	variants := map[string]bool{}
	for _, v := range m.Variants {
		if err := v.validate(names); err != nil {
			errs = append(errs, fmt.Errorf("variant %q: %w", v.Name, err))
		}
		if variants[v.Name] {
			errs = append(errs, fmt.Errorf("variant %q listed twice", v.Name))
		}
		variants[v.Name] = true
	}
	return errors.Join(errs...)
}

func (v CatalogVariant) validate(modelFiles map[string]bool) error {
	var errs []error
	if !plainName(v.Name) || v.Name == BaseVariant || strings.ContainsAny(v.Name, " \t") {
		errs = append(errs, fmt.Errorf("name must be a plain word other than %q", BaseVariant))
	}
	if v.Description == "" {
		errs = append(errs, errors.New("description is empty"))
	}
	if len(v.Files) == 0 {
		errs = append(errs, errors.New("no files"))
	}
	seen := map[string]bool{}
	for _, f := range v.Files {
		if err := f.validate(); err != nil {
			errs = append(errs, fmt.Errorf("file %q: %w", f.Name, err))
		}
		if !modelFiles[f.Name] {
			errs = append(errs, fmt.Errorf("file %q replaces none of the model's files", f.Name))
		}
		if seen[f.Name] {
			errs = append(errs, fmt.Errorf("file %q listed twice", f.Name))
		}
		seen[f.Name] = true
	}
	return errors.Join(errs...)
}

// plainName reports whether s can be a directory or file name as it is.
func plainName(s string) bool {
	return s != "" && s == filepath.Base(s) && !strings.ContainsAny(s, `/\`) && s != "." && s != ".."
}

func (f CatalogFile) validate() error {
	var errs []error
	if !plainName(f.Name) {
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

// Lookup finds a model by name, or a variant by the name of its
// directory, NAME-VARIANT (see CatalogModel.Variant). An unknown name gives
// an error wrapping ErrUnknownModel that lists the known names.
func (c Catalog) Lookup(name string) (CatalogModel, error) {
	if i := slices.IndexFunc(c.Models, func(m CatalogModel) bool { return m.Name == name }); i >= 0 {
		return c.Models[i], nil
	}
	for _, m := range c.Models {
		if v, ok := strings.CutPrefix(name, m.Name+"-"); ok && slices.ContainsFunc(m.Variants, func(cv CatalogVariant) bool { return cv.Name == v }) {
			return m.Variant(v)
		}
	}
	return CatalogModel{}, fmt.Errorf("%w %q (the catalog has: %s)", ErrUnknownModel, name, strings.Join(c.Names(), ", "))
}

// VariantNames lists the model's variants, BaseVariant first.
func (m CatalogModel) VariantNames() []string {
	names := []string{BaseVariant}
	for _, v := range m.Variants {
		names = append(names, v.Name)
	}
	return names
}

// Variant returns the catalog model to pull for one of m's variants: ""
// or BaseVariant is m itself; another is named NAME-VARIANT (its directory
// name too), has the variant's files in place of m's files of the same
// names, the variant's description as its description and manifest note,
// and is never the default. An unknown variant gives an error wrapping
// ErrUnknownVariant that lists m's variants.
func (m CatalogModel) Variant(name string) (CatalogModel, error) {
	if name == "" || name == BaseVariant {
		return m, nil
	}
	i := slices.IndexFunc(m.Variants, func(v CatalogVariant) bool { return v.Name == name })
	if i < 0 {
		return CatalogModel{}, fmt.Errorf("%w %q of %s (it has: %s)", ErrUnknownVariant, name, m.Name, strings.Join(m.VariantNames(), ", "))
	}
	v := m.Variants[i]
	out := m
	out.Name = m.Name + "-" + v.Name
	out.Note = v.Description
	out.Description = v.Description
	out.Default = false
	out.Variants = nil
	out.Files = slices.Clone(m.Files)
	for _, f := range v.Files {
		if j := slices.IndexFunc(out.Files, func(mf CatalogFile) bool { return mf.Name == f.Name }); j >= 0 {
			out.Files[j] = f
		}
	}
	return out, nil
}

// WithMirror returns m with the files that come from huggingface.co
// fetched from mirror instead (e.g. https://hf-mirror.com, which serves
// the same paths); sizes and checksums stay as they are.
func (m CatalogModel) WithMirror(mirror string) (CatalogModel, error) {
	u, err := url.Parse(mirror)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return m, fmt.Errorf("mirror %q must be an absolute http(s) URL", mirror)
	}
	base := strings.TrimSuffix(mirror, "/")
	out := m
	out.Files = slices.Clone(m.Files)
	for i, f := range out.Files {
		if rest, ok := strings.CutPrefix(f.URL, huggingFace); ok {
			out.Files[i].URL = base + rest
		}
	}
	return out, nil
}

// huggingFace is the origin the catalog's files come from.
const huggingFace = "https://huggingface.co"

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
