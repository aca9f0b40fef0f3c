package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/index"
)

// ChannelsCollection holds the registered channels.
const ChannelsCollection = "channels"

// Channel is one registered channel: a kind, the KB it answers from, and
// the kind's settings.
type Channel struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	KB   string `json:"kb"`
	// HandoffMessage is what a customer reads when jieda hands them to
	// the agents; "" uses jieda's own, in the customer's language.
	HandoffMessage string `json:"handoff_message,omitempty"`
	// Settings are the kind's settings, secrets included: they never
	// leave the server (View shows Kind.Public of them).
	Settings  json.RawMessage `json:"settings"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// View is a channel as the admin API shows it: name, kind, kb, the
// kind's public settings, created_at, updated_at and webhook_path (where
// the service posts its callbacks). Never a secret.
type View map[string]any

// WebhookPath is the path a channel's service posts its callbacks to.
func WebhookPath(name string) string { return "/v1/channels/" + name + "/webhook" }

func (s *Service) view(ch Channel) View {
	v := View{}
	if k, ok := s.kinds[ch.Kind]; ok {
		maps.Copy(v, k.Public(ch.Settings))
	}
	v["name"], v["kind"], v["kb"], v["handoff_message"] = ch.Name, ch.Kind, ch.KB, ch.HandoffMessage
	v["created_at"], v["updated_at"] = ch.CreatedAt.UTC().Format(time.RFC3339), ch.UpdatedAt.UTC().Format(time.RFC3339)
	v["webhook_path"] = WebhookPath(ch.Name)
	return v
}

func channelPointID(name string) string {
	return uuid.NewSHA1(namespace, []byte("channel\x00"+name)).String()
}

// MaxHandoffMessage bounds a channel's handoff message, in characters.
const MaxHandoffMessage = 1000

// Put creates or replaces channel name from the admin API's body:
// {"kind": …, "kb": …, "handoff_message": …, and the kind's settings}.
// The KB must exist.
func (s *Service) Put(ctx context.Context, name string, body json.RawMessage) (View, error) {
	if err := answer.ValidateID(name); err != nil {
		return nil, fmt.Errorf("%w: name: %w", ErrInvalidChannel, err)
	}
	var head struct {
		Kind           string `json:"kind"`
		KB             string `json:"kb"`
		HandoffMessage string `json:"handoff_message"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidChannel, err)
	}
	if n := utf8.RuneCountInString(head.HandoffMessage); n > MaxHandoffMessage || !utf8.ValidString(head.HandoffMessage) {
		return nil, fmt.Errorf("%w: handoff_message must be valid text of at most %d characters", ErrInvalidChannel, MaxHandoffMessage)
	}
	k, ok := s.kinds[head.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: kind %q must be one of %s", ErrInvalidChannel, head.Kind, strings.Join(slices.Sorted(maps.Keys(s.kinds)), ", "))
	}
	if err := answer.ValidateID(head.KB); err != nil {
		return nil, fmt.Errorf("%w: kb: %w", ErrInvalidChannel, err)
	}
	if err := s.engine.KnownKB(ctx, head.KB); err != nil {
		return nil, err
	}
	settings, err := k.Settings(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidChannel, err)
	}
	now := s.now().UTC().Truncate(time.Second)
	ch := Channel{Name: name, Kind: head.Kind, KB: head.KB, HandoffMessage: strings.TrimSpace(head.HandoffMessage),
		Settings: settings, CreatedAt: now, UpdatedAt: now}
	if old, err := s.Channel(ctx, name); err == nil {
		ch.CreatedAt = old.CreatedAt
	} else if !errors.Is(err, ErrChannelNotFound) {
		return nil, err
	}
	p, err := index.DocPayload(ch, index.Payload{"name": name})
	if err != nil {
		return nil, err
	}
	if err := s.store.Upsert(ctx, ChannelsCollection, []index.Point{{ID: channelPointID(name), Payload: p}}); err != nil {
		return nil, fmt.Errorf("saving channel %s: %w", name, err)
	}
	return s.view(ch), nil
}

// Channel returns channel name, secrets included; an unknown one is ErrChannelNotFound.
func (s *Service) Channel(ctx context.Context, name string) (Channel, error) {
	if answer.ValidateID(name) != nil {
		return Channel{}, fmt.Errorf("%w: %q", ErrChannelNotFound, name)
	}
	recs, err := s.store.Get(ctx, ChannelsCollection, []string{channelPointID(name)}, index.With{Payload: true})
	if err != nil {
		return Channel{}, fmt.Errorf("reading channel %s: %w", name, err)
	}
	if len(recs) == 0 {
		return Channel{}, fmt.Errorf("%w: %q (an admin registers it with PUT /v1/admin/channels/%s)", ErrChannelNotFound, name, name)
	}
	return index.DecodeDoc[Channel](recs[0], index.DocKey)
}

// Get returns the admin view of channel name.
func (s *Service) Get(ctx context.Context, name string) (View, error) {
	ch, err := s.Channel(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.view(ch), nil
}

// List returns every channel's admin view, by name.
func (s *Service) List(ctx context.Context) ([]View, error) {
	var chs []Channel
	err := index.ScrollAll(ctx, s.store, ChannelsCollection, index.ScrollRequest{Limit: 256, With: index.With{Payload: true}}, func(r index.Record) error {
		ch, err := index.DecodeDoc[Channel](r, index.DocKey)
		if err != nil {
			return err
		}
		chs = append(chs, ch)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing channels: %w", err)
	}
	slices.SortFunc(chs, func(a, b Channel) int { return strings.Compare(a.Name, b.Name) })
	out := make([]View, len(chs))
	for i, ch := range chs {
		out[i] = s.view(ch)
	}
	return out, nil
}

// Delete removes channel name; its pending jobs fail when they next run.
// An unknown one is ErrChannelNotFound.
func (s *Service) Delete(ctx context.Context, name string) error {
	if _, err := s.Channel(ctx, name); err != nil {
		return err
	}
	if err := s.store.Delete(ctx, ChannelsCollection, []string{channelPointID(name)}); err != nil {
		return fmt.Errorf("deleting channel %s: %w", name, err)
	}
	return nil
}
