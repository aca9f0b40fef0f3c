package chatwoot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jieda/jieda/cmd/jieda/internal/channels"
	"github.com/jieda/jieda/curate/intake"
)

// KindName is the kind's name in channel records.
const KindName = "chatwoot"

// Request headers of Chatwoot's webhooks (lib/webhooks/trigger.rb).
const (
	HeaderSignature = "X-Chatwoot-Signature"
	HeaderTimestamp = "X-Chatwoot-Timestamp"
	HeaderDelivery  = "X-Chatwoot-Delivery"
)

// MaxSkew bounds how far a signed webhook's timestamp may be from now.
const MaxSkew = 5 * time.Minute

// Secret length bounds (Chatwoot's bot secrets are generated tokens).
const (
	MinSecretLen = 16
	MaxSecretLen = 256
	maxTokenLen  = 256
)

// Settings are a Chatwoot channel's settings.
type Settings struct {
	// BaseURL is the Chatwoot installation, "https://chatwoot.example.com".
	BaseURL string `json:"base_url"`
	// AccountID is the Chatwoot account of the inbox.
	AccountID int64 `json:"account_id"`
	// APIAccessToken is the agent bot's access token (a secret).
	APIAccessToken string `json:"api_access_token"`
	// Secret is the agent bot's webhook secret, which signs its events (a secret).
	Secret string `json:"secret,omitempty"`
	// AllowUnsigned accepts events without a signature, for Chatwoot
	// versions that do not sign bot webhooks. A signature that is sent is
	// still checked when Secret is set.
	AllowUnsigned bool `json:"allow_unsigned,omitempty"`
}

// Options configure the kind.
type Options struct {
	// Client makes the calls to Chatwoot's API. All of jieda's outbound
	// HTTP goes through the client the wiring builds, so egress rules are
	// applied in one place; nil uses a plain client (no redirects).
	Client *http.Client
	// CheckURL, when set, refuses a base_url jieda may not call (the
	// egress rules: no internal destinations unless allowed).
	CheckURL func(string) error
}

// Kind is the Chatwoot agent bot channel kind.
type Kind struct {
	client   *http.Client
	checkURL func(string) error
}

var _ channels.Kind = (*Kind)(nil)

// New returns the kind.
func New(o Options) *Kind {
	c := o.Client
	if c == nil {
		c = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Kind{client: c, checkURL: o.CheckURL}
}

// Name implements channels.Kind.
func (*Kind) Name() string { return KindName }

// Settings implements channels.Kind: it validates the PUT body's
// Chatwoot fields and refuses unknown ones.
func (k *Kind) Settings(raw json.RawMessage) (json.RawMessage, error) {
	var in struct {
		Settings
		// The registry's own fields.
		Kind           string `json:"kind"`
		KB             string `json:"kb"`
		HandoffMessage string `json:"handoff_message"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, err
	}
	s := in.Settings
	s.BaseURL = strings.TrimRight(strings.TrimSpace(s.BaseURL), "/")
	var errs []error
	u, err := url.Parse(s.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		errs = append(errs, fmt.Errorf("base_url %q must be the Chatwoot installation's http(s) URL, like https://chatwoot.example.com", s.BaseURL))
	} else if k.checkURL != nil {
		if err := k.checkURL(s.BaseURL); err != nil {
			errs = append(errs, fmt.Errorf("base_url: %w", err))
		}
	}
	if s.AccountID < 1 {
		errs = append(errs, errors.New("account_id must be the Chatwoot account's id (a positive number)"))
	}
	if s.APIAccessToken == "" || len(s.APIAccessToken) > maxTokenLen || strings.ContainsAny(s.APIAccessToken, " \t\r\n") {
		errs = append(errs, errors.New("api_access_token must be the agent bot's access token"))
	}
	switch {
	case s.Secret == "" && !s.AllowUnsigned:
		errs = append(errs, errors.New("secret (the agent bot's webhook secret) is required; for a Chatwoot that does not sign bot webhooks set allow_unsigned: true"))
	case s.Secret != "" && (len(s.Secret) < MinSecretLen || len(s.Secret) > MaxSecretLen || !utf8.ValidString(s.Secret)):
		errs = append(errs, fmt.Errorf("secret must be %d to %d characters", MinSecretLen, MaxSecretLen))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

func settingsOf(ch channels.Channel) (Settings, error) {
	var s Settings
	if err := json.Unmarshal(ch.Settings, &s); err != nil {
		return s, fmt.Errorf("channel %s: damaged settings: %w", ch.Name, err)
	}
	return s, nil
}

// Public implements channels.Kind: the settings without the token and the secret.
func (*Kind) Public(raw json.RawMessage) map[string]any {
	var s Settings
	_ = json.Unmarshal(raw, &s)
	return map[string]any{
		"base_url": s.BaseURL, "account_id": s.AccountID, "allow_unsigned": s.AllowUnsigned,
		"has_api_access_token": s.APIAccessToken != "", "has_secret": s.Secret != "",
	}
}

// Receive implements channels.Kind: it verifies the signature (see the
// package doc) and reads the event.
func (*Kind) Receive(_ context.Context, ch channels.Channel, req channels.Request) (channels.Receipt, error) {
	s, err := settingsOf(ch)
	if err != nil {
		return channels.Receipt{}, err
	}
	sig, ts := req.Header.Get(HeaderSignature), req.Header.Get(HeaderTimestamp)
	switch {
	case s.Secret != "" && sig != "":
		if !intake.VerifyChatwootSignature(s.Secret, ts, req.Body, sig) {
			return channels.Receipt{}, channels.ErrBadSignature
		}
		sec, err := strconv.ParseInt(ts, 10, 64)
		if d := req.Now.Sub(time.Unix(sec, 0)); err != nil || d > MaxSkew || d < -MaxSkew {
			return channels.Receipt{}, fmt.Errorf("%w (more than %s off): a replay?", channels.ErrStaleSignature, MaxSkew)
		}
	case s.AllowUnsigned:
	default:
		return channels.Receipt{}, channels.ErrBadSignature
	}
	events, ignored, err := parse(req.Body)
	if err != nil {
		return channels.Receipt{}, err
	}
	return channels.Receipt{Delivery: strings.TrimSpace(req.Header.Get(HeaderDelivery)), Events: events, Ignored: ignored}, nil
}
