// Package console is jieda's web console, served by `jieda serve` at
// /console/: the agents' workspace (handoff queue, handoff, suggested
// answers, search, a page a help desk embeds), the editors' workspace
// (review queue, articles with history and rollback, import and export,
// knowledge gaps, playground, calibration, insights) and the
// administration (keys, webhook, intake sources).
//
// # Basics
//
// Pages are html/template files rendered on the server and embedded in
// the binary with the stylesheet, a small script of the console's own and
// a vendored htmx (static/htmx.min.js, 2.0.11, BSD-0) for partial
// updates; nothing is built or fetched at run time. People sign in with
// an API key (agent, editor or admin): the session is a random token in
// an HttpOnly, SameSite=Strict cookie (Secure under TLS) naming a record
// in the store's console_sessions collection, so that sessions survive a
// restart and are shared by replicas. Sessions end after an idle time
// and at an absolute age, and at sign-out, server-side. Every POST carries
// the session's CSRF token (a form field or the X-CSRF-Token header).
//
// A page asks the domain (answer, curate) with the principal of the
// session's key, re-read on every request (a revoked key ends its
// sessions), and checks roles and KB scopes with the same authz methods
// as the JSON API: there is no second authorization path.
//
// Every string a person reads comes from the catalog of their language
// (i18n/en.json, i18n/zh-CN.json), chosen from Accept-Language or the
// language switch (?lang=).
//
// # Caveats
//
// The queue's live updates come from the answer package's in-process
// handoff feed over server-sent events: with several replicas a page sees
// its own replica's changes at once and the others' within the queue's
// 30-second refresh.
package console
