package answer

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/jieda/jieda/curate/pii"
	"github.com/jieda/jieda/ratelimit"
)

// Engine answers questions: retrieval, confidence, the decision, handoff
// packets, conversations and the answer log.
type Engine struct {
	Library       *Library
	Settings      *SettingsStore
	Handoffs      *HandoffStore
	Conversations *ConversationStore
	Events        *EventLog

	logger   *slog.Logger
	now      func() time.Time
	scrub    func(string) string
	onChange func(ctx context.Context, kb string, changes []ArticleChange) error
	search   SearchOptions
	webhooks *WebhookDeliverer // nil without Options.Webhook

	knownMu sync.Mutex
	known   map[string]time.Time // KBs seen to exist, and when

	writeMu    sync.Mutex
	writeLocks map[string]*sync.Mutex // per KB: article writes

	convLocks    [64]sync.Mutex     // per conversation: one open handoff (handoff_guard.go)
	handoffLimit *ratelimit.Limiter // nil: unbounded

	// life ends at Close: background work (calibrations, outcome
	// labels) stops with it rather than holding up a shutdown.
	life    context.Context
	endLife context.CancelFunc

	examples *exampleStore // labeled calibration examples (selfcal.go, outcomes.go)
	cal      calState
}

// Options are an Engine's collaborators, fixed when it is built.
type Options struct {
	// Logger receives the engine's warnings (nil: discarded).
	Logger *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Scrub removes personal data from the question text the answer log
	// keeps. The log is always scrubbed: nil uses the default PII scrubber.
	Scrub func(string) string
	// OnChange is told about every article the engine writes or deletes
	// (article revisions); ChangeInfoFrom(ctx) says who and why. Nil: nobody.
	OnChange func(ctx context.Context, kb string, changes []ArticleChange) error
	// Webhook, when set, delivers each KB's handoffs to its webhook
	// (RunWebhooks runs the deliverer).
	Webhook *WebhookConfig
	// HTTPClient, when set, carries the webhook deliveries (its
	// Transport: the wiring's one outbound client); the deliverer keeps
	// its own timeout and follows no redirects. Nil: a plain client.
	HTTPClient *http.Client
	// Search tunes retrieval (zero: the defaults).
	Search SearchOptions
	// HandoffsPerMinute bounds the new handoffs of one asker
	// (AskRequest.HandoffBucket or Principal), with a burst of as many;
	// over it a question is ErrTooManyHandoffs. 0: unbounded.
	HandoffsPerMinute float64
	// LexiconRefresh is how old a KB's cached term statistics may grow
	// before a search reloads them from the store, which is how article
	// changes made by other replicas on a shared store reach this one's
	// reranking (its own changes apply at once). 0: 2 minutes.
	LexiconRefresh time.Duration
	// NoSelfCalibration keeps the engine from calibrating a KB by itself
	// in the background after an import or an article write
	// (answer.self_calibrate: false). SelfCalibrate, StartSelfCalibration
	// and the refits on outcomes still run. False: a KB calibrates itself
	// when it is new or changed materially (NeedsSelfCalibration).
	NoSelfCalibration bool
}

// NewEngine wires an Engine over one KB index and its store: it creates
// what collections are missing.
func NewEngine(ctx context.Context, kb *Library, o Options) (*Engine, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Scrub == nil {
		s, err := pii.New(pii.DefaultConfig())
		if err != nil {
			return nil, err
		}
		o.Scrub = func(t string) string { return s.Scrub(t).Text }
	}
	e := &Engine{Library: kb, logger: o.Logger, now: o.Now, scrub: o.Scrub, onChange: o.OnChange, search: o.Search, known: map[string]time.Time{}}
	e.life, e.endLife = context.WithCancel(context.Background())
	var err error
	if e.Settings, err = NewSettingsStore(ctx, kb.store); err != nil {
		return nil, err
	}
	if e.Handoffs, err = NewHandoffStore(ctx, kb.store); err != nil {
		return nil, err
	}
	if e.Conversations, err = NewConversationStore(ctx, kb.store); err != nil {
		return nil, err
	}
	e.Settings.now, e.Handoffs.now, e.Library.now = o.Now, o.Now, o.Now
	e.Library.lex.maxAge = o.LexiconRefresh
	e.cal.manual = o.NoSelfCalibration
	if o.HandoffsPerMinute > 0 {
		e.handoffLimit = ratelimit.New(o.HandoffsPerMinute/60, int(math.Ceil(o.HandoffsPerMinute)), o.Now)
	}
	if o.Webhook != nil {
		e.Settings.egress = o.Webhook.Egress()
	}
	if o.Webhook != nil {
		lookup := func(ctx context.Context, kb string) (string, string, error) {
			st, _, err := e.Settings.Get(ctx, kb)
			hook := st.Webhook
			if err == nil && hook.URL == "" {
				// "No webhook" is final for a delivery: not on a cached
				// read that may predate another replica's setting.
				hook, err = e.Settings.FreshWebhook(ctx, kb)
			}
			return hook.URL, hook.Secret, err
		}
		e.Handoffs.delivers = func(ctx context.Context, kb string) bool {
			url, _, err := lookup(ctx, kb)
			return url != "" || err != nil // on an error the deliverer decides
		}
		if e.webhooks, err = NewWebhookDeliverer(e.Handoffs, *o.Webhook, lookup, o.Logger.With("component", "webhook")); err != nil {
			return nil, err
		}
		e.webhooks.now = o.Now
		if o.HTTPClient != nil {
			e.webhooks.useClient(o.HTTPClient)
		}
	}
	if e.examples, err = newExampleStore(ctx, kb.store); err != nil {
		return nil, err
	}
	if e.Events, err = NewEventLog(ctx, kb.store, o.Logger); err != nil {
		return nil, err
	}
	if e.webhooks != nil {
		if err := ensureWebhookEvents(ctx, kb.store); err != nil {
			return nil, err
		}
		e.Events.onFeedback = e.webhooks.queueFeedback // answer.feedback events
	}
	return e, nil
}

// RunWebhooks delivers handoffs to the KBs' webhooks until ctx ends (at
// once when the engine has no Options.Webhook).
func (e *Engine) RunWebhooks(ctx context.Context) error {
	if e.webhooks == nil {
		return nil
	}
	return e.webhooks.Run(ctx)
}

// notify wakes the webhook deliverer for a handoff created or resolved.
func (e *Engine) notify(id string) {
	if e.webhooks != nil {
		e.webhooks.Notify(id)
	}
}

// Close stops the background work in flight (an interrupted
// self-calibration runs again at the next ResumeCalibrations) and
// flushes the answer log.
func (e *Engine) Close() error {
	e.endLife()
	e.cal.wg.Wait()
	return e.Events.Close()
}

// background is a context for work that outlives its request: ctx's
// values without its deadline, cancelled when the engine closes.
func (e *Engine) background(ctx context.Context) (context.Context, context.CancelFunc) {
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(e.life, cancel)
	return bg, func() { stop(); cancel() }
}

// ObservesChanges reports whether article writes reach an Options.OnChange observer.
func (e *Engine) ObservesChanges() bool { return e.onChange != nil }
