package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/channels"
	"github.com/jieda/jieda/cmd/jieda/internal/channels/chatwoot"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/curate/pii"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
	"github.com/jieda/jieda/models"
)

// system is what the commands run on: the model, the store, the answer
// engine (with its webhook deliverer) and the curator. openSystem opens
// them in that order; Close closes them in reverse.
type system struct {
	model   *embed.Embedder
	store   index.Store
	engine  *answer.Engine
	curator *curate.Curator
	// channels runs the channels (serve only: systemOptions.webhooks).
	channels *channels.Service
	// modelErr and storeErr say why model or store is nil (serve's
	// degraded start: /readyz reports them).
	modelErr, storeErr error

	closers []func() error
}

// systemOptions vary openSystem between commands.
type systemOptions struct {
	// busyHint tells what to do when a running server holds the embedded store.
	busyHint string
	// temp opens a fresh embedded store in a temporary directory, without
	// fsync, removed at Close (eval, calibrate).
	temp bool
	// webhooks runs the handoff webhook deliverer and the channels'
	// outbox until Close, after a sweep of what interrupted imports left
	// (serve).
	webhooks bool
	// degraded keeps going when the model or the store cannot be opened,
	// recording why in modelErr and storeErr (serve).
	degraded bool
	// search tunes retrieval (eval's aggregation flags).
	search answer.SearchOptions
}

// openSystem opens everything a command needs, in order, and undoes what
// it opened when a later step fails.
func (a *app) openSystem(ctx context.Context, o systemOptions) (_ *system, err error) {
	sys := &system{}
	defer func() {
		if err != nil {
			err = errors.Join(err, sys.Close())
		}
	}()
	if sys.model, err = a.openModel(sys); err != nil { //nolint:contextcheck // the batcher derives each run's context from its callers'
		if !o.degraded {
			return nil, err
		}
		sys.modelErr = err
		a.logger.Error("embedding model not loaded; /readyz reports it", "err", err)
	}
	if sys.store, err = a.openSystemStore(ctx, sys, o); err != nil {
		if !o.degraded {
			return nil, err
		}
		sys.storeErr = err
		a.logger.Error("store not opened; /readyz reports it", "engine", a.cfg.Store.Engine, "err", err)
	}
	if sys.model == nil || sys.store == nil {
		return sys, nil
	}
	if err := a.openDomain(ctx, sys, o); err != nil {
		return nil, err
	}
	return sys, nil
}

// Close closes what openSystem opened, last first.
func (s *system) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

func (s *system) onClose(f func() error) { s.closers = append(s.closers, f) }

// openModel is the shared test model when the app has one, else the configured model.
func (a *app) openModel(sys *system) (*embed.Embedder, error) {
	if a.model != nil {
		return a.model, nil // borrowed: its owner closes it
	}
	e, err := a.openEmbedder()
	if err != nil {
		return nil, err
	}
	sys.onClose(e.Close)
	return e, nil
}

// openSystemStore opens the configured store, or a temporary one.
func (a *app) openSystemStore(ctx context.Context, sys *system, o systemOptions) (index.Store, error) {
	if !o.temp {
		s, err := a.openStore(ctx, a.cfg.Store.Engine)
		if errors.Is(err, embedded.ErrLocked) && o.busyHint != "" {
			return nil, fmt.Errorf("%w\n(a running `jieda serve` holds the embedded store: %s)", err, o.busyHint)
		}
		if err != nil {
			return nil, err
		}
		a.logger.Debug("store opened", "engine", a.cfg.Store.Engine)
		sys.onClose(s.Close)
		return s, nil
	}
	dir, err := os.MkdirTemp("", "jieda-temp-store-")
	if err != nil {
		return nil, err
	}
	sys.onClose(func() error { return os.RemoveAll(dir) })
	cfg := a.cfg.Store.Embedded
	cfg.Path = filepath.Join(dir, "data")
	cfg.NoSync = true // a throwaway store: durability buys nothing here
	s, err := embedded.Open(ctx, cfg, a.logger.With("component", "index"))
	if err != nil {
		return nil, err
	}
	sys.onClose(s.Close)
	return s, nil
}

// openDomain builds the answer engine and the curator over the model and
// the store, with their hooks fixed at construction: the PII scrubber
// (answer log and curation) and the revision history (every article write).
func (a *app) openDomain(ctx context.Context, sys *system, o systemOptions) error {
	sparse, err := embed.NewSparseEncoder(a.cfg.Embed.Sparse)
	if err != nil {
		return err
	}
	logger := a.logger.With("component", "answer")
	kb, err := answer.NewLibrary(ctx, sys.store, sys.model, sparse, logger)
	if err != nil {
		return err
	}
	scrub, err := pii.New(a.cfg.Curate.PII)
	if err != nil {
		return err
	}
	hist, err := curate.NewHistory(ctx, sys.store)
	if err != nil {
		return err
	}
	eo := answer.Options{
		Logger: logger, Now: a.now, Scrub: func(s string) string { return scrub.Scrub(s).Text },
		OnChange: hist.RecordChanges, Search: o.search, HandoffsPerMinute: a.cfg.Answer.HandoffsPerMinute,
		LexiconRefresh: a.cfg.Answer.LexiconRefresh,
	}
	eo.NoSelfCalibration = !a.cfg.Answer.SelfCalibrate
	if o.webhooks {
		eo.Webhook, eo.HTTPClient = &a.cfg.Webhook, a.outboundClient()
	}
	if sys.engine, err = answer.NewEngine(ctx, kb, eo); err != nil {
		return err
	}
	sys.onClose(sys.engine.Close)
	if o.webhooks {
		runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan error, 1)
		go func() {
			// What imports interrupted by a crash left is swept once at start.
			if n, err := sys.engine.Sweep(runCtx); err != nil && runCtx.Err() == nil {
				a.logger.Warn("sweeping unpublished article points", "err", err)
			} else if n > 0 {
				a.logger.Info("swept unpublished article points", "points", n)
			}
			// And calibrations a shutdown interrupted start again.
			if err := sys.engine.ResumeCalibrations(runCtx); err != nil && runCtx.Err() == nil {
				a.logger.Warn("resuming self-calibrations", "err", err)
			}
			done <- sys.engine.RunWebhooks(runCtx)
		}()
		sys.onClose(func() error {
			stop()
			if err := <-done; !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		})
	}
	sys.curator, err = curate.New(ctx, sys.engine, a.cfg.Curate, curate.Options{
		Logger: a.logger.With("component", "curate"), History: hist, Scrubber: scrub,
	})
	if err != nil || !o.webhooks {
		return err
	}
	return a.openChannels(ctx, sys)
}

// openChannels starts the channels service and its outbox (serve).
func (a *app) openChannels(ctx context.Context, sys *system) (err error) {
	kinds := []channels.Kind{chatwoot.New(chatwoot.Options{Client: a.outboundClient(), CheckURL: a.cfg.Webhook.Egress().CheckURL})}
	sys.channels, err = channels.New(ctx, sys.store, sys.engine, sys.curator, a.cfg.Channels, channels.Options{
		Kinds: kinds, Logger: a.logger.With("component", "channels"), Now: a.now,
	})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- sys.channels.Run(runCtx) }()
	sys.onClose(func() error {
		stop()
		return <-done
	})
	return nil
}

// outboundClient is the HTTP client of the calls jieda makes to other
// systems on its own behalf (channels' APIs, KB webhooks): the one place
// where rules on where jieda may connect are kept. It obeys the egress
// policy (answer/egress: no loopback, link-local, private or multicast
// destination unless webhook.allow_hosts lists it, checked after DNS),
// uses no proxy and follows no redirects.
func (a *app) outboundClient() *http.Client {
	c := a.cfg.Webhook.Egress().Client(0) // callers bound their own calls
	if a.outbound != nil {
		c.Transport = a.outbound
	}
	return c
}

// openEmbedder resolves the model directory and opens the embedder.
func (a *app) openEmbedder() (*embed.Embedder, error) {
	cfg := a.cfg.Embed
	cat, err := embed.ParseCatalog(models.CatalogJSON)
	if err != nil {
		return nil, err
	}
	dir, err := embed.ResolveModelDir(cfg.ModelDir, a.cfg.ModelsDir, cat.Default().Name)
	if err != nil {
		return nil, err
	}
	cfg.ModelDir = dir
	e, err := embed.Open(cfg, a.logger.With("component", "embed"))
	if err != nil {
		return nil, err
	}
	info := e.Info()
	a.logger.Info("model loaded", "model", info.Name, "dir", info.Dir, "dimension", info.Dimension,
		"grade", info.Grade, "onnxruntime", info.ORTVersion)
	if info.Grade == embed.GradeLexical {
		a.logger.Warn("the builtin offline model is lexical-grade: it matches shared characters and words, not meaning; run `jieda model pull " +
			cat.Default().Name + "` where the network allows for a real model")
	}
	return e, nil
}

// withSystem opens the system, runs fn, and closes it.
func (a *app) withSystem(ctx context.Context, o systemOptions, fn func(context.Context, *system) error) (err error) {
	sys, err := a.openSystem(ctx, o)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, sys.Close()) }()
	return fn(ctx, sys)
}
