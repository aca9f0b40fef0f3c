// Package soak drives a jieda server under mixed traffic while killing it
// (SIGKILL) at random moments and starting it again on the same store,
// then checks that nothing acknowledged was lost.
//
// # Basics
//
// Run starts `jieda serve` as a child process on a loopback port over a
// fresh store, imports a KB, registers a webhook receiver, and for the
// configured duration runs customers (questions, follow-ups, feedback),
// an importer (article batches), an agent (resolving handoffs) and an
// editor (approving candidates) while a killer SIGKILLs and restarts the
// server. Afterwards it restarts the server once more and checks:
//   - every acknowledged import batch is there in full, and no import is
//     half visible (a batch cut by a kill is all there or not at all);
//   - every handoff a customer was told about exists, is resolved when an
//     agent's resolution was acknowledged, and is delivered to the webhook
//     or pending with its retry state;
//   - every acknowledged candidate approval holds;
//   - no request got a 5xx while the server was up.
//
// The Report counts each of them.
package soak
