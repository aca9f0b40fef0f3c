package chatwoot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jieda/jieda/cmd/jieda/internal/channels"
)

// Send implements channels.Kind: POST
// /api/v1/accounts/{account_id}/conversations/{id}/messages with
// {"content", "message_type": "outgoing", "private"}.
func (k *Kind) Send(ctx context.Context, ch channels.Channel, conversation string, m channels.Message) error {
	body := map[string]any{"content": m.Text, "message_type": "outgoing", "private": m.Private}
	return k.call(ctx, ch, conversation, "messages", body)
}

// Transfer implements channels.Kind: POST
// /api/v1/accounts/{account_id}/conversations/{id}/toggle_status with
// {"status": "open"}, Chatwoot's bot handoff of a pending conversation.
func (k *Kind) Transfer(ctx context.Context, ch channels.Channel, conversation string) error {
	return k.call(ctx, ch, conversation, "toggle_status", map[string]any{"status": "open"})
}

// call POSTs body to a conversation's route with the bot's token. A
// 2xx answer is success; 408, 429, 5xx and network errors are worth a
// retry; any other status is permanent (a bad token, an unknown
// conversation or account).
func (k *Kind) call(ctx context.Context, ch channels.Channel, conversation, route string, body any) error {
	s, err := settingsOf(ch)
	if err != nil {
		return &channels.DeliveryError{Permanent: true, Err: err}
	}
	if !digits.MatchString(conversation) {
		return &channels.DeliveryError{Permanent: true, Err: fmt.Errorf("conversation id %q is not a Chatwoot id", conversation)}
	}
	js, err := json.Marshal(body)
	if err != nil {
		return &channels.DeliveryError{Permanent: true, Err: err}
	}
	target := s.BaseURL + "/api/v1/accounts/" + strconv.FormatInt(s.AccountID, 10) + "/conversations/" + conversation + "/" + route
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(js))
	if err != nil {
		return &channels.DeliveryError{Permanent: true, Err: fmt.Errorf("bad Chatwoot URL: %w", stripURL(err))}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "jieda-channel/1")
	req.Header.Set("api_access_token", s.APIAccessToken)
	resp, err := k.client.Do(req)
	if err != nil {
		return &channels.DeliveryError{Err: fmt.Errorf("chatwoot %s: %w", route, stripURL(err))}
	}
	defer func() { _ = resp.Body.Close() }() // the answer is read: nothing to lose
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	msg := fmt.Sprintf("chatwoot %s: status %s", route, resp.Status)
	if t := strings.TrimSpace(strings.ToValidUTF8(string(snippet), "\uFFFD")); t != "" {
		msg += ": " + t
	}
	st := resp.StatusCode
	retry := st == http.StatusRequestTimeout || st == http.StatusTooManyRequests || st >= 500
	return &channels.DeliveryError{Status: st, Permanent: !retry, Err: errors.New(msg)}
}

// stripURL drops the URL from an HTTP client error (it is logged and kept on jobs).
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
