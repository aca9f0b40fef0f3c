package httpapi

import (
	"testing"

	"github.com/jieda/jieda/cmd/jieda/internal/console"
)

// Every route that changes something is audited under an action name, or
// is listed as one the audit leaves out; reads are not audited.
func TestAuditCoversEveryChange(t *testing.T) {
	app := New(DefaultConfig(), Deps{}, nil, Options{})
	seen := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		key := r.Method + " " + r.Path
		if seen[key] {
			continue
		}
		seen[key] = true
		_, audited := auditedActions[key]
		if _, ok := console.AuditedActions[key]; ok || console.NotAudited[key] {
			audited = true // the console records its own (console.audit)
		}
		switch r.Method {
		case "GET", "HEAD", "OPTIONS":
			if audited && key != "GET /v1/admin/backup" {
				t.Errorf("%s reads but is audited", key)
			}
		default:
			if !audited && !notAudited[key] && !console.NotAudited[key] {
				t.Errorf("%s changes something but is neither audited nor listed in notAudited", key)
			}
		}
	}
	for _, m := range []map[string]string{auditedActions, console.AuditedActions} {
		for key := range m {
			if !seen[key] {
				t.Errorf("an audited action names %s, which is not a route", key)
			}
		}
	}
}
