package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi/openapitest"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/curate/intake"
)

var fiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// registeredRoutes lists New's routes as "METHOD /path" with
// {param} path templates, leaving out HEAD and middleware (Use, Group).
func registeredRoutes(t *testing.T) map[string]bool {
	t.Helper()
	app := httpapi.New(httpapi.DefaultConfig(), httpapi.Deps{}, nil, httpapi.Options{})
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
	doc := openapitest.Doc(t)
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
	for key, op := range openapitest.Ops(t, doc) {
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
				pm := openapitest.ResolveRef(t, doc, p.(map[string]any))
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
	doc := openapitest.Doc(t)
	op := openapitest.Ops(t, doc)["POST /v1/ask"]
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

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := openapitest.Doc(t)
	n := 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				n++
				if _, err := openapitest.JSONPointer(doc, ref); err != nil {
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

// TestOpenAPIRoutes checks that the document and New's routes agree.
func TestOpenAPIRoutes(t *testing.T) {
	doc := openapitest.Doc(t)
	ops := openapitest.Ops(t, doc)
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
		t.Errorf("openapi.json documents %s, which New does not register", o)
	}
	for _, r := range []string{"GET /healthz", "GET /readyz", "GET /metrics", "GET /v1/openapi.json"} {
		if !routes[r] || ops[r] == nil {
			t.Errorf("%s: registered %v, documented %v", r, routes[r], ops[r] != nil)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	app := httpapi.New(httpapi.DefaultConfig(), httpapi.Deps{}, nil, httpapi.Options{})
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

// TestOpenAPIExamples checks every request and response example against
// its documented schema, and the curation examples against the server's
// own decoders: approvals decode as a curate.Approval, intake examples
// parse as the help-desk payloads they stand for.
func TestOpenAPIExamples(t *testing.T) {
	doc := openapitest.Doc(t)
	ops := openapitest.Ops(t, doc)
	n := 0
	checkMedia := func(where string, media map[string]any) {
		schema, _ := media["schema"].(map[string]any)
		examples, _ := media["examples"].(map[string]any)
		for name, ex := range examples {
			n++
			v := openapitest.ResolveRef(t, doc, ex.(map[string]any))["value"]
			for _, e := range openapitest.Validate(doc, schema, v, "$", true) {
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
			content, _ := openapitest.ResolveRef(t, doc, r.(map[string]any))["content"].(map[string]any)
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
