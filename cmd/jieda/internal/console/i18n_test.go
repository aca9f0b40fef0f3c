package console

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/curate"
)

// TestCatalogsAgree: every language has the same keys, each with the
// same fmt verbs, and no empty string.
func TestCatalogsAgree(t *testing.T) {
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	verbs := regexp.MustCompile(`%[sdv%]`)
	en := cats["en"]
	for _, name := range langNames {
		c := cats[name]
		for k, v := range en.msgs {
			w, ok := c.msgs[k]
			switch {
			case !ok:
				t.Errorf("%s lacks %q", name, k)
			case strings.TrimSpace(w) == "":
				t.Errorf("%s: %q is empty", name, k)
			case !slices.Equal(verbs.FindAllString(v, -1), verbs.FindAllString(w, -1)):
				t.Errorf("%s: %q has verbs %v, en has %v", name, k, verbs.FindAllString(w, -1), verbs.FindAllString(v, -1))
			}
		}
		for k := range c.msgs {
			if _, ok := en.msgs[k]; !ok {
				t.Errorf("%s has %q, en does not", name, k)
			}
		}
	}
}

// usedKeys is every catalog key the templates and the Go code name,
// literal or built from a known family.
func usedKeys(t *testing.T) []string {
	t.Helper()
	keys := map[string]bool{}
	lit := regexp.MustCompile(`\bT "([a-z0-9_.]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	goKey := regexp.MustCompile(`"((?:err|login|flash|resolve|queue|handoff|search|embed|time|sentiment|priority|nav|claim|filter|status|col|admin|cand|art|gaps|play|cal|ins|bulk|hist|imp|picker|list)\.[a-z0-9_.]+)"`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "audit.go" { // audit.go names audit actions, not catalog keys
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
	}
	// Keys built at run time.
	for _, r := range answer.HandoffReasons {
		keys["reason."+string(r)], keys["reason.help."+string(r)] = true, true
	}
	for _, r := range []apikey.Role{apikey.RoleCustomer, apikey.RoleAgent, apikey.RoleEditor, apikey.RoleAdmin} {
		keys["role."+r.String()] = true
	}
	for _, st := range []string{curate.StatusPending, curate.StatusApproved, curate.StatusMerged, curate.StatusRejected} {
		keys["candstatus."+st] = true
	}
	for _, v := range []string{answer.SuggestionAccepted, answer.SuggestionEdited, answer.SuggestionRejected} {
		keys["suggested.verdict."+v] = true
	}
	for _, role := range []string{answer.RoleCustomer, answer.RoleBot, answer.RoleAgent} {
		keys["turn."+role] = true
	}
	for _, st := range []answer.Status{answer.StatusPublished, answer.StatusDraft, answer.StatusArchived} {
		keys["artstatus."+string(st)] = true
	}
	for _, a := range []string{"create", "edit", "delete", "import", "promote", "rollback"} {
		keys["hist.action."+a] = true
	}
	for _, d := range []answer.Decision{answer.DecisionAnswer, answer.DecisionClarify, answer.DecisionHandoff} {
		keys["decision."+string(d)], keys["play.would."+string(d)] = true, true
	}
	for _, f := range append(slices.Clone(answer.FeatureNames), "feedback") {
		keys["feature."+f] = true
	}
	for a, m := range decidedMsg {
		keys["flash."+m], keys["candaction."+a] = true, true
	}
	for k := range keys {
		if strings.HasPrefix(k, "login.err.") && !strings.HasSuffix(k, ".do") {
			keys[k+".do"] = true // the sign-in page shows problem.do
		}
	}
	msg := regexp.MustCompile(`msg=([a-z_]+)`)
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range msg.FindAllStringSubmatch(string(b), -1) {
			keys["flash."+m[1]] = true
		}
	}
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestCatalogCoversUse: every key used exists in the catalogs.
func TestCatalogCoversUse(t *testing.T) {
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	used := usedKeys(t)
	if len(used) < 50 {
		t.Fatalf("found only %d used keys: the scan is broken", len(used))
	}
	for _, k := range used {
		if !cats["en"].Has(k) {
			t.Errorf("catalog key %q is used but not defined", k)
		}
	}
}

func TestPickLang(t *testing.T) {
	for _, tc := range []struct{ query, cookie, accept, want string }{
		{"", "", "", "zh-CN"},
		{"", "", "en-US,en;q=0.9", "en"},
		{"", "", "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"},
		{"", "", "zh-TW", "zh-CN"},
		{"", "", "fr-FR", "zh-CN"},
		{"", "", "fr-FR, en;q=0.5", "en"},
		{"", "en", "zh-CN", "en"},
		{"zh-cn", "en", "en", "zh-CN"},
		{"xx", "", "en", "en"},
		{"", "", "garbage;;q", "zh-CN"},
	} {
		if got := pickLang(tc.query, tc.cookie, tc.accept); got != tc.want {
			t.Errorf("pickLang(%q, %q, %q) = %q, want %q", tc.query, tc.cookie, tc.accept, got, tc.want)
		}
	}
}

func TestSafeNextAndLangURL(t *testing.T) {
	got := []string{
		safeNext("/console/handoffs?kb=a"), safeNext("//evil.example/console/"), safeNext("https://evil.example/"),
		safeNext("/v1/admin/keys"), safeNext("/console/\\evil"), safeNext(""),
		withLang("/console/search?q=%E8%BF%90&kb=shop", "en"), withLang("/console/handoffs", "zh-CN"),
	}
	want := []string{"/console/handoffs?kb=a", "", "", "", "", "", "/console/search?kb=shop&lang=en&q=%E8%BF%90", "/console/handoffs?lang=zh-CN"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPagesParse(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"login", "error", "queue", "handoff", "search", "embed", "candidates", "candidate", "bulk",
		"articles", "article", "history", "import", "gaps", "playground", "calibration", "insights", "admin"} {
		if pages[name] == nil {
			t.Errorf("no page %s", name)
		}
	}
	assets, version, err := loadAssets()
	if err != nil || len(version) != 12 {
		t.Fatalf("assets: %v, version %q", err, version)
	}
	for _, name := range []string{"htmx.min.js", "console.js", "console.css"} {
		if len(assets[name].body) == 0 {
			t.Errorf("asset %s is missing", name)
		}
	}
}
