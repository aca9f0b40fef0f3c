// Package channels puts jieda where customers are: help desks and
// messaging services whose conversations jieda answers as a bot, hands
// to human agents, and learns from once they are resolved. It owns the
// domain side of every channel (no HTTP server types): the registry of
// channels in the store, the flow from a customer's message to an
// answer, deduplication, and a durable outbox with retries. A [Kind]
// speaks one service's wire format (package chatwoot).
//
// # The flow
//
// [Service.Receive] takes one callback: the kind authenticates it and
// reads it into [Event]s; a delivery id seen before, or an event seen
// before (the same message again), is acknowledged and dropped; new
// events are stored as jobs, and Receive returns at once (Chatwoot waits
// five seconds, then treats the bot as failed).
//
// [Service.Run] works on the jobs, one at a time per conversation and in
// arrival order, several conversations at once. A job first acts on its
// event, once:
//
//   - a message is recorded in the conversation's transcript;
//   - a customer's message in a conversation the bot owns (Event.Act) is
//     asked through answer.Engine.Ask, in jieda's conversation
//     ConversationID(channel, conversation) (so follow-ups have their
//     context): an answer is sent; a clarify is sent as numbered options,
//     and the next message picks one by number ("2", "２", "第二个") or by
//     text; a handoff sends the agents a private note (reason,
//     confidence, the question, jieda's top three articles with their
//     answers), the customer the handoff message, and transfers the
//     conversation to humans. jieda's handoff record is made by Ask as for
//     any question, so the agents' queue and the KB's webhook see it;
//   - a resolved conversation's exchange since the handoff feeds curation
//     (see onResolved), resolving jieda's handoff with the agent's reply.
//
// Then it makes the decided steps in order, each saved once it
// succeeded, so a retry never repeats a message the service took.
//
// # Retries
//
// A failed step (the service down, a 5xx, a timeout) is retried with
// doubling backoff (Config) until Config.GiveUpAfter; a failure that
// cannot heal (a 4xx: a wrong token, an unknown conversation) gives up
// at once. Later jobs of the conversation wait behind a retrying one, so
// replies never overtake each other. Jobs live in the store: a restart,
// or another replica, picks them up.
//
// # Caveats
//
// Delivery is at least once where the service gives no idempotency key:
// when a call succeeded at the service but its answer was lost (a
// timeout after the message was created), the retry sends it again. A
// crash between the decision and saving it asks the question again (a
// second handoff record). Deduplication holds within Config.Retention.
// Two replicas receiving the same callback at the same instant may both
// queue it; one process never does.
package channels
