// Package curate turns agent replies into knowledge: promotion candidates,
// PII scrubbing, dedupe and clustering, the review queue, promotion into the
// knowledge base with versions and audit, and the knowledge-gap report.
//
// It never imports fiber, viper or Qdrant types.
//
// # Intake
//
// A [Curator] takes resolved replies in (Intake): from a handoff an agent
// resolves (ResolveHandoff, which resolves and takes the reply in as one
// call), from files of past tickets (jieda import resolved), and from
// help-desk webhooks (IntakeWebhook, for the sources an admin registers
// with PutSource; each request must carry the source's signature). Quality
// gates (package intake) drop greetings and holding replies; personal
// data is replaced by placeholders (package pii) before anything is stored
// or embedded.
//
// # Review
//
// Each candidate is matched against the KB (a reply that repeats an
// article's answer, or a question the KB already answers confidently,
// suggests a variant of that article) or clustered with pending ones. The
// review queue (List, Get) is ordered by impact. Decide applies an
// editor's Review (approve, edit-and-approve, merge into an article,
// reject); DecideMany applies one to many candidates. Promotion is live at
// once.
//
// # History and audit
//
// [History] records every article write as an immutable revision (it is
// the answer engine's change observer) with diff and rollback; [Audit]
// records who changed what, from the API and the command line.
//
// # Gaps
//
// Gaps clusters the questions that were handed off for want of knowledge
// or answered with a "did you mean" and that no candidate covers yet, with
// counts, trend and the nearest article.
package curate
