package openapitest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jieda/jieda/cmd/jieda/internal/httpapi"
)

// Response is what a test received: status, headers and raw body.
type Response struct {
	Status int
	Header http.Header
	Raw    string
}

// Doc parses the embedded OpenAPI document.
func Doc(t testing.TB) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(httpapi.OpenAPIDocument(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

// methods are the operation keys of an OpenAPI path item.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Ops lists the documented operations as "METHOD /path" → operation.
func Ops(t testing.TB, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json has no paths object")
	}
	ops := map[string]map[string]any{}
	for p, item := range paths {
		im, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("path %s is not an object", p)
		}
		for k, v := range im {
			if !slices.Contains(methods, k) {
				continue
			}
			o, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s %s is not an object", k, p)
			}
			ops[strings.ToUpper(k)+" "+p] = o
		}
	}
	return ops
}

// ResolveRef follows a {"$ref": "#/..."} object (once) within doc.
func ResolveRef(t testing.TB, doc, v map[string]any) map[string]any {
	t.Helper()
	ref, ok := v["$ref"].(string)
	if !ok {
		return v
	}
	target, err := JSONPointer(doc, ref)
	if err != nil {
		t.Fatalf("$ref %s: %v", ref, err)
	}
	m, ok := target.(map[string]any)
	if !ok {
		t.Fatalf("$ref %s is not an object", ref)
	}
	return m
}

// JSONPointer resolves a local reference "#/a/b" in doc.
func JSONPointer(doc any, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, errorString("not a local reference")
	}
	cur := doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[tok]
			if !ok {
				return nil, errorString("no " + strconv.Quote(tok))
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, errorString("bad index " + strconv.Quote(tok))
			}
			cur = c[i]
		default:
			return nil, errorString("cannot descend into " + strconv.Quote(tok))
		}
	}
	return cur, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// Validate checks v against the subset of JSON Schema the document
// uses ($ref, allOf, anyOf, type, properties, required,
// additionalProperties, items, enum, const) and returns what does not
// match. strict also rejects object fields the schema (with its allOf
// parts) does not declare, so the document lists every field the server
// sends.
func Validate(doc map[string]any, s map[string]any, v any, at string, strict bool) []string {
	var errs []string
	ref, isRef := s["$ref"].(string)
	if isRef {
		target, err := JSONPointer(doc, ref)
		if err != nil {
			return []string{at + ": " + ref + ": " + err.Error()}
		}
		errs = append(errs, Validate(doc, target.(map[string]any), v, at, strict)...)
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			errs = append(errs, Validate(doc, sub.(map[string]any), v, at, false)...)
		}
	}
	if alts, ok := s["anyOf"].([]any); ok {
		matched := false
		for _, alt := range alts {
			if len(Validate(doc, alt.(map[string]any), v, at, strict)) == 0 {
				matched = true
				break
			}
		}
		if !matched {
			errs = append(errs, at+": matches none of anyOf")
		}
	}
	if tv, ok := s["type"]; ok {
		var types []string
		switch x := tv.(type) {
		case string:
			types = []string{x}
		case []any:
			for _, e := range x {
				types = append(types, e.(string))
			}
		}
		if !slices.ContainsFunc(types, func(tp string) bool { return jsonTypeIs(v, tp) }) {
			return append(errs, at+": not of type "+strings.Join(types, "|"))
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		errs = append(errs, at+": not in the enum")
	}
	if c, ok := s["const"]; ok && c != v {
		errs = append(errs, at+": not the const")
	}
	if obj, ok := v.(map[string]any); ok {
		own, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := obj[r.(string)]; !ok {
					errs = append(errs, at+": lacks required "+r.(string))
				}
			}
		}
		declared := collectProps(doc, s)
		for k, fv := range obj {
			if ps, ok := own[k].(map[string]any); ok {
				errs = append(errs, Validate(doc, ps, fv, at+"."+k, true)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case map[string]any:
				errs = append(errs, Validate(doc, ap, fv, at+"."+k, true)...)
			case bool:
				if !ap && declared[k] == nil {
					errs = append(errs, at+": unexpected property "+k)
				}
			case nil:
				if strict && !isRef && len(declared) > 0 && declared[k] == nil {
					errs = append(errs, at+": undocumented property "+k)
				}
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range arr {
				errs = append(errs, Validate(doc, items, e, at+"["+strconv.Itoa(i)+"]", true)...)
			}
		}
	}
	return errs
}

// collectProps gathers the properties a schema (through $ref and allOf) declares.
func collectProps(doc map[string]any, s map[string]any) map[string]any {
	out := map[string]any{}
	if ref, ok := s["$ref"].(string); ok {
		if target, err := JSONPointer(doc, ref); err == nil {
			for k, p := range collectProps(doc, target.(map[string]any)) {
				out[k] = p
			}
		}
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			for k, p := range collectProps(doc, sub.(map[string]any)) {
				out[k] = p
			}
		}
	}
	if own, ok := s["properties"].(map[string]any); ok {
		for k, p := range own {
			out[k] = p
		}
	}
	return out
}

func jsonTypeIs(v any, tp string) bool {
	switch tp {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	}
	return false
}

// Conform checks that a response of METHOD path (a documented path
// template) has a documented status and a body matching the documented
// schema of that status and content type.
func Conform(t testing.TB, doc map[string]any, op string, r Response) {
	t.Helper()
	o := Ops(t, doc)[op]
	if o == nil {
		t.Errorf("%s is not documented", op)
		return
	}
	spec, ok := o["responses"].(map[string]any)[strconv.Itoa(r.Status)].(map[string]any)
	if !ok {
		t.Errorf("%s answered %d, which is not documented: %s", op, r.Status, r.Raw)
		return
	}
	spec = ResolveRef(t, doc, spec)
	content, _ := spec["content"].(map[string]any)
	if len(content) == 0 {
		if r.Raw != "" {
			t.Errorf("%s %d: documented without a body, got %s", op, r.Status, r.Raw)
		}
		return
	}
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	media, ok := content[ct].(map[string]any)
	if !ok {
		t.Errorf("%s %d: Content-Type %q is not documented", op, r.Status, ct)
		return
	}
	if ct != "application/json" {
		return
	}
	var v any
	if err := json.Unmarshal([]byte(r.Raw), &v); err != nil {
		t.Errorf("%s %d: body is not JSON: %v", op, r.Status, err)
		return
	}
	for _, e := range Validate(doc, media["schema"].(map[string]any), v, "$", true) {
		t.Errorf("%s %d: %s\n%s", op, r.Status, e, r.Raw)
	}
}
