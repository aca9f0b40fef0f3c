// Command jieda is a self-hosted answer engine for e-commerce customer service.
//
// This package is the binary: CLI commands (cobra), configuration (viper:
// defaults < jieda.yaml or --config < JIEDA_* environment < flags), wiring of
// embed, index and answer, the HTTP server (fiber) with API-key auth and one
// JSON error handler. It holds no domain logic.
//
// Commands: serve, config show, model list|pull|builtin|synth, import
// articles, keys create|list|revoke, eval, store backup|restore, migrate,
// bench embed|index, version.
package main
