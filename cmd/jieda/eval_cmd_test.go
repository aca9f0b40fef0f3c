package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/models/synth"
)

// builtinModelDir writes the builtin model under dir/models/builtin.
func builtinModelDir(t *testing.T, dir string) string {
	t.Helper()
	md := filepath.Join(dir, "models", embed.BuiltinName)
	if err := os.MkdirAll(md, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteBuiltin(md); err != nil {
		t.Fatal(err)
	}
	return md
}

// sampleFile is a file of the sample KB shipped in answer/samplekb.
func sampleFile(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "answer", "samplekb", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEvalCalibrateAsk runs eval, calibrate and ask through the CLI on the
// sample KB and its labeled questions.
func TestEvalCalibrateAsk(t *testing.T) {
	kb, queries := sampleFile(t, "articles.jsonl"), sampleFile(t, "queries.jsonl")
	dir := chdir(t)
	builtinModelDir(t, dir)

	code, out, errOut := run(t, t.Context(), "eval", "--kb", kb, "--queries", queries, "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d\n%s", code, errOut)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, out)
	}
	for _, k := range []string{"hit1", "hit3", "mrr10", "ndcg10", "answered", "answer_precision", "answer_coverage",
		"clarify_rate", "handoff_rate", "oos_handoff_recall", "ece", "p50_ms", "p99_ms"} {
		if _, ok := rep[k].(float64); !ok {
			t.Errorf("eval --json lacks %s", k)
		}
	}
	if rep["hit1"].(float64) < 0.5 || rep["queries"].(float64) < 400 {
		t.Errorf("eval on the sample KB: hit1 %v over %v queries", rep["hit1"], rep["queries"])
	}
	// decisions partition the questions
	if s := rep["answered"].(float64) + rep["clarify_rate"].(float64) + rep["handoff_rate"].(float64); s < 0.999 || s > 1.001 {
		t.Errorf("answered + clarify + handoff = %v, want 1", s)
	}
	if code, out, _ := run(t, t.Context(), "eval", "--kb", kb, "--queries", queries); code != 0 || !strings.Contains(out, "threshold sweep") {
		t.Errorf("eval table: exit %d\n%s", code, out)
	}

	data := filepath.Join(dir, "data")
	if code, _, errOut := run(t, t.Context(), "--data", data, "import", "articles", kb, "--kb", "youxuan"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	calFile := filepath.Join(dir, "cal.json")
	code, out, errOut = run(t, t.Context(), "--data", data, "calibrate", "--kb", kb, "--queries", queries,
		"--save", "youxuan", "--out", calFile, "--target-precision", "0.9")
	if code != 0 || !strings.Contains(out, "held-out ece") || !strings.Contains(out, "answer threshold") {
		t.Fatalf("calibrate: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := run(t, t.Context(), "eval", "--kb", kb, "--queries", queries, "--calibration", calFile, "--json"); code != 0 {
		t.Errorf("eval --calibration: %s", errOut)
	}

	code, out, errOut = run(t, t.Context(), "--data", data, "ask", "我要投诉你们客服", "--kb", "youxuan", "--json")
	if code != 0 || !strings.Contains(out, `"reason": "complaint"`) {
		t.Errorf("ask: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := run(t, t.Context(), "--data", data, "ask", "运费", "--kb", "nosuch"); code == 0 || !strings.Contains(errOut, "unknown knowledge base") {
		t.Errorf("ask on an unknown KB: exit %d, %s", code, errOut)
	}
}

// TestImportResolved takes resolved replies in through the CLI twice: the
// second run skips everything (idempotent, resumable).
func TestImportResolved(t *testing.T) {
	articles := sampleFile(t, "articles.jsonl")
	dir := chdir(t)
	builtinModelDir(t, dir)
	data := filepath.Join(dir, "data")
	if code, _, errOut := run(t, t.Context(), "--data", data, "import", "articles", articles, "--kb", "youxuan"); code != 0 {
		t.Fatalf("import articles: %s", errOut)
	}
	resolved := filepath.Join(dir, "resolved.jsonl")
	lines := `{"question":"你们支持货到付款吗","reply":"支持货到付款，需加收5元手续费。","agent":"a1","csat":5,"ticket":"T-1"}
{"question":"可以货到付款吗","reply":"支持货到付款，需加收5元手续费。","ticket":"T-2"}
{"question":"在吗","reply":"您好，请稍等","ticket":"T-3"}
{"question":"我的电话是13812345678，帮我查下订单","reply":"张先生您好，已帮您查询，订单明天送达。","ticket":"T-4"}
`
	if err := os.WriteFile(resolved, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, t.Context(), "--data", data, "import", "resolved", resolved, "--kb", "youxuan")
	if code != 0 || !strings.Contains(out, "took in 4") || !strings.Contains(out, "dropped holding") {
		t.Fatalf("import resolved: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, t.Context(), "--data", data, "import", "resolved", resolved, "--kb", "youxuan")
	if code != 0 || !strings.Contains(out, "4 already taken in") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"question\":\"x\"}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, t.Context(), "--data", data, "import", "resolved", bad, "--kb", "youxuan"); code == 0 || !strings.Contains(errOut, "line 1") || !strings.Contains(errOut, "line 2") {
		t.Errorf("bad file: exit %d, %s", code, errOut)
	}
}
