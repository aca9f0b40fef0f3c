package answer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Webhook test errors.
var (
	// ErrNoWebhook reports a test of a KB without a webhook, or of an
	// engine that delivers none (Options.Webhook unset).
	ErrNoWebhook = errors.New("no webhook to test")
	// ErrWebhookFailed reports a test delivery the receiver did not accept.
	ErrWebhookFailed = errors.New("webhook test delivery failed")
)

// EventWebhookTest is the event of a test delivery.
const EventWebhookTest = "webhook.test"

// TestWebhook sends kb's webhook one signed "webhook.test" event carrying
// a sample handoff, once, and says whether the receiver accepted it
// (ErrWebhookFailed with its answer otherwise). Nothing is stored.
func (e *Engine) TestWebhook(ctx context.Context, kb string) error {
	if e.webhooks == nil {
		return fmt.Errorf("%w: this server does not deliver webhooks", ErrNoWebhook)
	}
	st, _, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return err
	}
	if st.Webhook.URL == "" {
		return fmt.Errorf("%w: knowledge base %s has no webhook url", ErrNoWebhook, kb)
	}
	now := e.now().UTC().Truncate(time.Millisecond)
	h := Handoff{ID: uuid.NewString(), KB: kb, Question: "jieda webhook test", Reason: ReasonCustomerRequest,
		Status: HandoffOpen, CreatedAt: now, UpdatedAt: now}
	if err := e.webhooks.post(ctx, st.Webhook.URL, st.Webhook.Secret, h, EventWebhookTest, 1); err != nil {
		return fmt.Errorf("%w: %w", ErrWebhookFailed, err)
	}
	return nil
}
