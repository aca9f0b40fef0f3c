package console

// AuditedActions names the console's changes the audit log records, by
// route, with the action names the API uses for the same changes.
var AuditedActions = map[string]string{
	"POST /console/login":                      "console.login",
	"POST /console/handoffs/:id/claim":         "handoff.claim",
	"POST /console/handoffs/:id/release":       "handoff.release",
	"POST /console/handoffs/:id/resolve":       "handoff.resolve",
	"POST /console/candidates/bulk":            "candidate.bulk",
	"POST /console/candidates/:id/approve":     "candidate.approve",
	"POST /console/candidates/:id/reject":      "candidate.reject",
	"POST /console/candidates/:id/merge":       "candidate.merge",
	"POST /console/articles/import":            "article.import",
	"POST /console/articles/edit":              "article.put",
	"POST /console/articles/rollback":          "article.rollback",
	"POST /console/gaps/attach":                "article.variants",
	"POST /console/playground/variant":         "article.variants",
	"POST /console/calibration":                "kb.settings",
	"POST /console/admin/keys":                 "key.create",
	"POST /console/admin/keys/:id/revoke":      "key.revoke",
	"POST /console/admin/settings":             "kb.settings",
	"POST /console/admin/sources":              "source.put",
	"POST /console/admin/sources/:name/delete": "source.delete",
}

// NotAudited are the console's POST routes that change nothing recorded:
// signing out, and a test delivery of the KB's webhook.
var NotAudited = map[string]bool{
	"POST /console/logout":             true,
	"POST /console/admin/webhook-test": true,
}
