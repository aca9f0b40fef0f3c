package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jieda/jieda/answer"
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
	outcomes := filepath.Join(dir, "outcomes.jsonl")
	if code, out, _ := run(t, t.Context(), "eval", "--kb", kb, "--queries", queries, "--outcomes", outcomes); code != 0 || !strings.Contains(out, "threshold sweep") {
		t.Errorf("eval table: exit %d\n%s", code, out)
	}
	checkOutcomes(t, outcomes, rep)

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

// smallSample writes the first n articles of a KB file and the labeled
// questions about them (or none) into dir.
func smallSample(t *testing.T, dir, articlesFile, allQueries string, n int) (kbFile, queriesFile string) {
	t.Helper()
	arts, err := answer.ReadArticlesFile(articlesFile)
	if err != nil {
		t.Fatal(err)
	}
	queries, err := answer.ReadQueriesFile(allQueries)
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{"": true}
	var kb, qs strings.Builder
	for _, a := range arts[:n] {
		keep[a.ID] = true
		b, _ := json.Marshal(a)
		kb.Write(append(b, '\n'))
	}
	for _, q := range queries {
		if keep[q.Expect] {
			b, _ := json.Marshal(q)
			qs.Write(append(b, '\n'))
		}
	}
	kbFile, queriesFile = filepath.Join(dir, "kb.jsonl"), filepath.Join(dir, "queries.jsonl")
	for f, s := range map[string]string{kbFile: kb.String(), queriesFile: qs.String()} {
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return kbFile, queriesFile
}

// TestSelfCalibrationCLI: calibrate --self on a KB file and on a KB in the
// store, eval --cross-fit=false (self-calibrated on import) and eval
// --learn-from.
func TestSelfCalibrationCLI(t *testing.T) {
	articles, allQueries := sampleFile(t, "articles.jsonl"), sampleFile(t, "queries.jsonl")
	dir := chdir(t)
	builtinModelDir(t, dir)
	kb, queries := smallSample(t, dir, articles, allQueries, 60)

	code, out, errOut := run(t, t.Context(), "calibrate", "--kb", kb, "--self", "--json")
	if code != 0 {
		t.Fatalf("calibrate --self: exit %d\n%s", code, errOut)
	}
	var cal struct {
		Self *answer.SelfCalibration `json:"self_calibration"`
	}
	if err := json.Unmarshal([]byte(out), &cal); err != nil || cal.Self == nil {
		t.Fatalf("calibrate --self --json: %v\n%s", err, out)
	}
	if cal.Self.Articles == 0 || cal.Self.Examples.Variants == 0 || cal.Self.Examples.OutOfScope == 0 || cal.Self.HeldOutECE <= 0 {
		t.Errorf("calibrate --self: %+v", cal.Self)
	}

	// --out writes the calibration the KB fitted itself, which eval takes back.
	calFile := filepath.Join(dir, "self.json")
	if code, _, errOut := run(t, t.Context(), "calibrate", "--kb", kb, "--self", "--out", calFile); code != 0 {
		t.Fatalf("calibrate --self --out: exit %d\n%s", code, errOut)
	}
	var written answer.Calibration
	if b, err := os.ReadFile(calFile); err != nil || json.Unmarshal(b, &written) != nil {
		t.Fatalf("calibrate --self --out wrote %q: %v", b, err)
	}
	if err := written.Validate(); err != nil || written.Source != answer.SourceSelf || written.Clarify == nil || written.Samples != cal.Self.Examples.Total() {
		t.Errorf("calibrate --self --out: %v, source %q, clarify %v, %d samples (examples %d)", err, written.Source, written.Clarify != nil, written.Samples, cal.Self.Examples.Total())
	}
	if code, _, errOut := run(t, t.Context(), "eval", "--kb", kb, "--queries", queries, "--calibration", calFile); code != 0 {
		t.Errorf("eval --calibration (calibrate --self --out's file): exit %d\n%s", code, errOut)
	}

	data := filepath.Join(dir, "data")
	if code, _, errOut := run(t, t.Context(), "--data", data, "import", "articles", kb, "--kb", "shop"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	code, out, errOut = run(t, t.Context(), "--data", data, "calibrate", "--kb", "shop", "--self")
	if code != 0 || !strings.Contains(out, "held-out ece") || !strings.Contains(out, "variants held out") {
		t.Errorf("calibrate --kb shop --self: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := run(t, t.Context(), "--data", data, "calibrate", "--kb", "nosuch", "--self"); code == 0 || !strings.Contains(errOut, "unknown knowledge base") {
		t.Errorf("calibrate --self on an unknown KB: exit %d, %s", code, errOut)
	}

	code, out, errOut = run(t, t.Context(), "eval", "--kb", kb, "--queries", queries, "--cross-fit=false", "--json")
	if code != 0 {
		t.Fatalf("eval --cross-fit=false: exit %d\n%s", code, errOut)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep["self_calibration"] == nil || !strings.HasPrefix(rep["calibration"].(string), answer.SourceSelf) {
		t.Errorf("eval --cross-fit=false: calibration %v, self_calibration %v", rep["calibration"], rep["self_calibration"])
	}
	total := rep["queries"].(float64)

	code, out, errOut = run(t, t.Context(), "eval", "--kb", kb, "--queries", queries, "--learn-from", "0.5", "--json")
	if code != 0 {
		t.Fatalf("eval --learn-from: exit %d\n%s", code, errOut)
	}
	rep = nil
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	learning, _ := rep["learning"].(map[string]any)
	if learning == nil || learning["replayed"].(float64) < total/2-1 || rep["queries"].(float64) > total/2+1 {
		t.Errorf("eval --learn-from 0.5: queries %v of %v, learning %v", rep["queries"], total, learning)
	}
	if code, _, errOut := run(t, t.Context(), "eval", "--kb", kb, "--queries", queries, "--learn-from", "1"); code == 0 || !strings.Contains(errOut, "learn-from") {
		t.Errorf("eval --learn-from 1: exit %d, %s", code, errOut)
	}
}

// checkOutcomes reads eval --outcomes' file and checks that it holds one
// record per query whose verdicts add up to rep's figures.
func checkOutcomes(t *testing.T, path string, rep map[string]any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]int{}
	answered, oos, hit1 := 0, 0, 0
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, l := range lines {
		var o answer.QuestionOutcome
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("outcome %q: %v", l, err)
		}
		if o.Query == "" || o.Confidence < 0 || o.Confidence > 1 {
			t.Errorf("outcome %+v", o)
		}
		verdicts[o.Verdict]++
		if o.Decision == answer.DecisionAnswer {
			answered++
		}
		if o.Expect == "" {
			oos++
		}
		if o.Rank == 1 {
			hit1++
		}
	}
	if n := len(lines); float64(n) != rep["queries"].(float64) {
		t.Fatalf("%d outcomes for %v queries", n, rep["queries"])
	}
	near := func(name string, got, want float64) {
		if got < want-1e-9 || got > want+1e-9 {
			t.Errorf("%s from the outcomes %v, report %v", name, got, want)
		}
	}
	inScope := float64(len(lines) - oos)
	near("answer_precision", float64(verdicts["right"])/float64(answered), rep["answer_precision"].(float64))
	near("answer_coverage", float64(verdicts["right"])/inScope, rep["answer_coverage"].(float64))
	near("hit1", float64(hit1)/inScope, rep["hit1"].(float64))
	if verdicts["right"]+verdicts["wrong"] != answered || verdicts["missed"]+verdicts["held"]+answered != len(lines) {
		t.Errorf("verdicts %v do not partition %d outcomes (%d answered)", verdicts, len(lines), answered)
	}
}
