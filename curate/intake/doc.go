// Package intake reads resolved agent replies, the raw material of
// knowledge candidates, and decides which are worth reviewing. It owns
// parsing and the quality gate only: scrubbing, embedding, clustering and
// storage happen downstream in curate.
//
// # Basics
//
// A Resolved is one customer question with the human agent reply that
// resolved it. Three doors lead in:
//
//   - bulk import of historical tickets: ReadResolvedFile / ReadResolved
//     validate a whole JSONL or CSV file first and return a *FileError
//     listing every bad line with its number, so nothing is imported from
//     a partly valid file; Scan streams a large file item by item and
//     lets the caller skip lines done by an earlier, interrupted run;
//   - help-desk webhooks: ParseChatwoot for Chatwoot conversation events,
//     ParseGeneric for a documented generic JSON form, VerifySignature
//     (and VerifyChatwootSignature) for per-source HMAC-SHA256 secrets;
//   - resolved handoffs, which the caller builds as a Resolved directly.
//
// Every item then goes through Gate, which drops replies that carry no
// reusable knowledge (a greeting, "please wait", "transferred to a
// colleague", thanks and acknowledgements, or the agent's own "not
// reusable" mark) with a countable DropReason. Key gives each item a
// stable idempotency key so that re-running an import, or a webhook
// delivered twice, creates one candidate.
//
// # Caveats
//
// Gate works by phrase patterns for Chinese (simplified and traditional)
// and English: a reply in another language passes unless it is very
// short, and an unusual boilerplate phrasing passes too. It errs on the
// side of keeping, since an editor reviews every candidate.
//
// Chatwoot's own conversation events carry only the last message; see
// ParseChatwoot for how a relay sends the whole exchange. A conversation
// with several topics yields one item: the first question and the final
// answer.
package intake
