package embed

import (
	"errors"
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
	wantFiles := []CatalogFile{
		{Name: ModelFile, URL: "https://huggingface.co/Xenova/bge-small-zh-v1.5/resolve/main/onnx/model.onnx"},
		{Name: TokenizerFile, URL: "https://huggingface.co/Xenova/bge-small-zh-v1.5/resolve/main/tokenizer.json"},
	}
	if diff := cmp.Diff(wantFiles, def.Files); diff != "" {
		t.Errorf("default files (-want +got):\n%s", diff)
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
			if !strings.HasPrefix(f.URL, "https://huggingface.co/Xenova/"+m.Name+"/resolve/main/") {
				t.Errorf("%s: %s url %s", m.Name, f.Name, f.URL)
			}
		}
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
