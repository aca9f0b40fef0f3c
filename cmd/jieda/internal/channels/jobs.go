package channels

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// Collections of the outbox.
const (
	// JobsCollection holds one job per event: what jieda decided and how
	// far delivering it got.
	JobsCollection = "channel_jobs"
	// ReceiptsCollection holds the delivery ids of callbacks received.
	ReceiptsCollection = "channel_receipts"
)

// Job states.
const (
	jobPending = "pending" // waiting for work (NextAttemptAt)
	jobDone    = "done"
	jobFailed  = "failed" // given up; LastError says why
)

// Step operations.
const (
	opSend     = "send"     // a message to the customer
	opNote     = "note"     // a private note for the agents
	opTransfer = "transfer" // the conversation to human agents
)

// Step is one call to the channel's service, made in order.
type Step struct {
	Op   string `json:"op"`
	Text string `json:"text,omitempty"`
}

// Outcome is what jieda decided on a customer's message.
type Outcome struct {
	Decision  string `json:"decision,omitempty"`
	AnswerID  string `json:"answer_id,omitempty"`
	HandoffID string `json:"handoff_id,omitempty"`
	// Choice is the clarify option (from 1) a reply picked, 0 for none.
	Choice int `json:"choice,omitempty"`
}

// job is one event's work: acting on it (deciding the steps, once), then
// making its steps in order, each at most once after it succeeded.
type job struct {
	ID      string `json:"id"`
	Channel string `json:"channel"`
	Event   Event  `json:"event"`
	Seq     int64  `json:"seq"`
	State   string `json:"state"`
	// Acted: Steps and Outcome are decided; Done counts the steps made.
	Acted         bool      `json:"acted,omitempty"`
	Steps         []Step    `json:"steps,omitempty"`
	Done          int       `json:"done,omitempty"`
	Outcome       *Outcome  `json:"outcome,omitempty"`
	Attempts      int       `json:"attempts,omitempty"`
	LastError     string    `json:"last_error,omitempty"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func newJob(channel string, ev Event, seq int64, now time.Time) job {
	return job{
		ID:      uuid.NewSHA1(namespace, []byte("job\x00"+channel+"\x00"+ev.Key)).String(),
		Channel: channel, Event: ev, Seq: seq, State: jobPending,
		NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}
}

// conversationKey groups a channel's jobs by conversation: they run one at a time, in order.
func conversationKey(channel, conversation string) string { return channel + "\x00" + conversation }

func (s *Service) saveJob(ctx context.Context, j job) error {
	j.UpdatedAt = s.now().UTC()
	p, err := index.DocPayload(j, index.Payload{
		"channel": j.Channel, "conversation": conversationKey(j.Channel, j.Event.Conversation),
		"state": j.State, "seq": j.Seq, "updated_at": j.UpdatedAt.Format(time.RFC3339Nano),
	})
	if err != nil {
		return err
	}
	if err := s.store.Upsert(ctx, JobsCollection, []index.Point{{ID: j.ID, Payload: p}}); err != nil {
		return fmt.Errorf("saving channel job: %w", err)
	}
	return nil
}

// Process makes one pass: for each conversation with pending jobs, the
// oldest job runs when it is due (at most Config.Concurrency
// conversations at once), and Process returns when they are done, with
// the earliest time a waiting job is due (zero if none).
func (s *Service) Process(ctx context.Context) (time.Time, error) {
	s.prune(ctx)
	now := s.now()
	seen := map[string]bool{}
	var due []job
	var next time.Time
	err := index.ScrollAll(ctx, s.store, JobsCollection, index.ScrollRequest{
		Filter:  &index.Filter{Must: []index.Condition{index.MatchKeyword("state", jobPending)}},
		OrderBy: &index.OrderBy{Key: "seq"}, Limit: 500, With: index.With{Payload: true},
	}, func(r index.Record) error {
		j, err := index.DecodeDoc[job](r, index.DocKey)
		if err != nil {
			return err
		}
		key := conversationKey(j.Channel, j.Event.Conversation)
		if seen[key] {
			return nil // an older job of the conversation comes first
		}
		seen[key] = true
		if j.NextAttemptAt.After(now) {
			if next.IsZero() || j.NextAttemptAt.Before(next) {
				next = j.NextAttemptAt
			}
			return nil
		}
		due = append(due, j)
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("scanning channel jobs: %w", err)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		errs     []error
		finished bool
		sem      = make(chan struct{}, s.cfg.Concurrency)
	)
	for _, j := range due {
		key := conversationKey(j.Channel, j.Event.Conversation)
		if !s.claim(key) {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			s.release(key)
			wg.Wait()
			return time.Time{}, ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem; s.release(key) }()
			fin, err := s.runJob(ctx, j)
			mu.Lock()
			defer mu.Unlock()
			finished = finished || fin
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if finished {
		s.Notify() // the next job of those conversations may be due now
	}
	return next, errors.Join(errs...)
}

func (s *Service) claim(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[key] {
		return false
	}
	s.inflight[key] = true
	return true
}

func (s *Service) release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inflight, key)
}

// runJob acts on a job's event (once) and makes its remaining steps.
// Failures are recorded on the job (retried or given up); finished says
// the job is done or given up; the error returned is the store's.
func (s *Service) runJob(ctx context.Context, j job) (finished bool, err error) {
	log := s.logger.With("channel", j.Channel, "conversation", j.Event.Conversation, "event", j.Event.Key)
	ch, err := s.Channel(ctx, j.Channel)
	if errors.Is(err, ErrChannelNotFound) {
		return true, s.giveUp(ctx, log, j, errors.New("the channel was deleted"))
	}
	if err != nil {
		return false, err
	}
	k, ok := s.kinds[ch.Kind]
	if !ok {
		return true, s.giveUp(ctx, log, j, fmt.Errorf("unknown channel kind %q", ch.Kind))
	}
	if !j.Acted {
		steps, out, err := s.act(ctx, ch, j.Event)
		if ctx.Err() != nil {
			return false, nil
		}
		if err != nil {
			return s.retry(ctx, log, j, fmt.Errorf("acting on the event: %w", err))
		}
		j.Steps, j.Outcome, j.Acted, j.Attempts, j.LastError = steps, out, true, 0, ""
		if err := s.saveJob(ctx, j); err != nil {
			return false, err
		}
		if out != nil {
			log.Info("channel message answered", "decision", out.Decision, "handoff", out.HandoffID, "steps", len(steps))
		}
	}
	for j.Done < len(j.Steps) {
		st := j.Steps[j.Done]
		sctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		switch st.Op {
		case opTransfer:
			err = k.Transfer(sctx, ch, j.Event.Conversation)
		default:
			err = k.Send(sctx, ch, j.Event.Conversation, Message{Text: st.Text, Private: st.Op == opNote})
		}
		cancel()
		if ctx.Err() != nil {
			return false, nil // shutting down: the attempt does not count
		}
		if err != nil {
			return s.retry(ctx, log, j, fmt.Errorf("step %d (%s): %w", j.Done+1, st.Op, err))
		}
		j.Done++
		j.Attempts, j.LastError = 0, ""
		if err := s.saveJob(ctx, j); err != nil {
			return false, err
		}
	}
	j.State = jobDone
	return true, s.saveJob(ctx, j)
}

// retry records a failed attempt: the job waits for its backoff, or is
// given up when the failure is permanent or the job is too old.
func (s *Service) retry(ctx context.Context, log *slog.Logger, j job, err error) (finished bool, _ error) {
	s.fails.Add(1)
	var de *DeliveryError
	if (errors.As(err, &de) && de.Permanent) || s.now().Sub(j.CreatedAt) >= s.cfg.GiveUpAfter {
		return true, s.giveUp(ctx, log, j, err)
	}
	j.Attempts++
	j.LastError = truncate(err.Error(), 512)
	j.NextAttemptAt = s.now().UTC().Add(s.cfg.backoff(j.Attempts))
	log.Warn("channel job failed; will retry", "attempt", j.Attempts, "err", j.LastError, "next_attempt_at", j.NextAttemptAt)
	return false, s.saveJob(ctx, j)
}

func (s *Service) giveUp(ctx context.Context, log *slog.Logger, j job, err error) error {
	j.State, j.LastError = jobFailed, truncate(err.Error(), 512)
	log.Error("channel job given up", "attempts", j.Attempts+1, "err", j.LastError)
	return s.saveJob(ctx, j)
}

// prune deletes finished jobs and receipts older than Config.Retention,
// at most once an hour.
func (s *Service) prune(ctx context.Context) {
	now := s.now()
	s.mu.Lock()
	if now.Sub(s.lastPrune) < time.Hour {
		s.mu.Unlock()
		return
	}
	s.lastPrune = now
	s.mu.Unlock()
	before := now.Add(-s.cfg.Retention)
	for _, c := range []struct {
		collection string
		filter     index.Filter
	}{
		{JobsCollection, index.Filter{Must: []index.Condition{
			index.MatchAnyKeyword("state", jobDone, jobFailed), index.TimeRange("updated_at", index.DatetimeRange{Lt: before}),
		}}},
		{ReceiptsCollection, index.Filter{Must: []index.Condition{index.TimeRange("created_at", index.DatetimeRange{Lt: before})}}},
	} {
		var ids []string
		err := index.ScrollAll(ctx, s.store, c.collection, index.ScrollRequest{Filter: &c.filter, Limit: 1000}, func(r index.Record) error {
			ids = append(ids, r.ID)
			return nil
		})
		if err == nil && len(ids) > 0 {
			err = s.store.Delete(ctx, c.collection, ids)
		}
		if err != nil {
			s.logger.Warn("pruning old channel records", "collection", c.collection, "err", err)
		}
	}
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Backlog counts the jobs not done yet (pending, retrying), for
// monitoring and tests.
func (s *Service) Backlog(ctx context.Context) (int, error) {
	n, err := s.store.Count(ctx, JobsCollection, &index.Filter{Must: []index.Condition{index.MatchKeyword("state", jobPending)}})
	if err != nil {
		return 0, fmt.Errorf("counting channel jobs: %w", err)
	}
	return n, nil
}
