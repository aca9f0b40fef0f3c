package channels

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/index"
)

// namespace roots the channels' point ids.
var namespace = uuid.MustParse("5d0b8a57-2c3e-4a8f-9b61-7e4c2f1d0a93")

// Options are a Service's collaborators.
type Options struct {
	// Kinds are the channel kinds this server speaks.
	Kinds []Kind
	// Logger receives the outbox's warnings (nil: discarded).
	Logger *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Service runs jieda's channels: the registry, the callbacks, the flow
// from a customer's message to an answer, and the outbox that carries
// the replies back with retries. See the package doc.
type Service struct {
	store   index.Store
	engine  *answer.Engine
	curator *curate.Curator
	kinds   map[string]Kind
	cfg     Config
	logger  *slog.Logger
	now     func() time.Time
	wake    chan struct{}
	seq     atomic.Int64
	passes  atomic.Int64 // Process passes done, for tests
	fails   atomic.Int64 // failed attempts, for Failures

	recvLocks [64]sync.Mutex // Receive's check-and-insert, per channel

	mu        sync.Mutex
	inflight  map[string]bool // conversations being worked on
	lastPrune time.Time
}

// New returns the channels service over the store, creating its
// collections when they are missing.
func New(ctx context.Context, store index.Store, engine *answer.Engine, curator *curate.Curator, cfg Config, o Options) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if store == nil || engine == nil || curator == nil {
		return nil, errors.New("channels need a store, an answer engine and a curator")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Service{
		store: store, engine: engine, curator: curator, kinds: map[string]Kind{}, cfg: cfg,
		logger: o.Logger, now: o.Now, wake: make(chan struct{}, 1), inflight: map[string]bool{},
	}
	for _, k := range o.Kinds {
		s.kinds[k.Name()] = k
	}
	for _, c := range []struct {
		name   string
		fields map[string]index.FieldType
	}{
		{ChannelsCollection, map[string]index.FieldType{"name": index.FieldKeyword}},
		{JobsCollection, map[string]index.FieldType{
			"channel": index.FieldKeyword, "conversation": index.FieldKeyword, "state": index.FieldKeyword,
			"seq": index.FieldInteger, "updated_at": index.FieldDatetime,
		}},
		{ReceiptsCollection, map[string]index.FieldType{"channel": index.FieldKeyword, "created_at": index.FieldDatetime}},
		{ConversationsCollection, map[string]index.FieldType{"channel": index.FieldKeyword, "updated_at": index.FieldDatetime}},
	} {
		if err := index.Ensure(ctx, store, index.CollectionConfig{Name: c.name, Sparse: true}, c.fields); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Ack is what Receive tells the channel's service.
type Ack struct {
	// Accepted counts the events queued for work.
	Accepted int `json:"accepted"`
	// Duplicates counts events seen before (the same message again).
	Duplicates int `json:"duplicates"`
	// Duplicate: the whole delivery was seen before.
	Duplicate bool `json:"duplicate,omitempty"`
	// Ignored says why the callback carried nothing to work on.
	Ignored string `json:"ignored,omitempty"`
}

// Receive takes one callback for channel name: the kind authenticates
// and reads it, deliveries and events seen before are dropped, new events
// are queued durably, and it returns at once (the work is done by Run).
// An unknown channel looks like a bad signature (ErrBadSignature).
func (s *Service) Receive(ctx context.Context, name string, req Request) (Ack, error) {
	ch, err := s.Channel(ctx, name)
	if errors.Is(err, ErrChannelNotFound) {
		return Ack{}, ErrBadSignature
	}
	if err != nil {
		return Ack{}, err
	}
	k, ok := s.kinds[ch.Kind]
	if !ok {
		return Ack{}, fmt.Errorf("channel %s is of kind %q, which this server does not speak", ch.Name, ch.Kind)
	}
	if req.Now.IsZero() {
		req.Now = s.now()
	}
	rec, err := k.Receive(ctx, ch, req)
	if err != nil {
		return Ack{}, err
	}
	mu := &s.recvLocks[hash(ch.Name)%uint32(len(s.recvLocks))]
	mu.Lock()
	defer mu.Unlock()
	ack := Ack{Ignored: rec.Ignored}
	receipt := ""
	if rec.Delivery != "" {
		receipt = receiptID(ch.Name, rec.Delivery)
		recs, err := s.store.Get(ctx, ReceiptsCollection, []string{receipt}, index.With{})
		if err != nil {
			return Ack{}, fmt.Errorf("reading delivery receipts: %w", err)
		}
		if len(recs) > 0 {
			return Ack{Duplicate: true}, nil
		}
	}
	now := s.now().UTC()
	for _, ev := range rec.Events {
		if ev.Key == "" || ev.Conversation == "" {
			return Ack{}, fmt.Errorf("%w: an event without a key or a conversation", ErrInvalidPayload)
		}
		j := newJob(ch.Name, ev, s.nextSeq(now), now)
		recs, err := s.store.Get(ctx, JobsCollection, []string{j.ID}, index.With{})
		if err != nil {
			return Ack{}, fmt.Errorf("reading channel jobs: %w", err)
		}
		if len(recs) > 0 {
			ack.Duplicates++
			continue
		}
		if err := s.saveJob(ctx, j); err != nil {
			return Ack{}, err
		}
		ack.Accepted++
	}
	if receipt != "" {
		p := index.Payload{"channel": ch.Name, "delivery": rec.Delivery, "created_at": now.Format(time.RFC3339Nano)}
		if err := s.store.Upsert(ctx, ReceiptsCollection, []index.Point{{ID: receipt, Payload: p}}); err != nil {
			return Ack{}, fmt.Errorf("saving the delivery receipt: %w", err)
		}
	}
	if ack.Accepted > 0 {
		s.Notify()
	}
	return ack, nil
}

func receiptID(channel, delivery string) string {
	return uuid.NewSHA1(namespace, []byte("receipt\x00"+channel+"\x00"+delivery)).String()
}

// nextSeq is a strictly increasing job sequence number (nanoseconds).
func (s *Service) nextSeq(now time.Time) int64 {
	for {
		last := s.seq.Load()
		n := max(now.UnixNano(), last+1)
		if s.seq.CompareAndSwap(last, n) {
			return n
		}
	}
}

// Failures counts the failed attempts of jobs since the service started
// (acting on an event or calling the channel's service), retried or not.
func (s *Service) Failures() int { return int(s.fails.Load()) }

// Notify wakes Run now. It never blocks.
func (s *Service) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run works on due jobs until ctx is done, then returns nil once the
// work in flight has stopped (an interrupted attempt is made again).
func (s *Service) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-s.wake:
		}
		next, err := s.Process(ctx)
		wait := s.cfg.ScanInterval
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.logger.Warn("working on channel jobs", "err", err)
			wait = min(wait, s.cfg.BackoffBase)
		}
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(s.now()), 5*time.Millisecond))
		}
		s.passes.Add(1)
		timer.Reset(wait)
	}
}

func hash(s string) uint32 {
	f := fnv.New32a()
	f.Write([]byte(s))
	return f.Sum32()
}
