package answer

import (
	"context"
	"sync"
	"time"
)

// HandoffEventType says what happened to a handoff.
type HandoffEventType string

// Handoff event types.
const (
	HandoffEventCreated HandoffEventType = "created"
	// HandoffEventContinued: the customer asked again in the handoff's
	// conversation; its turns grew (HandoffStore.Continue).
	HandoffEventContinued HandoffEventType = "continued"
	HandoffEventClaimed   HandoffEventType = "claimed"
	HandoffEventReleased  HandoffEventType = "released"
	HandoffEventResolved  HandoffEventType = "resolved"
)

// HandoffEvent tells a subscriber that a handoff changed (read it with
// Get or List for the rest).
type HandoffEvent struct {
	Type     HandoffEventType `json:"type"`
	ID       string           `json:"id"`
	KB       string           `json:"kb"`
	Priority int              `json:"priority"`
	At       time.Time        `json:"at"`
}

// feedBuffer is how many events a slow subscriber may fall behind before
// further events to it are dropped.
const feedBuffer = 32

// handoffFeed fans a HandoffStore's changes out to subscribers, in
// process. Its zero value is ready.
type handoffFeed struct {
	mu   sync.Mutex
	subs map[chan HandoffEvent]struct{}
}

// Subscribe returns the events of handoffs created, claimed, released and
// resolved through this HandoffStore from now on, until ctx ends (then
// the channel is closed).
//
// # Caveats
//
// The feed is in-process: with several server replicas sharing a store,
// a subscriber sees only its own replica's changes (poll List to see the
// others'). A subscriber more than a few dozen events behind loses the
// newer ones; callers that reload the queue on any event lose nothing
// they would show.
func (s *HandoffStore) Subscribe(ctx context.Context) <-chan HandoffEvent {
	ch := make(chan HandoffEvent, feedBuffer)
	f := &s.feed
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[chan HandoffEvent]struct{}{}
	}
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	context.AfterFunc(ctx, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		close(ch)
		f.mu.Unlock()
	})
	return ch
}

// publish sends an event to every subscriber without waiting for any.
func (f *handoffFeed) publish(typ HandoffEventType, h Handoff, at time.Time) {
	ev := HandoffEvent{Type: typ, ID: h.ID, KB: h.KB, Priority: h.Priority, At: at}
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		select {
		case ch <- ev:
		default: // full: this subscriber misses it
		}
	}
}
