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

// batchLoop is the one long-lived goroutine that forms live batches: it
// takes the first waiting query, gathers more until MaxBatch or MaxWait
// (waiting only while callers have announced texts not yet queued, or
// while the last batch's callers may be coming back), and hands the batch
// to the first idle lane. While every lane is busy the batch keeps
// taking arrivals, up to MaxBatch.
func (e *Embedder) batchLoop() {
	defer close(e.work) // the lanes finish what they hold, then return
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
		e.pending.Add(-1)
		take := func(r *liveRequest) {
			batch = append(batch, r)
			e.pending.Add(-1)
		}
		// Take whatever is queued already.
	drain:
		for len(batch) < e.cfg.MaxBatch {
			select {
			case r := <-e.queue:
				take(r)
			default:
				break drain
			}
		}
		// Wait a little for texts on their way.
		want := func() bool {
			return len(batch) < e.cfg.MaxBatch && (e.pending.Load() > 0 || len(batch) < prev)
		}
		if e.cfg.MaxWait > 0 && want() {
			timer.Reset(e.cfg.MaxWait)
		wait:
			for want() {
				select {
				case r := <-e.queue:
					take(r)
				case <-timer.C:
					break wait
				}
			}
			timer.Stop()
		}
		// Hand the batch to an idle lane, growing it while none is.
	hand:
		for {
			queue := e.queue
			if len(batch) >= e.cfg.MaxBatch {
				queue = nil
			}
			select {
			case e.work <- batch:
				break hand
			case r := <-queue:
				take(r)
			case <-e.quit:
				e.fail(batch)
				e.failQueued()
				return
			}
		}
		prev = len(batch)
	}
}

// lane runs the batches it receives on its own session until the batcher
// stops.
func (e *Embedder) lane(live *session) {
	defer e.lanes.Done()
	for batch := range e.work {
		e.runLive(live, batch)
	}
}

// fail answers a batch no lane will run with ErrClosed.
func (e *Embedder) fail(batch []*liveRequest) {
	for _, r := range batch {
		r.result <- liveResult{err: ErrClosed}
		e.gate.liveExit()
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
func (e *Embedder) runLive(live *session, batch []*liveRequest) {
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
	vecs, err := live.run(ctx, pad(rows, e.tok.PadID()))
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
