// Command jieda is a self-hosted answer engine for e-commerce customer service.
//
// This package is the binary: main, the cobra commands (one file each),
// configuration (viper: defaults < jieda.yaml or --config < JIEDA_*
// environment < flags; each package owns its part of Config), and one
// wiring function. It holds no domain logic and no HTTP handlers.
//
// # Wiring
//
// openSystem (wiring.go) opens the model, the store, the answer engine
// (with its webhook deliverer) and the curator, in that order, with their
// hooks fixed at construction (the PII scrubber, the revision history);
// system.Close closes them in reverse. serve, ask, gaps, import, eval,
// calibrate and bench ask all use it, and so do the end-to-end tests,
// which run serveOn (serve's own code) on a loopback listener.
//
// # Packages under internal/
//
//   - httpapi: the HTTP API (fiber): routes, handlers per resource, auth,
//     rate limits, the one error mapping, metrics and the OpenAPI document.
//   - apikey: the API key format, roles, hashing and storage.
//   - browsertest: headless Chromium for the browser tests.
//
// Commands: serve, config show, model list|pull|builtin|synth, import
// articles|resolved, keys create|list|revoke, ask, gaps, eval, calibrate,
// store backup|restore, migrate, bench embed|index|ask, version.
package main
