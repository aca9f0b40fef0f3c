package curate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate/intake"
	"github.com/jieda/jieda/index"
)

// SourcesCollection holds the help-desk sources allowed to post resolved
// conversations (POST /v1/intake/{source}).
const SourcesCollection = "intake_sources"

// Intake source kinds.
const (
	// SourceChatwoot takes Chatwoot's webhook events, signed Chatwoot's way.
	SourceChatwoot = "chatwoot"
	// SourceGeneric takes the documented {question, reply, agent, csat,
	// resolved_at, ticket, reusable}, signed with X-Jieda-Signature.
	SourceGeneric = "generic"
)

// Secret length bounds of an intake source.
const (
	MinSecretLen = 16
	MaxSecretLen = 256
)

// MaxWebhookSkew bounds how old (or early) a signed webhook timestamp may be.
const MaxWebhookSkew = 5 * time.Minute

// IntakeSource is one help desk (or other system) feeding resolved replies.
type IntakeSource struct {
	Name string `json:"name"`
	// Kind is SourceChatwoot or SourceGeneric.
	Kind string `json:"kind"`
	KB   string `json:"kb"`
	// Secret signs the source's requests (HMAC-SHA256); never returned.
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks the name, kind, KB and secret.
func (s *IntakeSource) Validate() error {
	if err := answer.ValidateID(s.Name); err != nil {
		return fmt.Errorf("%w: name: %w", ErrInvalidSource, err)
	}
	if s.Kind != SourceChatwoot && s.Kind != SourceGeneric {
		return fmt.Errorf("%w: kind %q must be chatwoot or generic", ErrInvalidSource, s.Kind)
	}
	if err := answer.ValidateID(s.KB); err != nil {
		return fmt.Errorf("%w: kb: %w", ErrInvalidSource, err)
	}
	if len(s.Secret) < MinSecretLen || len(s.Secret) > MaxSecretLen || !utf8.ValidString(s.Secret) {
		return fmt.Errorf("%w: secret must be %d to %d characters", ErrInvalidSource, MinSecretLen, MaxSecretLen)
	}
	return nil
}

func sourcePointID(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("intake-source\x00"+name)).String()
}

// PutSource creates or replaces an intake source (its CreatedAt is now).
func (c *Curator) PutSource(ctx context.Context, src IntakeSource) (IntakeSource, error) {
	if err := src.Validate(); err != nil {
		return IntakeSource{}, err
	}
	src.CreatedAt = c.now().UTC().Truncate(time.Second)
	p, err := index.DocPayload(src, index.Payload{"name": src.Name})
	if err != nil {
		return IntakeSource{}, err
	}
	if err := c.store.Upsert(ctx, SourcesCollection, []index.Point{{ID: sourcePointID(src.Name), Payload: p}}); err != nil {
		return IntakeSource{}, fmt.Errorf("saving intake source %s: %w", src.Name, err)
	}
	return src, nil
}

// Source returns the intake source name, secret included; an unknown one is ErrSourceNotFound.
func (c *Curator) Source(ctx context.Context, name string) (IntakeSource, error) {
	if err := answer.ValidateID(name); err != nil {
		return IntakeSource{}, fmt.Errorf("%w: name %w", ErrInvalidSource, err)
	}
	recs, err := c.store.Get(ctx, SourcesCollection, []string{sourcePointID(name)}, index.With{Payload: true})
	if err != nil {
		return IntakeSource{}, fmt.Errorf("reading intake source %s: %w", name, err)
	}
	if len(recs) == 0 {
		return IntakeSource{}, fmt.Errorf("%w: %q (an admin creates it with PUT /v1/admin/intake-sources/%s)", ErrSourceNotFound, name, name)
	}
	return decodeSource(recs[0])
}

// decodeSource reads a source; sources stored before the "doc" key used "source".
func decodeSource(r index.Record) (IntakeSource, error) {
	key := index.DocKey
	if _, ok := r.Payload[key]; !ok {
		key = "source"
	}
	return index.DecodeDoc[IntakeSource](r, key)
}

// Sources lists every intake source, secrets left out.
func (c *Curator) Sources(ctx context.Context) ([]IntakeSource, error) {
	out := []IntakeSource{}
	err := index.ScrollAll(ctx, c.store, SourcesCollection, index.ScrollRequest{Limit: 256, With: index.With{Payload: true}}, func(r index.Record) error {
		src, err := decodeSource(r)
		if err != nil {
			return err
		}
		src.Secret = ""
		out = append(out, src)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing intake sources: %w", err)
	}
	return out, nil
}

// DeleteSource removes an intake source; an unknown one is ErrSourceNotFound.
func (c *Curator) DeleteSource(ctx context.Context, name string) error {
	if _, err := c.Source(ctx, name); err != nil {
		return err
	}
	if err := c.store.Delete(ctx, SourcesCollection, []string{sourcePointID(name)}); err != nil {
		return fmt.Errorf("deleting intake source %s: %w", name, err)
	}
	return nil
}

// Signature is how a webhook request was signed: the headers a source's
// kind reads.
type Signature struct {
	// Jieda is X-Jieda-Signature: "sha256=<hex HMAC of the body>".
	Jieda string
	// Chatwoot is X-Chatwoot-Signature and ChatwootTimestamp
	// X-Chatwoot-Timestamp (unix seconds), Chatwoot's own scheme.
	Chatwoot, ChatwootTimestamp string
}

// WebhookIntake is what a help desk's webhook delivered.
type WebhookIntake struct {
	Accepted bool `json:"accepted"`
	// Reason says why an event was not taken in (not a resolved conversation…).
	Reason string        `json:"reason,omitempty"`
	Intake *IntakeReport `json:"intake,omitempty"`
}

// IntakeWebhook takes a resolved conversation that source name posted:
// the signature must verify under the source's secret (an unknown source
// looks like a bad signature, ErrBadSignature), a Chatwoot timestamp must
// be within MaxWebhookSkew of now (ErrStaleSignature), and the body must
// parse as the source's kind (intake's errors otherwise).
func (c *Curator) IntakeWebhook(ctx context.Context, name string, sig Signature, body []byte) (WebhookIntake, error) {
	src, err := c.Source(ctx, name)
	if err != nil {
		if isNotFound(err) {
			return WebhookIntake{}, ErrBadSignature
		}
		return WebhookIntake{}, err
	}
	var item intake.Resolved
	switch src.Kind {
	case SourceChatwoot:
		if !intake.VerifyChatwootSignature(src.Secret, sig.ChatwootTimestamp, body, sig.Chatwoot) &&
			!intake.VerifySignature(src.Secret, body, sig.Jieda) {
			return WebhookIntake{}, ErrBadSignature
		}
		if ts := sig.ChatwootTimestamp; ts != "" && !freshTimestamp(ts, c.now()) {
			return WebhookIntake{}, fmt.Errorf("%w (more than %s off): a replay?", ErrStaleSignature, MaxWebhookSkew)
		}
		item, err = intake.ParseChatwoot(body)
		if isNotResolved(err) {
			return WebhookIntake{Reason: err.Error()}, nil
		}
	default:
		if !intake.VerifySignature(src.Secret, body, sig.Jieda) {
			return WebhookIntake{}, ErrBadSignature
		}
		item, err = intake.ParseGeneric(body)
	}
	if err != nil {
		return WebhookIntake{}, err
	}
	if item.Source == "" {
		item.Source = src.Name
	}
	if err := c.eng.KnownKB(ctx, src.KB); err != nil {
		return WebhookIntake{}, err
	}
	rep, err := c.Intake(ctx, src.KB, []intake.Resolved{item}, Source{Name: src.Name})
	if err != nil {
		return WebhookIntake{}, err
	}
	return WebhookIntake{Accepted: true, Intake: &rep}, nil
}

// freshTimestamp reports whether unix-seconds ts is within MaxWebhookSkew of now.
func freshTimestamp(ts string, now time.Time) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := now.Sub(time.Unix(sec, 0))
	return d <= MaxWebhookSkew && d >= -MaxWebhookSkew
}

func isNotFound(err error) bool { return errors.Is(err, ErrSourceNotFound) }

// isNotResolved reports a Chatwoot event that is acknowledged and ignored.
func isNotResolved(err error) bool {
	return errors.Is(err, intake.ErrNotResolved) || errors.Is(err, intake.ErrNoExchange)
}
