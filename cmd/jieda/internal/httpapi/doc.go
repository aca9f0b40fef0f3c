// Package httpapi is jieda's HTTP API: the /v1 JSON routes, /healthz,
// /readyz, /metrics and the OpenAPI document, on fiber.
//
// # Basics
//
// New builds the app over Deps (the loaded model, store, answer engine and
// curator, or why one did not load: /readyz reports it and the API answers
// 503 meanwhile). Every /v1 route declares the role it needs (require):
// API keys of the roles customer < agent < editor < admin, scoped to KBs
// (authorizeKB). A handler decodes its input, calls one domain method and
// encodes the result; errors map to a status and the body
// {"error":{"code","message"}} in one place (errors.go).
//
// # Caveats
//
// The app runs fiber Immutable: strings read from a request are copies, so
// handlers may hand them to the domain, which keeps some (cache keys).
// Rate limits and the key cache are per process.
package httpapi
