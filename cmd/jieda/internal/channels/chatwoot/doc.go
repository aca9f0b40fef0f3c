// Package chatwoot is jieda's Chatwoot channel: jieda as a Chatwoot agent
// bot. It implements channels.Kind: reading and verifying the agent bot's
// webhook events, posting messages and private notes, and opening a
// pending conversation for the human agents.
//
// # How Chatwoot talks to a bot
//
// These are Chatwoot's own rules, read from its source (chatwoot/chatwoot,
// paths below); the stand-in server in package chatwoottest follows them
// and the tests run against it.
//
//   - A conversation in an inbox with an active agent bot starts
//     "pending": the bot owns it. app/listeners/agent_bot_listener.rb
//     posts the bot's outgoing URL every message_created and
//     message_updated of the inbox (Message#webhook_sendable?: incoming,
//     outgoing and template messages, private notes included,
//     app/models/concerns/message_filter_helpers.rb) and the conversation
//     events conversation_opened, conversation_resolved and
//     conversation_status_changed. The bot therefore receives its own
//     replies, the agents' messages and private notes: only an incoming,
//     non-private message of a pending conversation is a question for it.
//   - The body is Message#webhook_data (app/models/message.rb) or the
//     conversation's webhook_data (app/presenters/conversations/
//     event_data_presenter.rb, whose "id" is the conversation's display
//     id, the id of the API's routes), merged with "event".
//   - lib/webhooks/trigger.rb posts it with X-Chatwoot-Delivery (a UUID
//     per event, the same on the job's retries) and, when the bot has a
//     secret, X-Chatwoot-Timestamp (unix seconds) and X-Chatwoot-Signature:
//     "sha256=" and the hex HMAC-SHA256 of "{timestamp}.{body}". It waits
//     WEBHOOK_TIMEOUT (default 5s); app/jobs/agent_bots/webhook_job.rb
//     retries a 429 or 500 three times; any other failure of a
//     message_created event opens the pending conversation (the bot
//     failed). So Receive answers at once and the work runs later.
//   - The bot answers through the API with its access token in the
//     api_access_token header. A bot token may only create messages and
//     toggle a conversation's status, assign and a few more
//     (BOT_ACCESSIBLE_ENDPOINTS, app/controllers/concerns/
//     access_token_auth_helper.rb): it cannot read a conversation's
//     messages, so jieda keeps the transcript itself from the events.
//   - POST /api/v1/accounts/{account_id}/conversations/{id}/messages with
//     {"content","message_type":"outgoing","private"} creates a message
//     (app/controllers/api/v1/accounts/conversations/messages_controller.rb;
//     the answer is messages/create.json.jbuilder); "private": true is a
//     note only agents see.
//   - POST …/conversations/{id}/toggle_status with {"status":"open"} from
//     a bot on a pending conversation is the bot handoff
//     (conversations_controller.rb#toggle_status, pending_to_open_by_bot?
//     → Conversation#bot_handoff!); the answer is toggle_status.json.jbuilder.
//
// # Settings
//
// A channel of kind "chatwoot" is registered with base_url (the Chatwoot
// installation), account_id, api_access_token (the agent bot's access
// token) and secret (the agent bot's webhook secret; Chatwoot versions
// without signed bot webhooks need allow_unsigned: true instead).
package chatwoot
