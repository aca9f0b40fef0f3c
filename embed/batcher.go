package embed

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// liveRequest is one query text waiting for the micro-batcher.
type liveRequest struct {
	ctx    context.Context // the caller's; read by the batcher only to cancel
	index  int
	text   string
	ids    []int64
	result chan liveResult // buffered (cap 1): the batcher never blocks on it
}

type liveResult struct {
	vec []float32
	err error
}

// batchLoop is the one long-lived goroutine that owns live batching: it
// takes the first waiting query, gathers more until MaxBatch or MaxWait
// (waiting only while callers have announced texts not yet queued), and
// runs them as one forward pass.
func (e *Embedder) batchLoop() {
	defer close(e.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	prev := 0 // size of the last batch: how many callers are cycling
	for {
		var first *liveRequest
		select {
		case first = <-e.queue:
		case <-e.quit:
			e.failQueued()
			return
		}
		batch := []*liveRequest{first}
		// Take whatever is queued already.
	drain:
		for len(batch) < e.cfg.MaxBatch {
			select {
			case r := <-e.queue:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		// Wait a little for texts on their way: announced by a caller but
		// not queued yet, or from callers of the last batch coming back.
		want := func() bool {
			return len(batch) < e.cfg.MaxBatch && (e.pending.Load() > int64(len(batch)) || len(batch) < prev)
		}
		if e.cfg.MaxWait > 0 && want() {
			timer.Reset(e.cfg.MaxWait)
		wait:
			for want() {
				select {
				case r := <-e.queue:
					batch = append(batch, r)
				case <-timer.C:
					break wait
				}
			}
			timer.Stop()
		}
		prev = len(batch)
		e.pending.Add(-int64(len(batch)))
		e.runLive(batch)
	}
}

// failQueued answers every still-queued request with ErrClosed.
func (e *Embedder) failQueued() {
	for {
		select {
		case r := <-e.queue:
			r.result <- liveResult{err: ErrClosed}
			e.pending.Add(-1)
			e.gate.liveExit()
		default:
			return
		}
	}
}

// runLive runs one batch. Requests whose caller has gone are dropped first;
// the run is terminated if every remaining caller goes while it runs.
func (e *Embedder) runLive(batch []*liveRequest) {
	defer func() {
		for range batch {
			e.gate.liveExit()
		}
	}()
	active := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.result <- liveResult{err: err}
			continue
		}
		active = append(active, r)
	}
	if len(active) == 0 {
		return
	}
	rows := make([][]int64, len(active))
	ctxs := make([]context.Context, len(active))
	for i, r := range active {
		rows[i] = r.ids
		ctxs[i] = r.ctx
	}
	ctx, stop := allDone(ctxs)
	defer stop()
	e.stats.liveBatches.Add(1)
	e.stats.liveTexts.Add(int64(len(active)))
	e.observeBatch("live", len(active))
	vecs, err := e.live.run(ctx, pad(rows, e.tok.PadID()))
	for i, r := range active {
		if err != nil {
			r.result <- liveResult{err: err}
			continue
		}
		r.result <- liveResult{vec: vecs[i]}
	}
}

// allDone returns a context that is cancelled once every ctx in ctxs is done.
func allDone(ctxs []context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var remaining atomic.Int64
	remaining.Store(int64(len(ctxs)))
	stops := make([]func() bool, len(ctxs))
	for i, c := range ctxs {
		stops[i] = context.AfterFunc(c, func() {
			if remaining.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
		cancel()
	}
}

// priorityGate lets bulk work run only while no live question is waiting
// or running.
type priorityGate struct {
	mu   sync.Mutex
	live int
	idle chan struct{} // closed while live == 0
}

func (g *priorityGate) init() {
	g.idle = make(chan struct{})
	close(g.idle)
}

func (g *priorityGate) liveEnter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.live == 0 {
		g.idle = make(chan struct{})
	}
	g.live++
}

func (g *priorityGate) liveExit() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.live--
	if g.live == 0 {
		close(g.idle)
	}
}

// waitIdle blocks until no live work is pending, or ctx is done.
func (g *priorityGate) waitIdle(ctx context.Context) error {
	for {
		g.mu.Lock()
		idle := g.idle
		g.mu.Unlock()
		select {
		case <-idle:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
