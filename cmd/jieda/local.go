package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
)

// local is the answer engine and curator over the configured store, for
// commands that work on the store directly (ask, gaps, import).
type local struct {
	store   index.Store
	engine  *answer.Engine
	curator *curate.Curator
}

// withLocal opens the model, the store (--data), the engine and the
// curator, runs fn, and closes them in reverse. busyHint tells what to do
// instead when a running server holds the embedded store.
func (a *app) withLocal(ctx context.Context, busyHint string, fn func(context.Context, *local) error) (err error) {
	e, err := a.openEmbedder() //nolint:contextcheck // the batcher derives each run's context from its callers'
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, e.Close()) }()
	s, err := a.openStore(ctx, a.cfg.Store.Engine)
	if errors.Is(err, embedded.ErrLocked) {
		return fmt.Errorf("%w\n(a running `jieda serve` holds the embedded store: %s)", err, busyHint)
	}
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	k, err := newKB(ctx, s, e, a.cfg.Embed.Sparse, a)
	if err != nil {
		return err
	}
	eng, err := answer.NewEngine(ctx, k, a.logger.With("component", "answer"))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, eng.Close()) }()
	cur, err := curate.New(ctx, eng, a.cfg.Curate, a.logger.With("component", "curate"))
	if err != nil {
		return err
	}
	return fn(ctx, &local{store: s, engine: eng, curator: cur})
}
