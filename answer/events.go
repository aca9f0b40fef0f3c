package answer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// Collections of the answer log.
const (
	// EventsCollection holds one payload-only point per question asked
	// (its answer id), with the decision and later the feedback.
	EventsCollection = "answer_events"
	// FeedbackCollection holds per-article feedback counts.
	FeedbackCollection = "article_feedback"
)

// MaxFeedbackComment bounds a feedback comment, in runes.
const MaxFeedbackComment = 2000

// Event records one question and what jieda did with it.
type Event struct {
	ID         string    `json:"answer_id"`
	KB         string    `json:"kb"`
	Normalized string    `json:"normalized"`
	Decision   Decision  `json:"decision"`
	ArticleID  string    `json:"article_id,omitempty"`
	Confidence float64   `json:"confidence"`
	Reason     string    `json:"reason,omitempty"`
	HandoffID  string    `json:"handoff_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	// Asker is who received the answer (the API key's id; AskRequest.Principal):
	// only it may give feedback on it.
	Asker string `json:"-"`
}

// FeedbackCounts are an article's helpful and unhelpful votes.
type FeedbackCounts struct {
	Helpful   int `json:"helpful"`
	Unhelpful int `json:"unhelpful"`
}

// Balance is the smoothed vote balance in (-1, 1): (h − u) / (h + u + 5).
func (c FeedbackCounts) Balance() float64 {
	return float64(c.Helpful-c.Unhelpful) / float64(c.Helpful+c.Unhelpful+5)
}

// EventLog writes answer events in the background (batched: one fsync per
// batch instead of one per question) and records feedback on them.
type EventLog struct {
	store  index.Store
	logger *slog.Logger

	mu      sync.Mutex
	pending map[string]Event // written soon
	counts  map[string]*FeedbackCounts
	wake    chan struct{}
	done    chan struct{}
	closed  bool

	flushEvery time.Duration
	// onFeedback, when set, is told of each verdict (the webhook's
	// answer.feedback event); its failure is logged, not returned.
	onFeedback func(ctx context.Context, kb string, f FeedbackEvent) error
}

// NewEventLog creates the collections and starts the background writer;
// Close flushes it.
func NewEventLog(ctx context.Context, store index.Store, logger *slog.Logger) (*EventLog, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := index.Ensure(ctx, store, index.CollectionConfig{Name: EventsCollection, Sparse: true}, map[string]index.FieldType{
		"kb": index.FieldKeyword, "decision": index.FieldKeyword, "created_at": index.FieldDatetime,
	}); err != nil {
		return nil, err
	}
	if err := index.Ensure(ctx, store, index.CollectionConfig{Name: FeedbackCollection, Sparse: true}, map[string]index.FieldType{"kb": index.FieldKeyword}); err != nil {
		return nil, err
	}
	l := &EventLog{
		store: store, logger: logger,
		pending: map[string]Event{}, counts: map[string]*FeedbackCounts{},
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		flushEvery: 200 * time.Millisecond,
	}
	go l.run(context.WithoutCancel(ctx))
	return l, nil
}

// NewAnswerID returns a fresh answer id.
func NewAnswerID() string { return uuid.NewString() }

// Record queues an event for writing.
func (l *EventLog) Record(ev Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.pending[ev.ID] = ev
	if len(l.pending) >= 256 {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

func (l *EventLog) run(ctx context.Context) {
	defer close(l.done)
	t := time.NewTicker(l.flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case _, ok := <-l.wake:
			if !ok {
				l.flush(ctx)
				return
			}
		}
		l.flush(ctx)
	}
}

// flush writes the pending events in one batch; on failure they are kept
// for the next try.
func (l *EventLog) flush(ctx context.Context) {
	l.mu.Lock()
	if len(l.pending) == 0 {
		l.mu.Unlock()
		return
	}
	batch := make([]index.Point, 0, len(l.pending))
	for _, ev := range l.pending {
		batch = append(batch, eventPoint(ev))
	}
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := l.store.Upsert(ctx, EventsCollection, batch); err != nil {
		l.logger.Warn("writing answer events; will retry", "events", len(batch), "err", err)
		return
	}
	l.mu.Lock()
	for _, p := range batch {
		delete(l.pending, p.ID)
	}
	l.mu.Unlock()
}

func eventPoint(ev Event) index.Point {
	p := index.Payload{
		"kb": ev.KB, "normalized": ev.Normalized, "decision": string(ev.Decision), "confidence": ev.Confidence,
		"created_at": ev.CreatedAt.UTC().Format(time.RFC3339Nano),
	}
	for k, v := range map[string]string{"article_id": ev.ArticleID, "reason": ev.Reason, "handoff_id": ev.HandoffID, "asker": ev.Asker} {
		if v != "" {
			p[k] = v
		}
	}
	return index.Point{ID: ev.ID, Payload: p}
}

// Close writes what is pending and stops the writer.
func (l *EventLog) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.wake)
	l.mu.Unlock()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.pending); n > 0 {
		return fmt.Errorf("%d answer events could not be written", n)
	}
	return nil
}

// FeedbackInput is a customer's verdict on an answer.
type FeedbackInput struct {
	AnswerID string `json:"answer_id"`
	Helpful  *bool  `json:"helpful"`
	Comment  string `json:"comment,omitempty"`
}

// Feedback records a verdict on an answer; a second verdict on the same
// answer replaces the first. It returns the event it applies to.
func (l *EventLog) Feedback(ctx context.Context, in FeedbackInput, by string, allowed func(kb string) bool) (Event, error) {
	if _, err := uuid.Parse(in.AnswerID); err != nil {
		return Event{}, fmt.Errorf("%w: answer_id %q is not an answer id", ErrInvalidFeedback, in.AnswerID)
	}
	if in.Helpful == nil {
		return Event{}, fmt.Errorf("%w: helpful (true or false) is required", ErrInvalidFeedback)
	}
	if !utf8.ValidString(in.Comment) {
		return Event{}, fmt.Errorf("%w: comment is not valid UTF-8", ErrInvalidFeedback)
	}
	if utf8.RuneCountInString(in.Comment) > MaxFeedbackComment {
		return Event{}, fmt.Errorf("%w: comment is longer than %d characters", ErrInvalidFeedback, MaxFeedbackComment)
	}
	l.flush(ctx) // the event may still be queued
	recs, err := l.store.Get(ctx, EventsCollection, []string{in.AnswerID}, index.With{Payload: true})
	if err != nil {
		return Event{}, fmt.Errorf("reading answer %s: %w", in.AnswerID, err)
	}
	if len(recs) == 0 {
		return Event{}, fmt.Errorf("%w: %s", ErrAnswerNotFound, in.AnswerID)
	}
	p := recs[0].Payload
	ev := Event{ID: in.AnswerID}
	ev.KB, _ = p["kb"].(string)
	ev.ArticleID, _ = p["article_id"].(string)
	ev.Normalized, _ = p["normalized"].(string)
	d, _ := p["decision"].(string)
	ev.Decision = Decision(d)
	if allowed != nil && !allowed(ev.KB) {
		return Event{}, fmt.Errorf("%w: %s", ErrAnswerNotFound, in.AnswerID) // not this key's KB: as if absent
	}
	if asker, _ := p["asker"].(string); asker != "" && asker != by {
		return Event{}, fmt.Errorf("%w: %s", ErrAnswerNotFound, in.AnswerID) // another key's answer: as if absent
	}
	prev, hadPrev := p["helpful"].(bool)
	if hadPrev {
		return Event{}, fmt.Errorf("%w: answer %s was rated already", ErrFeedbackGiven, in.AnswerID)
	}
	upd := index.Payload{"helpful": *in.Helpful, "feedback_at": time.Now().UTC().Format(time.RFC3339)}
	if in.Comment != "" {
		upd["comment"] = in.Comment
	}
	if err := l.store.SetPayload(ctx, EventsCollection, []string{in.AnswerID}, upd); err != nil {
		return Event{}, fmt.Errorf("saving feedback: %w", err)
	}
	if ev.ArticleID != "" && ev.Decision == DecisionAnswer && (!hadPrev || prev != *in.Helpful) {
		if err := l.vote(ctx, ev.KB, ev.ArticleID, *in.Helpful, hadPrev); err != nil {
			return Event{}, err
		}
	}
	if l.onFeedback != nil {
		f := FeedbackEvent{AnswerID: ev.ID, Decision: ev.Decision, ArticleID: ev.ArticleID, Helpful: *in.Helpful, Comment: in.Comment}
		if err := l.onFeedback(ctx, ev.KB, f); err != nil {
			l.logger.Warn("queueing the answer.feedback webhook event", "answer", ev.ID, "err", err)
		}
	}
	return ev, nil
}

func feedbackPointID(kb, article string) string {
	return uuid.NewSHA1(pointNamespace, []byte("feedback\x00"+kb+"\x00"+article)).String()
}

// vote adds a vote to an article's counts (moving it when it replaces an opposite one).
func (l *EventLog) vote(ctx context.Context, kb, article string, helpful, replaces bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, err := l.countsLocked(ctx, kb, article)
	if err != nil {
		return err
	}
	next := *c
	if helpful {
		next.Helpful++
		if replaces {
			next.Unhelpful = max(0, next.Unhelpful-1)
		}
	} else {
		next.Unhelpful++
		if replaces {
			next.Helpful = max(0, next.Helpful-1)
		}
	}
	pt := index.Point{ID: feedbackPointID(kb, article), Payload: index.Payload{
		"kb": kb, "article_id": article, "helpful": int64(next.Helpful), "unhelpful": int64(next.Unhelpful)}}
	if err := l.store.Upsert(ctx, FeedbackCollection, []index.Point{pt}); err != nil {
		return fmt.Errorf("saving feedback counts: %w", err)
	}
	*c = next
	return nil
}

// Counts returns an article's feedback counts (cached after the first read).
func (l *EventLog) Counts(ctx context.Context, kb, article string) (FeedbackCounts, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, err := l.countsLocked(ctx, kb, article)
	if err != nil {
		return FeedbackCounts{}, err
	}
	return *c, nil
}

func (l *EventLog) countsLocked(ctx context.Context, kb, article string) (*FeedbackCounts, error) {
	key := kb + "\x00" + article
	if c, ok := l.counts[key]; ok {
		return c, nil
	}
	recs, err := l.store.Get(ctx, FeedbackCollection, []string{feedbackPointID(kb, article)}, index.With{Payload: true})
	if err != nil {
		return nil, fmt.Errorf("reading feedback counts: %w", err)
	}
	c := &FeedbackCounts{}
	if len(recs) == 1 {
		h, _ := recs[0].Payload["helpful"].(int64)
		u, _ := recs[0].Payload["unhelpful"].(int64)
		c.Helpful, c.Unhelpful = int(h), int(u)
	}
	l.counts[key] = c // key is a new string (a concatenation): it aliases no caller's buffer
	return c, nil
}
