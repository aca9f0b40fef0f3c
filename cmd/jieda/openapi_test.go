package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/curate/intake"
)

// openAPIDoc parses the embedded OpenAPI document.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIOps lists the documented operations as "METHOD /path" → operation.
func openAPIOps(t *testing.T, doc map[string]any) map[string]map[string]any {
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
			if !slices.Contains(openAPIMethods, k) {
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

var fiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// registeredRoutes lists newServer's routes as "METHOD /path" with
// {param} path templates, leaving out HEAD and middleware (Use, Group).
func registeredRoutes(t *testing.T) map[string]bool {
	t.Helper()
	app := newServer(DefaultConfig().Server, &components{}, slog.New(slog.DiscardHandler))
	out := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if r.Method == "HEAD" {
			continue
		}
		if strings.ContainsAny(r.Path, "*?+") {
			t.Errorf("route %s %s has a wildcard or optional parameter the OpenAPI check cannot map", r.Method, r.Path)
		}
		out[r.Method+" "+fiberParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	return out
}

func TestOpenAPIDocument(t *testing.T) {
	doc := openAPIDoc(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Errorf("info lacks title or version: %v", info)
	}
	comps, _ := doc["components"].(map[string]any)
	schemes, _ := comps["securitySchemes"].(map[string]any)
	bearer, _ := schemes["bearerAuth"].(map[string]any)
	if bearer["type"] != "http" || bearer["scheme"] != "bearer" {
		t.Errorf("components.securitySchemes.bearerAuth = %v, want an http bearer scheme", bearer)
	}
	for _, name := range []string{"Error", "AskRequest", "AskResponse", "Handoff", "Article", "Settings"} {
		if _, ok := comps["schemas"].(map[string]any)[name]; !ok {
			t.Errorf("components.schemas lacks %s", name)
		}
	}
	roles := []string{"public", "customer", "agent", "editor", "admin"}
	for key, op := range openAPIOps(t, doc) {
		role, _ := op["x-jieda-role"].(string)
		if !slices.Contains(roles, role) {
			t.Errorf("%s: x-jieda-role %q, want one of %v", key, role, roles)
		}
		if id, _ := op["operationId"].(string); id == "" {
			t.Errorf("%s: no operationId", key)
		}
		sec, hasSec := op["security"].([]any)
		public := hasSec && len(sec) == 0
		if public != (role == "public") {
			t.Errorf("%s: x-jieda-role %s but security %v", key, role, op["security"])
		}
		resps, _ := op["responses"].(map[string]any)
		if len(resps) == 0 {
			t.Errorf("%s: no responses", key)
		}
		if role != "public" {
			for _, code := range []string{"401", "503"} {
				if _, ok := resps[code]; !ok {
					t.Errorf("%s: an authenticated route must document %s", key, code)
				}
			}
			if _, ok := resps["403"]; !ok && role != "customer" {
				t.Errorf("%s: a route for %s keys must document 403", key, role)
			}
			if desc, _ := op["description"].(string); !strings.Contains(desc, "Required role: "+role) {
				t.Errorf("%s: the description does not name the required role %s", key, role)
			}
		}
		// Every {param} of the path is declared as a required path parameter.
		path := key[strings.Index(key, " ")+1:]
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
			found := false
			for _, p := range op["parameters"].([]any) {
				pm := resolveRef(t, doc, p.(map[string]any))
				if pm["in"] == "path" && pm["name"] == m[1] && pm["required"] == true {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: path parameter %s is not declared (required, in: path)", key, m[1])
			}
		}
	}
}

// TestOpenAPIAskExamples checks /v1/ask has Chinese and English examples
// that the server's own types decode.
func TestOpenAPIAskExamples(t *testing.T) {
	doc := openAPIDoc(t)
	op := openAPIOps(t, doc)["POST /v1/ask"]
	if op == nil {
		t.Fatal("POST /v1/ask is not documented")
	}
	media := op["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)
	examples, _ := media["examples"].(map[string]any)
	var zh, en bool
	for name, ex := range examples {
		v := ex.(map[string]any)["value"]
		raw, _ := json.Marshal(v)
		var req answer.AskRequest
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			t.Errorf("example %s does not decode as an AskRequest: %v", name, err)
		}
		if req.KB == "" || req.Question == "" {
			t.Errorf("example %s lacks kb or question", name)
		}
		if strings.ContainsFunc(req.Question, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			zh = true
		} else {
			en = true
		}
	}
	if !zh || !en {
		t.Errorf("POST /v1/ask examples: Chinese %v, English %v; want both", zh, en)
	}
	resps := op["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)
	rex, _ := resps["examples"].(map[string]any)
	decisions := map[string]bool{}
	for name, ex := range rex {
		raw, _ := json.Marshal(ex.(map[string]any)["value"])
		var r answer.AskResponse
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Errorf("response example %s does not decode as an AskResponse: %v", name, err)
		}
		decisions[string(r.Decision)] = true
	}
	for _, d := range []string{"answer", "clarify", "handoff"} {
		if !decisions[d] {
			t.Errorf("no /v1/ask response example with decision %s", d)
		}
	}
}

// resolveRef follows a {"$ref": "#/..."} object (once) within doc.
func resolveRef(t *testing.T, doc, v map[string]any) map[string]any {
	t.Helper()
	ref, ok := v["$ref"].(string)
	if !ok {
		return v
	}
	target, err := jsonPointer(doc, ref)
	if err != nil {
		t.Fatalf("$ref %s: %v", ref, err)
	}
	m, ok := target.(map[string]any)
	if !ok {
		t.Fatalf("$ref %s is not an object", ref)
	}
	return m
}

// jsonPointer resolves a local reference "#/a/b" in doc.
func jsonPointer(doc any, ref string) (any, error) {
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

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := openAPIDoc(t)
	n := 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				n++
				if _, err := jsonPointer(doc, ref); err != nil {
					t.Errorf("%s: $ref %s does not resolve: %v", path, ref, err)
				}
			}
			for k, c := range x {
				walk(path+"/"+k, c)
			}
		case []any:
			for i, c := range x {
				walk(path+"/"+strconv.Itoa(i), c)
			}
		}
	}
	walk("#", doc)
	if n == 0 {
		t.Error("no $ref at all: the schemas are expected under components")
	}
}

// TestOpenAPIRoutes checks that the document and newServer's routes agree.
func TestOpenAPIRoutes(t *testing.T) {
	doc := openAPIDoc(t)
	ops := openAPIOps(t, doc)
	routes := registeredRoutes(t)
	var missing, extra []string
	for r := range routes {
		if strings.HasPrefix(r[strings.Index(r, " ")+1:], "/v1/") {
			if _, ok := ops[r]; !ok {
				missing = append(missing, r)
			}
		}
	}
	for o := range ops {
		if !routes[o] {
			extra = append(extra, o)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, r := range missing {
		t.Errorf("route %s is registered but not in openapi.json", r)
	}
	for _, o := range extra {
		t.Errorf("openapi.json documents %s, which newServer does not register", o)
	}
	for _, r := range []string{"GET /healthz", "GET /readyz", "GET /metrics", "GET /v1/openapi.json"} {
		if !routes[r] || ops[r] == nil {
			t.Errorf("%s: registered %v, documented %v", r, routes[r], ops[r] != nil)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	app := newServer(DefaultConfig().Server, &components{}, slog.New(slog.DiscardHandler))
	resp, err := app.Test(httptest.NewRequest("GET", "/v1/openapi.json", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v1/openapi.json: status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("served document is not JSON: %v", err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("served openapi = %v", doc["openapi"])
	}
}

// TestOpenAPIRoles checks each operation's x-jieda-role against the
// server: no key is 401, a key one role lower is 403, a key of the role
// is neither (the answer engine is not loaded, so many routes are 503).
func TestOpenAPIRoles(t *testing.T) {
	doc := openAPIDoc(t)
	srv := startServer(t, nil)
	keys := map[string]string{}
	for _, r := range []role{roleCustomer, roleAgent, roleEditor, roleAdmin} {
		keys[r.String()], _ = srv.newKey(t, r)
	}
	lower := map[string]string{"agent": "customer", "editor": "agent", "admin": "editor"}
	ops := openAPIOps(t, doc)
	names := make([]string, 0, len(ops))
	for k := range ops {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		role, _ := ops[name]["x-jieda-role"].(string)
		method, path, _ := strings.Cut(name, " ")
		path = strings.NewReplacer("{id}", "x1", "{kb}", "shop", "{source}", "desk", "{name}", "desk").Replace(path)
		if strings.Contains(path, "{") {
			t.Errorf("%s: no test value for a path parameter", name)
			continue
		}
		anon := srv.do(t, method, path, "", nil)
		if role == "public" {
			if anon.status == 401 || anon.status == 403 {
				t.Errorf("%s is public but answers %d without a key", name, anon.status)
			}
			continue
		}
		wantError(t, name+" without a key", anon, 401, codeUnauthorized)
		if lo, ok := lower[role]; ok {
			wantError(t, name+" with a lower-role "+lo+" key", srv.do(t, method, path, keys[lo], nil), 403, codeForbidden)
		}
		if got := srv.do(t, method, path, keys[role], nil); got.status == 401 || got.status == 403 {
			t.Errorf("%s with a key of role %s: status %d, want the role admitted: %s", name, role, got.status, got.raw)
		}
	}
}

// TestOpenAPIResponsesMatch checks bodies the server sends without an
// answer engine against the documented schemas.
func TestOpenAPIResponsesMatch(t *testing.T) {
	doc := openAPIDoc(t)
	srv := startServer(t, nil)
	admin, _ := srv.newKey(t, roleAdmin)
	agent, _ := srv.newKey(t, roleAgent, "shop")
	check := func(what string, r response, schema string) {
		t.Helper()
		if r.body == nil {
			t.Errorf("%s: no JSON body (status %d): %s", what, r.status, r.raw)
			return
		}
		var v any
		if err := json.Unmarshal([]byte(r.raw), &v); err != nil {
			t.Fatal(err)
		}
		for _, e := range validateSchema(doc, map[string]any{"$ref": "#/components/schemas/" + schema}, v, "$", true) {
			t.Errorf("%s: %s", what, e)
		}
	}
	check("whoami", srv.do(t, "GET", "/v1/whoami", agent, nil), "WhoAmI")
	created := srv.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "editor", "kbs": []string{"shop"}, "name": "e"})
	if created.status != 201 {
		t.Fatalf("POST /v1/admin/keys: %d %s", created.status, created.raw)
	}
	check("POST /v1/admin/keys", created, "CreatedAPIKey")
	id, _ := created.body["key_id"].(string)
	check("DELETE /v1/admin/keys/{id}", srv.do(t, "DELETE", "/v1/admin/keys/"+id, admin, nil), "APIKey")
	check("GET /v1/admin/keys", srv.do(t, "GET", "/v1/admin/keys", admin, nil), "KeyList")
	check("GET /healthz", srv.do(t, "GET", "/healthz", "", nil), "Health")
	check("GET /readyz", srv.do(t, "GET", "/readyz", "", nil), "Readiness")
	check("error", srv.do(t, "GET", "/v1/search", agent, nil), "Error")
	check("error", srv.do(t, "GET", "/v1/whoami?kb=other", agent, nil), "Error")
}

// validateSchema checks v against the subset of JSON Schema the document
// uses ($ref, allOf, anyOf, type, properties, required,
// additionalProperties, items, enum, const) and returns what does not
// match. strict also rejects object fields the schema (with its allOf
// parts) does not declare, so the document lists every field the server
// sends.
func validateSchema(doc map[string]any, s map[string]any, v any, at string, strict bool) []string {
	var errs []string
	ref, isRef := s["$ref"].(string)
	if isRef {
		target, err := jsonPointer(doc, ref)
		if err != nil {
			return []string{at + ": " + ref + ": " + err.Error()}
		}
		errs = append(errs, validateSchema(doc, target.(map[string]any), v, at, strict)...)
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			errs = append(errs, validateSchema(doc, sub.(map[string]any), v, at, false)...)
		}
	}
	if alts, ok := s["anyOf"].([]any); ok {
		matched := false
		for _, alt := range alts {
			if len(validateSchema(doc, alt.(map[string]any), v, at, strict)) == 0 {
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
				errs = append(errs, validateSchema(doc, ps, fv, at+"."+k, true)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case map[string]any:
				errs = append(errs, validateSchema(doc, ap, fv, at+"."+k, true)...)
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
				errs = append(errs, validateSchema(doc, items, e, at+"["+strconv.Itoa(i)+"]", true)...)
			}
		}
	}
	return errs
}

// collectProps gathers the properties a schema (through $ref and allOf) declares.
func collectProps(doc map[string]any, s map[string]any) map[string]any {
	out := map[string]any{}
	if ref, ok := s["$ref"].(string); ok {
		if target, err := jsonPointer(doc, ref); err == nil {
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

// conform checks that a response of METHOD path (a documented path
// template) has a documented status and a body matching the documented
// schema of that status and content type.
func conform(t *testing.T, doc map[string]any, op string, r response) {
	t.Helper()
	o := openAPIOps(t, doc)[op]
	if o == nil {
		t.Errorf("%s is not documented", op)
		return
	}
	spec, ok := o["responses"].(map[string]any)[strconv.Itoa(r.status)].(map[string]any)
	if !ok {
		t.Errorf("%s answered %d, which is not documented: %s", op, r.status, r.raw)
		return
	}
	spec = resolveRef(t, doc, spec)
	content, _ := spec["content"].(map[string]any)
	if len(content) == 0 {
		if r.raw != "" {
			t.Errorf("%s %d: documented without a body, got %s", op, r.status, r.raw)
		}
		return
	}
	ct, _, _ := strings.Cut(r.header.Get("Content-Type"), ";")
	media, ok := content[ct].(map[string]any)
	if !ok {
		t.Errorf("%s %d: Content-Type %q is not documented", op, r.status, ct)
		return
	}
	if ct != "application/json" {
		return
	}
	var v any
	if err := json.Unmarshal([]byte(r.raw), &v); err != nil {
		t.Errorf("%s %d: body is not JSON: %v", op, r.status, err)
		return
	}
	for _, e := range validateSchema(doc, media["schema"].(map[string]any), v, "$", true) {
		t.Errorf("%s %d: %s\n%s", op, r.status, e, r.raw)
	}
}

// sendRaw sends body with a content type (import bodies are not JSON).
func sendRaw(t *testing.T, s *testServer, method, path, key, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
}

// sendWith sends body (when not empty) as JSON with extra headers and an
// optional bearer key.
func sendWith(t *testing.T, s *testServer, method, path, key string, headers map[string]string, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, raw)
		}
	}
	return out
}

// TestOpenAPIConformance drives every answering route against a server
// with the answer engine and checks each response against the document.
func TestOpenAPIConformance(t *testing.T) {
	doc := openAPIDoc(t)
	s, _ := startAnswerServer(t, nil)
	editor, _ := s.newKey(t, roleEditor)
	agent, _ := s.newKey(t, roleAgent)
	scoped, _ := s.newKey(t, roleAgent, "other")
	customer, _ := s.newKey(t, roleCustomer)
	admin, _ := s.newKey(t, roleAdmin)
	scopedEditor, _ := s.newKey(t, roleEditor, "other")
	seen := map[string]bool{}
	check := func(op string, r response, want int) response {
		t.Helper()
		seen[op] = true
		if r.status != want {
			t.Errorf("%s: status %d, want %d: %s", op, r.status, want, r.raw)
		}
		conform(t, doc, op, r)
		return r
	}
	const jsonl = `{"id":"ship-fee","question":"运费怎么算","variants":["邮费多少钱","包邮吗"],"answer":"订单满99元包邮，不满收取8元运费。","category":"shipping","locale":"zh-CN"}
{"id":"ship-fee-hk","question":"寄到香港运费怎么算","variants":["香港邮费多少钱"],"answer":"香港地区运费20元。","category":"shipping","locale":"zh-CN"}
{"id":"en-return","question":"How do I return an item?","variants":["can I send it back"],"answer":"Open the order and choose Return within 7 days.","locale":"en"}
`
	check("POST /v1/articles/import", sendRaw(t, s, "POST", "/v1/articles/import?kb=shop", editor, "application/x-ndjson", jsonl), 200)
	check("POST /v1/articles/import", sendRaw(t, s, "POST", "/v1/articles/import?kb=shop", editor, "text/csv",
		"id,question,variants,answer,category,scope\ninvoice,怎么开发票,发票在哪里申请|能开专票吗,在订单详情页申请开票。,invoices,channel=app\n"), 200)
	check("POST /v1/articles/import", sendRaw(t, s, "POST", "/v1/articles/import?kb=shop", editor, "text/plain", "x"), 415)
	check("POST /v1/articles/import", sendRaw(t, s, "POST", "/v1/articles/import?kb=shop", editor, "application/x-ndjson", `{"id":"bad"}`), 400)

	r := check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": "运费怎么算", "conversation": map[string]any{"id": "c1"}}), 200)
	answerID, _ := r.body["answer_id"].(string)
	check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": "How do I return an item?", "locale": "en"}), 200)
	r = check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": "转人工", "customer": map[string]any{"id": "u1", "tier": "vip"}}), 200)
	if r.body["decision"] != "handoff" {
		t.Fatalf("转人工: %s, want a handoff", r.raw)
	}
	handoffID := r.body["handoff"].(map[string]any)["id"].(string)
	check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "nope", "question": "x"}), 404)
	check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop"}), 400)
	check("POST /v1/ask", sendRaw(t, s, "POST", "/v1/ask", customer, "text/plain", "x"), 415)
	check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": strings.Repeat("长", 2<<20)}), 413)

	check("POST /v1/feedback", s.do(t, "POST", "/v1/feedback", customer, map[string]any{"answer_id": answerID, "helpful": true, "comment": "清楚"}), 200)
	check("POST /v1/feedback", s.do(t, "POST", "/v1/feedback", customer, map[string]any{"answer_id": answerID}), 400)
	check("POST /v1/feedback", s.do(t, "POST", "/v1/feedback", customer, map[string]any{"answer_id": "4a0e8f3c-7a43-4d3e-9c4f-6a1e2b0d9c17", "helpful": false}), 404)

	check("GET /v1/whoami", s.do(t, "GET", "/v1/whoami?kb=shop", customer, nil), 200)
	check("GET /v1/whoami", s.do(t, "GET", "/v1/whoami?kb=shop", scoped, nil), 403)

	check("GET /v1/search", s.do(t, "GET", "/v1/search?kb=shop&limit=5&q="+url.QueryEscape("邮费多少"), agent, nil), 200)
	check("GET /v1/search", s.do(t, "GET", "/v1/search?kb=shop", agent, nil), 400)
	check("GET /v1/search", s.do(t, "GET", "/v1/search?kb=shop&q=x", scoped, nil), 403)
	check("GET /v1/search", s.do(t, "GET", "/v1/search?kb=nope&q=x", agent, nil), 404)

	check("GET /v1/handoffs", s.do(t, "GET", "/v1/handoffs?kb=shop&status=open&limit=1", agent, nil), 200)
	check("GET /v1/handoffs", s.do(t, "GET", "/v1/handoffs?status=closed", agent, nil), 400)
	check("GET /v1/handoffs", s.do(t, "GET", "/v1/handoffs", scoped, nil), 200)
	check("GET /v1/handoffs/{id}", s.do(t, "GET", "/v1/handoffs/"+handoffID, agent, nil), 200)
	check("GET /v1/handoffs/{id}", s.do(t, "GET", "/v1/handoffs/"+handoffID, scoped, nil), 404)
	check("POST /v1/handoffs/{id}/resolve", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/resolve", agent, map[string]any{"reply": ""}), 400)
	check("POST /v1/handoffs/{id}/resolve", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/resolve", agent, map[string]any{"reply": "您好，已为您转接。", "agent": "小王", "csat": 5}), 200)
	check("POST /v1/handoffs/{id}/resolve", s.do(t, "POST", "/v1/handoffs/"+handoffID+"/resolve", agent, map[string]any{"reply": "again"}), 409)
	check("GET /v1/handoffs/{id}", s.do(t, "GET", "/v1/handoffs/"+handoffID, agent, nil), 200)

	check("GET /v1/kbs", s.do(t, "GET", "/v1/kbs", editor, nil), 200)
	check("GET /v1/kbs/{kb}/settings", s.do(t, "GET", "/v1/kbs/shop/settings", editor, nil), 200)
	check("GET /v1/kbs/{kb}/settings", s.do(t, "GET", "/v1/kbs/nope/settings", editor, nil), 404)
	check("PUT /v1/kbs/{kb}/curation", s.do(t, "PUT", "/v1/kbs/shop/curation", editor, map[string]any{"cluster_similarity": 0.85}), 200)
	check("PUT /v1/kbs/{kb}/curation", s.do(t, "PUT", "/v1/kbs/shop/curation", editor, map[string]any{"reply_match": 3}), 400)
	check("GET /v1/kbs/{kb}/curation", s.do(t, "GET", "/v1/kbs/shop/curation", editor, nil), 200)
	check("GET /v1/kbs/{kb}/curation", s.do(t, "GET", "/v1/kbs/nope/curation", editor, nil), 404)
	check("PUT /v1/kbs/{kb}/settings", s.do(t, "PUT", "/v1/kbs/shop/settings", editor, map[string]any{
		"thresholds": map[string]any{"answer": 0.7, "clarify": 0.25, "out_of_scope": 0.1, "clarify_ratio": 0.85},
		"categories": map[string]any{"shipping": map[string]any{"answer": 0.8, "clarify": 0.3, "out_of_scope": 0.1, "clarify_ratio": 0.85}},
		"webhook":    map[string]any{"url": "http://127.0.0.1:1/hook", "secret": "s"},
	}), 200)
	check("PUT /v1/kbs/{kb}/settings", s.do(t, "PUT", "/v1/kbs/shop/settings", editor, map[string]any{"thresholds": map[string]any{"answer": 2}}), 400)
	check("PUT /v1/kbs/{kb}/settings", s.do(t, "PUT", "/v1/kbs/shop/settings", editor, map[string]any{"unknown": 1}), 400)

	check("GET /v1/articles", s.do(t, "GET", "/v1/articles?kb=shop&status=published&limit=2", editor, nil), 200)
	check("GET /v1/articles", s.do(t, "GET", "/v1/articles?kb=shop&status=gone", editor, nil), 400)
	check("GET /v1/articles", s.do(t, "GET", "/v1/articles?kb=nope", editor, nil), 404)
	check("GET /v1/articles/{id}", s.do(t, "GET", "/v1/articles/ship-fee?kb=shop", editor, nil), 200)
	check("GET /v1/articles/{id}", s.do(t, "GET", "/v1/articles/none?kb=shop", editor, nil), 404)
	art := map[string]any{"id": "new-1", "question": "支持货到付款吗", "answer": "暂不支持货到付款。", "status": "draft",
		"valid_from": "2024-01-01T00:00:00Z", "scope": map[string]any{"channel": "app"}}
	check("POST /v1/articles", s.do(t, "POST", "/v1/articles?kb=shop", editor, art), 201)
	check("POST /v1/articles", s.do(t, "POST", "/v1/articles?kb=shop", editor, art), 409)
	check("POST /v1/articles", s.do(t, "POST", "/v1/articles?kb=shop", editor, map[string]any{"id": "x"}), 400)
	check("PUT /v1/articles/{id}", s.do(t, "PUT", "/v1/articles/new-1?kb=shop", editor, map[string]any{"question": "支持货到付款吗", "answer": "支持。"}), 200)
	check("PUT /v1/articles/{id}", s.do(t, "PUT", "/v1/articles/new-2?kb=shop", editor, map[string]any{"question": "能改地址吗", "answer": "发货前可改。"}), 201)
	check("DELETE /v1/articles/{id}", s.do(t, "DELETE", "/v1/articles/new-2?kb=shop", editor, nil), 204)
	check("DELETE /v1/articles/{id}", s.do(t, "DELETE", "/v1/articles/new-2?kb=shop", editor, nil), 404)

	// Article history: new-1 was created (version 1) and replaced
	// (version 2); a third version carries a reason header.
	check("PUT /v1/articles/{id}", sendWith(t, s, "PUT", "/v1/articles/new-1?kb=shop", editor, map[string]string{"X-Jieda-Reason": "policy change"},
		`{"question":"支持货到付款吗","answer":"支持，需加收5元手续费。"}`), 200)
	r = check("GET /v1/articles/{id}/revisions", s.do(t, "GET", "/v1/articles/new-1/revisions?kb=shop", editor, nil), 200)
	if revs, _ := r.body["revisions"].([]any); len(revs) != 3 || revs[0].(map[string]any)["reason"] != "policy change" {
		t.Errorf("revisions of new-1: %s, want 3 with the newest's reason from X-Jieda-Reason", r.raw)
	}
	check("GET /v1/articles/{id}/revisions", s.do(t, "GET", "/v1/articles/new-2/revisions?kb=shop", editor, nil), 200) // created, then deleted
	check("GET /v1/articles/{id}/revisions", s.do(t, "GET", "/v1/articles/none/revisions?kb=shop", editor, nil), 404)
	check("GET /v1/articles/{id}/revisions", s.do(t, "GET", "/v1/articles/new-1/revisions", editor, nil), 400)
	check("GET /v1/articles/{id}/diff", s.do(t, "GET", "/v1/articles/new-1/diff?kb=shop&from=1&to=3", editor, nil), 200)
	check("GET /v1/articles/{id}/diff", s.do(t, "GET", "/v1/articles/new-1/diff?kb=shop", editor, nil), 200)
	check("GET /v1/articles/{id}/diff", s.do(t, "GET", "/v1/articles/new-1/diff?kb=shop&from=x", editor, nil), 400)
	check("GET /v1/articles/{id}/diff", s.do(t, "GET", "/v1/articles/new-1/diff?kb=shop&to=99", editor, nil), 404)
	check("POST /v1/articles/{id}/rollback", s.do(t, "POST", "/v1/articles/new-1/rollback?kb=shop", editor, map[string]any{"version": 1, "reason": "恢复第 1 版"}), 200)
	check("POST /v1/articles/{id}/rollback", s.do(t, "POST", "/v1/articles/new-1/rollback?kb=shop", editor, map[string]any{"version": 99}), 404)
	check("POST /v1/articles/{id}/rollback", s.do(t, "POST", "/v1/articles/new-1/rollback?kb=shop", editor, map[string]any{"version": 0}), 400)
	check("POST /v1/articles/{id}/rollback", s.do(t, "POST", "/v1/articles/new-2/rollback?kb=shop", editor, map[string]any{"version": 2}), 400) // the deletion

	// Intake sources and the signed webhook.
	const secret = "0123456789abcdef-secret"
	check("PUT /v1/admin/intake-sources/{name}", s.do(t, "PUT", "/v1/admin/intake-sources/desk", admin, map[string]any{"kind": "generic", "kb": "shop", "secret": secret}), 200)
	check("PUT /v1/admin/intake-sources/{name}", s.do(t, "PUT", "/v1/admin/intake-sources/cw", admin, map[string]any{"kind": "chatwoot", "kb": "shop", "secret": secret}), 200)
	check("PUT /v1/admin/intake-sources/{name}", s.do(t, "PUT", "/v1/admin/intake-sources/gone", admin, map[string]any{"kind": "generic", "kb": "shop", "secret": secret}), 200)
	check("PUT /v1/admin/intake-sources/{name}", s.do(t, "PUT", "/v1/admin/intake-sources/bad", admin, map[string]any{"kind": "zendesk", "kb": "shop", "secret": secret}), 400)
	check("PUT /v1/admin/intake-sources/{name}", s.do(t, "PUT", "/v1/admin/intake-sources/bad", admin, map[string]any{"kind": "generic", "kb": "shop", "secret": "short"}), 400)
	r = check("GET /v1/admin/intake-sources", s.do(t, "GET", "/v1/admin/intake-sources", admin, nil), 200)
	if strings.Contains(r.raw, secret) {
		t.Errorf("GET /v1/admin/intake-sources shows a secret: %s", r.raw)
	}
	check("DELETE /v1/admin/intake-sources/{name}", s.do(t, "DELETE", "/v1/admin/intake-sources/gone", admin, nil), 204)
	check("DELETE /v1/admin/intake-sources/{name}", s.do(t, "DELETE", "/v1/admin/intake-sources/gone", admin, nil), 404)
	sign := func(signed string) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(signed))
		return "sha256=" + hex.EncodeToString(mac.Sum(nil))
	}
	postIntake := func(source, body string) response {
		t.Helper()
		return sendWith(t, s, "POST", "/v1/intake/"+source, "", map[string]string{"X-Jieda-Signature": sign(body)}, body)
	}
	items := map[string]string{
		"approve": `{"question":"你们周末发货吗","reply":"周末正常发货，下午四点前付款的订单当天发出。","agent":"小美","csat":5,"ticket":"T-1","resolved_at":"2025-03-01"}`,
		"reject":  `{"question":"你们公司有多少员工","reply":"我们公司目前有大约两百名员工，分布在三个城市。","ticket":"T-2"}`,
		"merge":   `{"question":"可以用花呗分期付款吗","reply":"可以，结算时选择花呗分期，支持三期和六期。","ticket":"T-3"}`,
		"bulk1":   `{"question":"能不能指定顺丰快递","reply":"默认发中通，如需顺丰请在备注中说明并补差价十元。","ticket":"T-4"}`,
		"bulk2":   `{"question":"会员积分怎么兑换礼品","reply":"在会员中心的积分商城里选择礼品即可兑换，积分不退。","ticket":"T-5"}`,
	}
	for _, name := range []string{"approve", "reject", "merge", "bulk1", "bulk2"} {
		if r := check("POST /v1/intake/{source}", postIntake("desk", items[name]), 200); !strings.Contains(r.raw, `"accepted":true`) {
			t.Errorf("intake %s: %s", name, r.raw)
		}
	}
	if r := check("POST /v1/intake/{source}", postIntake("desk", items["approve"]), 200); !strings.Contains(r.raw, `"duplicates":1`) {
		t.Errorf("the same ticket again: %s, want a duplicate", r.raw)
	}
	check("POST /v1/intake/{source}", sendWith(t, s, "POST", "/v1/intake/desk", "", nil, items["approve"]), 401)
	check("POST /v1/intake/{source}", sendWith(t, s, "POST", "/v1/intake/desk", "", map[string]string{"X-Jieda-Signature": "sha256=00"}, items["approve"]), 401)
	check("POST /v1/intake/{source}", postIntake("nope", items["approve"]), 401) // unknown sources look like bad signatures
	check("POST /v1/intake/{source}", postIntake("desk", `{"question":"只有问题"}`), 400)
	cw := `{"event":"conversation_resolved","conversation":{"id":2077,"status":"resolved","meta":{"assignee":{"name":"小王","type":"user"}},"messages":[` +
		`{"content":"我的包裹三天了还没到，是不是丢了","message_type":"incoming","created_at":"2025-01-02T09:00:20Z","sender":{"name":"张三","type":"contact"}},` +
		`{"content":"暴雨期间包裹暂存在当地网点，道路恢复后次日派送。","message_type":"outgoing","created_at":"2025-01-02T09:04:00Z","sender":{"name":"小王","type":"user"}}]}}`
	stale := "1735812000"
	check("POST /v1/intake/{source}", sendWith(t, s, "POST", "/v1/intake/cw", "", map[string]string{"X-Chatwoot-Timestamp": stale, "X-Chatwoot-Signature": sign(stale + "." + cw)}, cw), 401)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	r = check("POST /v1/intake/{source}", sendWith(t, s, "POST", "/v1/intake/cw", "", map[string]string{"X-Chatwoot-Timestamp": ts, "X-Chatwoot-Signature": sign(ts + "." + cw)}, cw), 200)
	if !strings.Contains(r.raw, `"accepted":true`) {
		t.Errorf("a Chatwoot resolution: %s", r.raw)
	}
	openEvent := `{"event":"conversation_status_changed","id":1044,"status":"open","messages":[]}`
	if r := check("POST /v1/intake/{source}", postIntake("cw", openEvent), 200); !strings.Contains(r.raw, `"accepted":false`) {
		t.Errorf("a Chatwoot event that resolves nothing: %s, want accepted false", r.raw)
	}

	// The review queue.
	r = check("GET /v1/candidates", s.do(t, "GET", "/v1/candidates?kb=shop&sort=recent&limit=50", editor, nil), 200)
	cand := map[string]string{}
	for _, c := range r.body["candidates"].([]any) {
		m := c.(map[string]any)
		for name, body := range items {
			if q := m["representative"].(string); strings.Contains(body, `"question":"`+q+`"`) {
				cand[name] = m["id"].(string)
			}
		}
	}
	if len(cand) != len(items) {
		t.Fatalf("candidates: found %v of the intake items: %s", cand, r.raw)
	}
	check("GET /v1/candidates", s.do(t, "GET", "/v1/candidates?kb=shop&status=bogus", editor, nil), 400)
	check("GET /v1/candidates", s.do(t, "GET", "/v1/candidates?kb=nope", editor, nil), 404)
	check("GET /v1/candidates", s.do(t, "GET", "/v1/candidates?kb=shop", scopedEditor, nil), 403)
	check("GET /v1/candidates/{id}", s.do(t, "GET", "/v1/candidates/"+cand["approve"], editor, nil), 200)
	check("GET /v1/candidates/{id}", s.do(t, "GET", "/v1/candidates/"+cand["approve"], scopedEditor, nil), 404)
	check("GET /v1/candidates/{id}", s.do(t, "GET", "/v1/candidates/4a0e8f3c-7a43-4d3e-9c4f-6a1e2b0d9c17", editor, nil), 404)
	check("POST /v1/candidates/{id}/approve", s.do(t, "POST", "/v1/candidates/"+cand["approve"]+"/approve", editor, map[string]any{"as": "bogus"}), 400)
	check("POST /v1/candidates/{id}/approve", s.do(t, "POST", "/v1/candidates/"+cand["approve"]+"/approve", editor, map[string]any{
		"as": "new_article", "article_id": "weekend-ship", "question": "周末发货吗？", "category": "shipping", "locale": "zh-CN", "reason": "客服高频问题"}), 200)
	check("POST /v1/candidates/{id}/approve", s.do(t, "POST", "/v1/candidates/"+cand["approve"]+"/approve", editor, nil), 409)
	check("POST /v1/candidates/{id}/reject", s.do(t, "POST", "/v1/candidates/"+cand["reject"]+"/reject", editor, map[string]any{}), 400)
	check("POST /v1/candidates/{id}/reject", s.do(t, "POST", "/v1/candidates/"+cand["reject"]+"/reject", editor, map[string]any{"reason": "内部信息"}), 200)
	check("POST /v1/candidates/{id}/reject", s.do(t, "POST", "/v1/candidates/"+cand["reject"]+"/reject", editor, map[string]any{"reason": "again"}), 409)
	check("POST /v1/candidates/{id}/merge", s.do(t, "POST", "/v1/candidates/"+cand["merge"]+"/merge", editor, map[string]any{}), 400)
	check("POST /v1/candidates/{id}/merge", s.do(t, "POST", "/v1/candidates/"+cand["merge"]+"/merge", editor, map[string]any{"article_id": "none"}), 404)
	check("POST /v1/candidates/{id}/merge", s.do(t, "POST", "/v1/candidates/"+cand["merge"]+"/merge", editor, map[string]any{"article_id": "ship-fee"}), 200)
	r = check("POST /v1/candidates/bulk", s.do(t, "POST", "/v1/candidates/bulk", editor, map[string]any{
		"action": "reject", "ids": []string{cand["bulk1"], cand["bulk2"], "4a0e8f3c-7a43-4d3e-9c4f-6a1e2b0d9c17"}, "reason": "不适合公开"}), 200)
	if res, _ := r.body["results"].([]any); len(res) != 3 || res[0].(map[string]any)["ok"] != true || res[2].(map[string]any)["ok"] != false {
		t.Errorf("bulk reject: %s, want two decided and one error", r.raw)
	}
	check("POST /v1/candidates/bulk", s.do(t, "POST", "/v1/candidates/bulk", editor, map[string]any{"action": "reject", "ids": []string{}}), 400)
	for _, st := range []string{"approved", "rejected", "merged"} {
		check("GET /v1/candidates", s.do(t, "GET", "/v1/candidates?kb=shop&status="+st, editor, nil), 200)
	}

	// Knowledge gaps: a question the KB cannot answer, asked twice.
	for range 2 {
		check("POST /v1/ask", s.do(t, "POST", "/v1/ask", customer, map[string]any{"kb": "shop", "question": "你们的股票代码是多少"}), 200)
	}
	r = check("GET /v1/gaps", s.do(t, "GET", "/v1/gaps?kb=shop&min_count=1&since=7d", editor, nil), 200)
	if gaps, _ := r.body["gaps"].([]any); len(gaps) == 0 {
		t.Errorf("gaps: %s, want at least one", r.raw)
	}
	check("GET /v1/gaps", s.do(t, "GET", "/v1/gaps?kb=shop&since=bogus", editor, nil), 400)
	check("GET /v1/gaps", s.do(t, "GET", "/v1/gaps?kb=shop&limit=0", editor, nil), 400)
	check("GET /v1/gaps", s.do(t, "GET", "/v1/gaps?kb=nope", editor, nil), 404)
	check("GET /v1/gaps", s.do(t, "GET", "/v1/gaps?kb=shop", scopedEditor, nil), 403)

	// The audit log holds the changes above.
	r = check("GET /v1/audit", s.do(t, "GET", "/v1/audit?kb=shop&limit=5", admin, nil), 200)
	if entries, _ := r.body["entries"].([]any); len(entries) != 5 {
		t.Errorf("audit: %s, want a full page of 5", r.raw)
	}
	if next, _ := r.body["next"].(string); next != "" {
		check("GET /v1/audit", s.do(t, "GET", "/v1/audit?kb=shop&limit=5&cursor="+url.QueryEscape(next), admin, nil), 200)
	} else {
		t.Errorf("audit: no next cursor after a full page: %s", r.raw)
	}
	check("GET /v1/audit", s.do(t, "GET", "/v1/audit?action="+url.QueryEscape("POST /v1/candidates/:id/approve"), admin, nil), 200)
	check("GET /v1/audit", s.do(t, "GET", "/v1/audit?since=bogus", admin, nil), 400)
	check("GET /v1/audit", s.do(t, "GET", "/v1/audit?limit=0", admin, nil), 400)

	check("GET /v1/admin/backup", s.do(t, "GET", "/v1/admin/backup", admin, nil), 200)
	check("GET /v1/admin/keys", s.do(t, "GET", "/v1/admin/keys", admin, nil), 200)
	check("POST /v1/admin/keys", s.do(t, "POST", "/v1/admin/keys", admin, map[string]any{"role": "root"}), 400)
	check("DELETE /v1/admin/keys/{id}", s.do(t, "DELETE", "/v1/admin/keys/AAAAAAAA", admin, nil), 404)
	check("GET /readyz", s.do(t, "GET", "/readyz", "", nil), 200)
	check("GET /healthz", s.do(t, "GET", "/healthz", "", nil), 200)
	check("GET /metrics", s.do(t, "GET", "/metrics", "", nil), 200)
	check("GET /v1/openapi.json", s.do(t, "GET", "/v1/openapi.json", "", nil), 200)

	for op := range openAPIOps(t, doc) {
		if !seen[op] && op != "POST /v1/admin/keys" {
			t.Errorf("%s is not exercised by this test", op)
		}
	}
}

// TestOpenAPIExamples checks every request and response example against
// its documented schema, and the curation examples against the server's
// own decoders: approvals decode as a curate.Approval, intake examples
// parse as the help-desk payloads they stand for.
func TestOpenAPIExamples(t *testing.T) {
	doc := openAPIDoc(t)
	ops := openAPIOps(t, doc)
	n := 0
	checkMedia := func(where string, media map[string]any) {
		schema, _ := media["schema"].(map[string]any)
		examples, _ := media["examples"].(map[string]any)
		for name, ex := range examples {
			n++
			v := resolveRef(t, doc, ex.(map[string]any))["value"]
			for _, e := range validateSchema(doc, schema, v, "$", true) {
				t.Errorf("%s example %s: %s", where, name, e)
			}
		}
	}
	for key, op := range ops {
		if rb, ok := op["requestBody"].(map[string]any); ok {
			for ct, media := range rb["content"].(map[string]any) {
				if ct == "application/json" {
					checkMedia(key+" request", media.(map[string]any))
				}
			}
		}
		for code, r := range op["responses"].(map[string]any) {
			content, _ := resolveRef(t, doc, r.(map[string]any))["content"].(map[string]any)
			if media, ok := content["application/json"].(map[string]any); ok {
				checkMedia(key+" "+code, media)
			}
		}
	}
	if n == 0 {
		t.Fatal("no examples found")
	}

	examples := func(op string) map[string]any {
		t.Helper()
		o := ops[op]
		if o == nil {
			t.Fatalf("%s is not documented", op)
		}
		media := o["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)
		ex, _ := media["examples"].(map[string]any)
		if len(ex) == 0 {
			t.Fatalf("%s has no request examples", op)
		}
		return ex
	}
	hasHan := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff })
	}
	zh := false
	for name, ex := range examples("POST /v1/candidates/{id}/approve") {
		raw, _ := json.Marshal(ex.(map[string]any)["value"])
		var ap curate.Approval
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ap); err != nil {
			t.Errorf("approve example %s does not decode as an Approval: %v", name, err)
		}
		zh = zh || hasHan(ap.Answer+ap.Question+strings.Join(ap.Questions, ""))
	}
	if !zh {
		t.Error("no Chinese approve example")
	}
	kinds := map[string]bool{}
	for name, ex := range examples("POST /v1/intake/{source}") {
		raw, _ := json.Marshal(ex.(map[string]any)["value"])
		item, err := intake.ParseGeneric(raw)
		kind := "generic"
		if strings.Contains(string(raw), `"event"`) {
			item, err = intake.ParseChatwoot(raw)
			kind = "chatwoot"
		}
		if err != nil {
			t.Errorf("intake example %s does not parse as a %s payload: %v", name, kind, err)
			continue
		}
		if !hasHan(item.Question) || !hasHan(item.Reply) {
			t.Errorf("intake example %s: question %q, reply %q, want Chinese", name, item.Question, item.Reply)
		}
		kinds[kind] = true
	}
	if !kinds["generic"] || !kinds["chatwoot"] {
		t.Errorf("intake examples cover %v, want generic and chatwoot", kinds)
	}
}
