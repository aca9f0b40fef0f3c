package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/models/synth"
)

// TestImportArticles imports a KB through the CLI into a real store twice
// (the second run changes nothing) and refuses a bad file with line numbers.
func TestImportArticles(t *testing.T) {
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
	code, out, errOut := run(t, t.Context(), "--data", filepath.Join(dir, "data"), "import", "articles", kb, "--kb", "shop")
	if code != 0 || !strings.Contains(out, "2 created") {
		t.Fatalf("first import: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, errOut = run(t, t.Context(), "--data", filepath.Join(dir, "data"), "import", "articles", kb, "--kb", "shop")
	if code != 0 || !strings.Contains(out, "2 unchanged") {
		t.Fatalf("second import: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	bad := filepath.Join(dir, "bad.jsonl")
	badLines := `{"id":"ok","question":"发票怎么开","answer":"在订单详情申请。"}
{"id":"no-answer","question":"能开专票吗"}
not json
`
	if err := os.WriteFile(bad, []byte(badLines), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, t.Context(), "--data", filepath.Join(dir, "data"), "import", "articles", bad, "--kb", "shop")
	if code == 0 || !strings.Contains(errOut, "line 2") || !strings.Contains(errOut, "line 3") {
		t.Errorf("bad file: exit %d, stderr %q; want errors naming lines 2 and 3", code, errOut)
	}
	if code, _, errOut := run(t, t.Context(), "import", "articles", kb); code == 0 || !strings.Contains(errOut, `"kb"`) {
		t.Errorf("missing --kb: exit %d, stderr %q", code, errOut)
	}
}
