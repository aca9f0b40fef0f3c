package embedded

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jieda/jieda/index"
)

// The indexer is one goroutine per store that links the dense vectors
// writes left pending (vecindex.Dense.AddPending) into each collection's
// HNSW graph, a batch at a time (vecindex.Dense.IndexPending, on all
// CPUs), collections in turn. Searches wait for the batch in progress, so
// batches are sized to take about indexTarget.
type indexer struct {
	wake chan struct{} // buffered: a write left vectors pending
	stop chan struct{} // closed by Close
	done chan struct{} // closed when the goroutine has returned
	once sync.Once
	busy atomic.Bool // a batch is being linked

	mu       sync.Mutex
	progress chan struct{} // closed and replaced after every batch
}

// Batch sizing: each batch aims at indexTarget of wall time, with at
// least indexPerCPU vectors per CPU (so that every CPU gets work: fewer
// than 16 each and vecindex inserts on fewer CPUs) and at most
// indexBatchMax vectors.
const (
	indexTarget   = 20 * time.Millisecond
	indexPerCPU   = 32
	indexBatchMax = 4096
)

func newIndexer() *indexer {
	return &indexer{
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		progress: make(chan struct{}),
	}
}

// poke wakes the indexer; it never blocks.
func (x *indexer) poke() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// progressed wakes everyone waiting for the indexer.
func (x *indexer) progressed() {
	x.mu.Lock()
	close(x.progress)
	x.progress = make(chan struct{})
	x.mu.Unlock()
}

// next returns a channel closed at the indexer's next progress. Take it
// before checking the condition waited for, so no progress is missed.
func (x *indexer) next() <-chan struct{} {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.progress
}

// halt stops the indexer and waits for it: a batch in progress is
// finished, so the graph is never left half-linked.
func (x *indexer) halt() {
	x.once.Do(func() { close(x.stop) })
	<-x.done
}

// runIndexer is the indexer's goroutine.
func (s *Store) runIndexer() {
	x := s.idx
	defer close(x.done)
	for {
		cols := s.pendingCollections()
		if len(cols) == 0 {
			x.progressed()
			select {
			case <-x.stop:
				return
			case <-x.wake:
			}
			continue
		}
		for _, c := range cols {
			select {
			case <-x.stop:
				return
			default:
			}
			s.indexBatch(c)
		}
	}
}

// pendingCollections returns the collections with vectors pending, by name.
func (s *Store) pendingCollections() []*collection {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*collection
	for _, c := range s.cols {
		if c.dense != nil && c.dense.Pending() > 0 {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *collection) int { return strings.Compare(a.cfg.Name, b.cfg.Name) })
	return out
}

// indexBatch links one batch of c's pending vectors, resizes c's batch
// toward indexTarget, and saves c's graph in the background once enough
// was linked and nothing is left pending.
func (s *Store) indexBatch(c *collection) {
	x := s.idx
	least := indexPerCPU * runtime.GOMAXPROCS(0)
	if c.batch == 0 {
		c.batch = least
	}
	c.saveMu.Lock()
	start := time.Now()
	x.busy.Store(true)
	n := c.dense.IndexPending(c.batch)
	x.busy.Store(false)
	took := time.Since(start)
	c.saveMu.Unlock()
	c.work.Add(int64(n))
	x.progressed()
	if n == c.batch {
		per := took / time.Duration(n)
		c.batch = min(max(int(indexTarget/max(per, time.Microsecond)), least), indexBatchMax, 2*c.batch)
	}
	if c.dense.Pending() == 0 {
		s.maybeSaveGraph(c)
	}
}

// indexed reports whether no collection has vectors pending or being linked.
func (s *Store) indexed() (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false, index.ErrClosed
	}
	for _, c := range s.cols {
		if c.dense != nil && c.dense.Pending() > 0 {
			return false, nil
		}
	}
	return !s.idx.busy.Load(), nil
}

// WaitIndexed waits until every dense vector written so far is linked into
// its collection's HNSW graph (queries find pending vectors by an exact
// scan meanwhile, so this is never needed for correctness). It returns
// ctx's error if ctx ends first, index.ErrClosed if the store closes.
func (s *Store) WaitIndexed(ctx context.Context) error {
	for {
		next := s.idx.next()
		done, err := s.indexed()
		if err != nil || done {
			return err
		}
		select {
		case <-next:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.idx.stop:
			return index.ErrClosed
		}
	}
}

// waitPending holds an upsert back while c has too many vectors pending
// (Config.MaxPending).
func (s *Store) waitPending(ctx context.Context, c *collection) error {
	if c.dense == nil {
		return nil
	}
	for {
		next := s.idx.next()
		if c.dense.Pending() < s.cfg.maxPending() {
			return nil
		}
		select {
		case <-next:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.idx.stop:
			return index.ErrClosed
		}
	}
}
