// Package curate turns agent replies into knowledge: promotion candidates,
// PII scrubbing, dedupe and clustering, the review queue, promotion into the
// knowledge base with versions and audit, and the knowledge-gap report.
//
// It never imports fiber, viper or Qdrant types. The domain code lands with
// its own issue; this package fixes the layout.
package curate
