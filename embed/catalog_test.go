package embed

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/models"
)

func TestCatalogShipped(t *testing.T) {
	c, err := ParseCatalog(models.CatalogJSON)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"bge-small-zh-v1.5", "multilingual-e5-small", "bge-small-en-v1.5"}, c.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	def := c.Default()
	want := Manifest{
		Name: "bge-small-zh-v1.5", Dimension: 512, Pooling: PoolingCLS, Normalize: true, MaxTokens: 512,
		Output: "last_hidden_state", Source: "https://huggingface.co/BAAI/bge-small-zh-v1.5", License: "MIT", Grade: GradeSemantic,
	}
	if diff := cmp.Diff(want, def.Manifest); diff != "" {
		t.Errorf("default manifest (-want +got):\n%s", diff)
	}
	const rev = "https://huggingface.co/Xenova/bge-small-zh-v1.5/resolve/75c43b069aac4d136ba6bc1122f995fedcfd2781/"
	wantFiles := []CatalogFile{
		{Name: ModelFile, URL: rev + "onnx/model.onnx", Size: 94851877, SHA256: "69a0b846f4f116b5e6aabf9546ea6754d02264f3211a13a1bd69b31b8040749a"},
		{Name: TokenizerFile, URL: rev + "tokenizer.json", Size: 439125, SHA256: "48cea5d44424912a6fd1ea647bf4fe50b55ab8b1e5879c3275f80e339e8fae26"},
	}
	if diff := cmp.Diff(wantFiles, def.Files); diff != "" {
		t.Errorf("default files (-want +got):\n%s", diff)
	}
	int8, err := def.Variant("int8")
	if err != nil {
		t.Fatal(err)
	}
	wantInt8 := []CatalogFile{
		{Name: ModelFile, URL: rev + "onnx/model_quantized.onnx", Size: 24010842, SHA256: "15b717c382bcb518ba457b93ea6850ede7f4f1cd8937454aa06972366cd19bcc"},
		wantFiles[1],
	}
	if diff := cmp.Diff(wantInt8, int8.Files); diff != "" {
		t.Errorf("default int8 files (-want +got):\n%s", diff)
	}

	e5, err := c.Lookup("multilingual-e5-small")
	if err != nil {
		t.Fatal(err)
	}
	if e5.Pooling != PoolingMean || e5.Dimension != 384 || e5.QueryPrefix != "query: " || e5.PassagePrefix != "passage: " || e5.Default {
		t.Errorf("multilingual-e5-small: %+v", e5.Manifest)
	}
	en, err := c.Lookup("bge-small-en-v1.5")
	if err != nil {
		t.Fatal(err)
	}
	if en.Pooling != PoolingCLS || en.Dimension != 384 || en.QueryPrefix != "Represent this sentence for searching relevant passages: " || en.PassagePrefix != "" {
		t.Errorf("bge-small-en-v1.5: %+v", en.Manifest)
	}
	for _, m := range c.Models {
		if m.License != "MIT" || m.Output != "last_hidden_state" || m.MaxTokens != 512 || m.Description == "" {
			t.Errorf("%s: license %q output %q max %d description %q", m.Name, m.License, m.Output, m.MaxTokens, m.Description)
		}
		for _, f := range m.Files {
			if !strings.HasPrefix(f.URL, "https://huggingface.co/Xenova/"+m.Name+"/resolve/") {
				t.Errorf("%s: %s url %s", m.Name, f.Name, f.URL)
			}
		}
		// Every model's publisher ships int8 weights: the catalog offers
		// them, pinned by size and sha256.
		if diff := cmp.Diff([]string{BaseVariant, "int8"}, m.VariantNames()); diff != "" {
			t.Errorf("%s variants (-want +got):\n%s", m.Name, diff)
		}
		v, err := c.Lookup(m.Name + "-int8")
		if err != nil {
			t.Fatal(err)
		}
		mf := v.Files[slices.IndexFunc(v.Files, func(f CatalogFile) bool { return f.Name == ModelFile })]
		if !strings.HasSuffix(mf.URL, "/onnx/model_quantized.onnx") || mf.Size <= 0 || mf.SHA256 == "" {
			t.Errorf("%s int8 model.onnx: %+v", m.Name, mf)
		}
		if v.Name != m.Name+"-int8" || v.Default || v.Dimension != m.Dimension || v.Pooling != m.Pooling || !strings.Contains(v.Note, "int8") {
			t.Errorf("%s-int8: %+v", m.Name, v)
		}
	}
}

func TestCatalogVariant(t *testing.T) {
	c, err := ParseCatalog(catalogJSON(entry("a", true, withVariant), entry("b", false)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Lookup("a")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", BaseVariant} {
		got, err := a.Variant(name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("Variant(%q) is not the model itself (-want +got):\n%s", name, diff)
		}
	}
	want := CatalogModel{
		Manifest: Manifest{Name: "a-int8", Dimension: 8, Pooling: PoolingCLS, Normalize: true, MaxTokens: 16, Source: "synthetic",
			License: "MIT", Note: "int8 weights"},
		Description: "int8 weights",
		Files: []CatalogFile{
			{Name: ModelFile, URL: "https://example.com/m_quantized.onnx", Size: 5, SHA256: strings.Repeat("cd", 32)},
			{Name: TokenizerFile, URL: "https://example.com/t.json", Size: 10, SHA256: strings.Repeat("ab", 32)},
		},
	}
	got, err := a.Variant("int8")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Variant(int8) (-want +got):\n%s", diff)
	}
	if byName, err := c.Lookup("a-int8"); err != nil || !cmp.Equal(want, byName) {
		t.Errorf("Lookup(a-int8) = %+v, %v", byName, err)
	}
	_, err = a.Variant("int4")
	if !errors.Is(err, ErrUnknownVariant) || !strings.Contains(err.Error(), "fp32, int8") {
		t.Errorf("Variant(int4) = %v, want ErrUnknownVariant listing fp32, int8", err)
	}
	if _, err := c.Lookup("b-int8"); !errors.Is(err, ErrUnknownModel) {
		t.Errorf("Lookup(b-int8) = %v, want ErrUnknownModel", err)
	}
}

func TestCatalogWithMirror(t *testing.T) {
	m := CatalogModel{Files: []CatalogFile{
		{Name: ModelFile, URL: "https://huggingface.co/Xenova/x/resolve/abc/onnx/model.onnx", Size: 3, SHA256: strings.Repeat("ab", 32)},
		{Name: TokenizerFile, URL: "https://example.com/t.json"},
	}}
	got, err := m.WithMirror("https://hf-mirror.com/")
	if err != nil {
		t.Fatal(err)
	}
	want := []CatalogFile{
		{Name: ModelFile, URL: "https://hf-mirror.com/Xenova/x/resolve/abc/onnx/model.onnx", Size: 3, SHA256: strings.Repeat("ab", 32)},
		{Name: TokenizerFile, URL: "https://example.com/t.json"},
	}
	if diff := cmp.Diff(want, got.Files); diff != "" {
		t.Errorf("mirrored files (-want +got):\n%s", diff)
	}
	if m.Files[0].URL != "https://huggingface.co/Xenova/x/resolve/abc/onnx/model.onnx" {
		t.Error("WithMirror changed the original")
	}
	if _, err := m.WithMirror("hf-mirror.com"); err == nil {
		t.Error("WithMirror accepted a URL without scheme")
	}
}

func TestCatalogLookupUnknown(t *testing.T) {
	c, err := ParseCatalog(models.CatalogJSON)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Lookup("bge-large")
	if !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("Lookup(bge-large) error = %v, want ErrUnknownModel", err)
	}
	for _, name := range []string{"bge-large", "bge-small-zh-v1.5", "multilingual-e5-small", "bge-small-en-v1.5"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not mention %s", err, name)
		}
	}
}

// entry builds one catalog model's JSON; mutate edits the fields.
func entry(name string, def bool, mutate ...func(string) string) string {
	d := ""
	if def {
		d = `"default": true,`
	}
	s := `{"name": "` + name + `", "description": "d", ` + d + ` "dimension": 8, "pooling": "cls", "normalize": true, "max_tokens": 16,
	  "source": "synthetic", "license": "MIT",
	  "files": [{"name": "model.onnx", "url": "https://example.com/m.onnx"}, {"name": "tokenizer.json", "url": "https://example.com/t.json",
	    "size": 10, "sha256": "` + strings.Repeat("ab", 32) + `"}]}`
	for _, f := range mutate {
		s = f(s)
	}
	return s
}

// withVariant gives an entry an int8 variant that replaces model.onnx.
func withVariant(s string) string {
	return strings.Replace(s, `"files": [`, `"variants": [{"name": "int8", "description": "int8 weights", "files": [
	  {"name": "model.onnx", "url": "https://example.com/m_quantized.onnx", "size": 5, "sha256": "`+strings.Repeat("cd", 32)+`"}]}],
	  "files": [`, 1)
}

func catalogJSON(entries ...string) []byte {
	return []byte(`{"models": [` + strings.Join(entries, ",") + `]}`)
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func TestParseCatalogValid(t *testing.T) {
	c, err := ParseCatalog(catalogJSON(entry("a", false), entry("b", true)))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Default().Name; got != "b" {
		t.Errorf("Default().Name = %q, want b", got)
	}
	m, err := c.Lookup("a")
	if err != nil {
		t.Fatal(err)
	}
	want := CatalogModel{
		Manifest:    Manifest{Name: "a", Dimension: 8, Pooling: PoolingCLS, Normalize: true, MaxTokens: 16, Source: "synthetic", License: "MIT"},
		Description: "d",
		Files: []CatalogFile{
			{Name: ModelFile, URL: "https://example.com/m.onnx"},
			{Name: TokenizerFile, URL: "https://example.com/t.json", Size: 10, SHA256: strings.Repeat("ab", 32)},
		},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("Lookup(a) (-want +got):\n%s", diff)
	}
}

func TestParseCatalogInvalid(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string // in the error
	}{
		{"not json", []byte(`{"models": [`), "parsing model catalog"},
		{"unknown field", catalogJSON(entry("a", true, replace(`"description"`, `"descripton"`))), "unknown field"}, //nolint:misspell // on purpose
		{"empty", catalogJSON(), "no models"},
		{"duplicate name", catalogJSON(entry("a", true), entry("a", false)), `"a" listed twice`},
		{"no default", catalogJSON(entry("a", false), entry("b", false)), "0 models are marked default"},
		{"two defaults", catalogJSON(entry("a", true), entry("b", true)), "2 models are marked default"},
		{"bad manifest", catalogJSON(entry("a", true, replace(`"pooling": "cls"`, `"pooling": "max"`))), `pooling "max"`},
		{"no name", catalogJSON(entry("", true)), "name is empty"},
		{"name with path", catalogJSON(entry("../x", true)), "directory name"},
		{"missing tokenizer", catalogJSON(entry("a", true, replace(`"name": "tokenizer.json"`, `"name": "vocab.txt"`))), "files lack tokenizer.json"},
		{"missing model", catalogJSON(entry("a", true, replace(`"name": "model.onnx"`, `"name": "model.bin"`))), "files lack model.onnx"},
		{"file path", catalogJSON(entry("a", true, replace(`"name": "model.onnx", `, `"name": "../model.onnx", `))), "plain file name"},
		{"bad url", catalogJSON(entry("a", true, replace(`https://example.com/m.onnx`, `ftp://example.com/m.onnx`))), "absolute http(s) URL"},
		{"relative url", catalogJSON(entry("a", true, replace(`https://example.com/m.onnx`, `m.onnx`))), "absolute http(s) URL"},
		{"bad sha", catalogJSON(entry("a", true, replace(strings.Repeat("ab", 32), "abc"))), "64 lowercase hex"},
		{"upper sha", catalogJSON(entry("a", true, replace(strings.Repeat("ab", 32), strings.Repeat("AB", 32)))), "64 lowercase hex"},
		{"negative size", catalogJSON(entry("a", true, replace(`"size": 10`, `"size": -1`))), "negative"},
		{"variant twice", catalogJSON(entry("a", true, withVariant, replace(`"variants": [`, `"variants": [{"name": "int8", "description": "x",
		  "files": [{"name": "model.onnx", "url": "https://example.com/q.onnx"}]}, `))), `variant "int8" listed twice`},
		{"variant fp32", catalogJSON(entry("a", true, withVariant, replace(`"name": "int8"`, `"name": "fp32"`))), "other than \"fp32\""},
		{"variant path", catalogJSON(entry("a", true, withVariant, replace(`"name": "int8"`, `"name": "x/y"`))), "plain word"},
		{"variant no description", catalogJSON(entry("a", true, withVariant, replace(`"description": "int8 weights"`, `"description": ""`))), "description is empty"},
		{"variant no files", catalogJSON(entry("a", true, withVariant, replace(`{"name": "model.onnx", "url": "https://example.com/m_quantized.onnx", "size": 5, "sha256": "`+
			strings.Repeat("cd", 32)+`"}`, ``))), "no files"},
		{"variant new file", catalogJSON(entry("a", true, withVariant, replace(`"name": "model.onnx", "url": "https://example.com/m_quantized.onnx"`,
			`"name": "model_int8.onnx", "url": "https://example.com/m_quantized.onnx"`))), "replaces none of the model's files"},
		{"variant bad url", catalogJSON(entry("a", true, withVariant, replace(`https://example.com/m_quantized.onnx`, `m_quantized.onnx`))), "absolute http(s) URL"},
		{"variant shadows model", catalogJSON(entry("a", true, withVariant), entry("a-int8", false)), "name of another model"},
		{"manifest file", catalogJSON(entry("a", true, replace(`"name": "model.onnx", "url": "https://example.com/m.onnx"}`,
			`"name": "model.onnx", "url": "https://example.com/m.onnx"}, {"name": "manifest.json", "url": "https://example.com/x"}`))), "pull writes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCatalog(tt.data)
			if err == nil {
				t.Fatalf("ParseCatalog succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestCatalogDefaultZero(t *testing.T) {
	if got := (Catalog{}).Default(); got.Name != "" {
		t.Errorf("zero catalog Default() = %+v", got)
	}
}
