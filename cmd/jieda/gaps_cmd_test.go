package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/models/synth"
)

// TestGapsCommand imports a KB, asks it questions it cannot answer
// through the CLI, and reads the gap report as JSON and as a table.
func TestGapsCommand(t *testing.T) {
	dir := chdir(t)
	modelDir := filepath.Join(dir, "models", embed.BuiltinName)
	if err := os.MkdirAll(modelDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteBuiltin(modelDir); err != nil {
		t.Fatal(err)
	}
	kb := filepath.Join(dir, "kb.jsonl")
	lines := `{"id":"ship-fee","question":"运费怎么算","variants":["邮费多少","包邮吗"],"answer":"满99元包邮。","category":"shipping"}
{"id":"return-7d","question":"可以七天无理由退货吗","variants":["退货政策"],"answer":"签收后7天内可退。","category":"returns"}
`
	if err := os.WriteFile(kb, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if code, out, errOut := run(t, t.Context(), "--data", data, "import", "articles", kb, "--kb", "shop"); code != 0 {
		t.Fatalf("import: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	// Two wordings of one unanswered question (cosine 0.92 on the builtin
	// model), one of them twice; a lone question; a request for a person.
	for _, q := range []string{"可以寄到香港吗", "香港可以寄吗", "可以寄到香港吗", "你们有实体店吗", "我要转人工"} {
		code, out, errOut := run(t, t.Context(), "--data", data, "ask", q, "--kb", "shop")
		if code != 0 || !strings.Contains(out, "handoff") {
			t.Fatalf("ask %q: exit %d\nstdout: %s\nstderr: %s", q, code, out, errOut)
		}
	}

	code, out, errOut := run(t, t.Context(), "--data", data, "gaps", "--kb", "shop", "--json")
	if code != 0 {
		t.Fatalf("gaps --json: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	var rep curate.GapReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
	if rep.KB != "shop" || rep.Questions != 4 || rep.Until.Sub(rep.Since) != 7*24*time.Hour || time.Since(rep.Until) > time.Minute {
		t.Errorf("report: kb %q, %d questions (want 4), window %s..%s", rep.KB, rep.Questions, rep.Since, rep.Until)
	}
	if len(rep.Gaps) != 1 {
		t.Fatalf("want one gap (the lone question is under --min-count 2), got %s", out)
	}
	g := rep.Gaps[0]
	if g.Representative != "可以寄到香港吗" || g.Count != 3 || g.Previous != 0 || !g.Trend.New {
		t.Errorf("gap: %+v", g)
	}
	if diff := gocmp.Diff([]string{"香港可以寄吗"}, g.Examples); diff != "" {
		t.Errorf("examples (-want +got):\n%s", diff)
	}
	for _, key := range []string{`"representative"`, `"count"`, `"trend"`, `"examples"`, `"reasons"`, `"questions"`} {
		if !strings.Contains(out, key) {
			t.Errorf("JSON lacks %s:\n%s", key, out)
		}
	}

	// The table: --min-count 1 adds the lone question.
	code, out, errOut = run(t, t.Context(), "--data", data, "gaps", "--kb", "shop", "--since", "1d", "--min-count", "1")
	if code != 0 {
		t.Fatalf("gaps: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"4 unanswered questions", "COUNT", "NEAR MISS", "可以寄到香港吗", "e.g. 香港可以寄吗", "你们有实体店吗", "new"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "转人工") {
		t.Errorf("a request for a person is no knowledge gap:\n%s", out)
	}

	// A window before the questions holds none.
	code, out, errOut = run(t, t.Context(), "--data", data, "gaps", "--kb", "shop", "--since", "2w", "--until", "1w")
	if code != 0 || !strings.Contains(out, "0 unanswered questions") || !strings.Contains(out, "no gaps") {
		t.Errorf("earlier window: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	// Bad input.
	for _, args := range [][]string{
		{"gaps", "--kb", "shop", "--since", "last tuesday"},
		{"gaps", "--kb", "shop", "--limit", "1000"},
		{"gaps", "--kb", "nope"},
		{"gaps"},
	} {
		if code, _, errOut := run(t, t.Context(), append([]string{"--data", data}, args...)...); code == 0 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q; want an error", args, code, errOut)
		}
	}
}
