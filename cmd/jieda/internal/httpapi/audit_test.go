package httpapi

import (
	"testing"
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
		switch r.Method {
		case "GET", "HEAD", "OPTIONS":
			if audited && key != "GET /v1/admin/backup" {
				t.Errorf("%s reads but is audited", key)
			}
		default:
			if !audited && !notAudited[key] {
				t.Errorf("%s changes something but is neither audited nor listed in notAudited", key)
			}
		}
	}
	for key := range auditedActions {
		if !seen[key] {
			t.Errorf("auditedActions names %s, which is not a route", key)
		}
	}
}
