package embed

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Role says how a text is used: a short query or an indexed passage. The
// manifest's prefixes are applied per role, and the two roles run in
// separate pools so bulk indexing never starves live questions.
type Role int

const (
	// RoleQuery is a live question: micro-batched, cached, highest priority.
	RoleQuery Role = iota
	// RolePassage is a text being indexed: sorted by length, batched, and
	// run only while no live question is waiting.
	RolePassage
)

func (r Role) String() string {
	if r == RolePassage {
		return "passage"
	}
	return "query"
}

// Info describes the model an Embedder runs.
type Info struct {
	Name       string `json:"name"`
	Dir        string `json:"dir"`
	Dimension  int    `json:"dimension"`
	Pooling    string `json:"pooling"`
	MaxTokens  int    `json:"max_tokens"`
	Grade      string `json:"grade"`
	Source     string `json:"source"`
	License    string `json:"license"`
	Note       string `json:"note,omitempty"`
	ORTVersion string `json:"onnxruntime"`
}

// Stats are counters since Open.
type Stats struct {
	CacheHits, CacheMisses int64
	LiveBatches, LiveTexts int64
	BulkBatches, BulkTexts int64
}

// Embedder turns text into L2-normalized sentence vectors with an ONNX
// model running in-process. It is safe for concurrent use.
type Embedder struct {
	cfg    Config
	info   Info
	man    Manifest
	norm   Normalizer
	tok    *Tokenizer
	live   []*session // one per lane (embed.live_lanes)
	bulk   *session
	cache  *lru.Cache[string, []float32]
	logger *slog.Logger

	queue   chan *liveRequest
	pending atomic.Int64 // live texts announced by callers, not yet taken by the batcher
	gate    priorityGate
	bulkMu  sync.Mutex
	quit    chan struct{}
	work    chan []*liveRequest // formed batches, taken by the first idle lane
	lanes   sync.WaitGroup      // the lanes' goroutines
	done    chan struct{}       // closed once the batcher and every lane have returned
	closed  atomic.Bool

	stats struct{ cacheHits, cacheMisses, liveBatches, liveTexts, bulkBatches, bulkTexts atomic.Int64 }
	// batchObserver, when set, sees every batch run (see ObserveBatches).
	batchObserver atomic.Pointer[func(pool string, size int)]
}

// ObserveBatches has f called with each batch the model runs: its pool
// ("live" for questions, "bulk" for passages) and its size (metrics).
func (e *Embedder) ObserveBatches(f func(pool string, size int)) { e.batchObserver.Store(&f) }

func (e *Embedder) observeBatch(pool string, size int) {
	if f := e.batchObserver.Load(); f != nil {
		(*f)(pool, size)
	}
}

// Open loads the ONNX Runtime library, the model directory and its
// tokenizer, creates the live and bulk sessions and starts the batcher.
func Open(cfg Config, logger *slog.Logger) (_ *Embedder, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := InitRuntime(ResolveORTLib(cfg.ORTLib)); err != nil {
		return nil, err
	}
	dir := cfg.ModelDir
	if dir == "" {
		return nil, fmt.Errorf("%w: embed.model_dir is empty", ErrBadModelDir)
	}
	m, err := CheckModelDir(dir)
	if err != nil {
		return nil, err
	}
	tok, err := LoadTokenizer(filepath.Join(dir, TokenizerFile), m.MaxTokens)
	if err != nil {
		return nil, err
	}
	e := &Embedder{
		cfg:    cfg,
		man:    m,
		norm:   Normalizer{MaxRunes: cfg.MaxRunes},
		tok:    tok,
		logger: logger,
		queue:  make(chan *liveRequest, 4*cfg.MaxBatch),
		work:   make(chan []*liveRequest),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	e.gate.init()
	modelPath := filepath.Join(dir, ModelFile)
	// Neither session's threads spin-wait between runs: in a server the
	// cores they would spin on answer HTTP, search and rerank (on 2 cores,
	// spinning live threads cost bench ask a fifth of its questions/s).
	for _, threads := range cfg.laneThreads() {
		s, err := newSession(modelPath, m, sessionOptions{threads: threads, spinning: false})
		if err != nil {
			return nil, errors.Join(err, e.closeLive())
		}
		e.live = append(e.live, s)
	}
	if e.bulk, err = newSession(modelPath, m, sessionOptions{threads: cfg.bulkThreads(), spinning: false}); err != nil {
		return nil, errors.Join(err, e.closeLive())
	}
	if cfg.CacheSize > 0 {
		e.cache, _ = lru.New[string, []float32](cfg.CacheSize)
	}
	grade := m.Grade
	if grade == "" {
		grade = "synthetic"
	}
	e.info = Info{Name: m.Name, Dir: dir, Dimension: m.Dimension, Pooling: m.Pooling, MaxTokens: m.MaxTokens,
		Grade: grade, Source: m.Source, License: m.License, Note: m.Note, ORTVersion: RuntimeVersion()}
	e.lanes.Add(len(e.live))
	for _, s := range e.live {
		go e.lane(s)
	}
	go e.batchLoop()
	go func() { e.lanes.Wait(); close(e.done) }()
	return e, nil
}

// Info describes the loaded model.
func (e *Embedder) Info() Info { return e.info }

// Dimension is the length of every vector Embed returns.
func (e *Embedder) Dimension() int { return e.man.Dimension }

// Normalize applies the embedder's normalizer (the same one Embed uses).
func (e *Embedder) Normalize(text string) (string, error) { return e.norm.Normalize(text) }

// Stats returns counters since Open.
func (e *Embedder) Stats() Stats {
	s := &e.stats
	return Stats{CacheHits: s.cacheHits.Load(), CacheMisses: s.cacheMisses.Load(),
		LiveBatches: s.liveBatches.Load(), LiveTexts: s.liveTexts.Load(),
		BulkBatches: s.bulkBatches.Load(), BulkTexts: s.bulkTexts.Load()}
}

// Embed returns one L2-normalized vector per text. Texts are normalized
// first (see Normalize); a text that is invalid UTF-8 or empty after
// normalization fails the call with an error naming its index.
func (e *Embedder) Embed(ctx context.Context, texts []string, role Role) ([][]float32, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	prefix := e.man.QueryPrefix
	if role == RolePassage {
		prefix = e.man.PassagePrefix
	}
	inputs := make([]string, len(texts))
	for i, t := range texts {
		n, err := e.norm.Normalize(t)
		if err != nil {
			return nil, fmt.Errorf("text %d: %w", i, err)
		}
		if n == "" {
			return nil, fmt.Errorf("text %d: %w", i, ErrEmptyText)
		}
		inputs[i] = prefix + n
	}
	if role == RolePassage {
		return e.embedBulk(ctx, inputs)
	}
	return e.embedLive(ctx, inputs)
}

// Close stops the batcher and releases the sessions. In-flight calls finish first.
func (e *Embedder) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	close(e.quit)
	<-e.done
	e.bulkMu.Lock()
	defer e.bulkMu.Unlock()
	return errors.Join(e.closeLive(), e.bulk.close())
}

// closeLive releases the live sessions.
func (e *Embedder) closeLive() error {
	var err error
	for _, s := range e.live {
		err = errors.Join(err, s.close())
	}
	return err
}

// embedBulk runs passages on the bulk session, longest-first sorted so that
// each forward pass pads little, yielding to live questions between passes.
func (e *Embedder) embedBulk(ctx context.Context, texts []string) ([][]float32, error) {
	type item struct {
		i   int
		ids []int64
	}
	items := make([]item, len(texts))
	for i, t := range texts {
		ids, err := e.tok.Encode(t)
		if err != nil {
			return nil, fmt.Errorf("tokenizing text %d: %w", i, err)
		}
		items[i] = item{i, ids}
	}
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(len(b.ids), len(a.ids)) })
	out := make([][]float32, len(texts))
	for start := 0; start < len(items); start += e.cfg.BulkBatch {
		chunk := items[start:min(start+e.cfg.BulkBatch, len(items))]
		rows := make([][]int64, len(chunk))
		for j, it := range chunk {
			rows[j] = it.ids
		}
		if err := e.gate.waitIdle(ctx); err != nil {
			return nil, err
		}
		vecs, err := e.runBulk(ctx, pad(rows, e.tok.PadID()))
		if err != nil {
			return nil, err
		}
		for j, it := range chunk {
			out[it.i] = vecs[j]
		}
	}
	return out, nil
}

func (e *Embedder) runBulk(ctx context.Context, p padded) ([][]float32, error) {
	e.bulkMu.Lock()
	defer e.bulkMu.Unlock()
	if e.closed.Load() {
		return nil, ErrClosed
	}
	e.stats.bulkBatches.Add(1)
	e.stats.bulkTexts.Add(int64(p.rows))
	e.observeBatch("bulk", p.rows)
	return e.bulk.run(ctx, p)
}

// embedLive answers queries from the cache where it can and sends the rest
// to the micro-batcher.
func (e *Embedder) embedLive(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var todo []*liveRequest
	for i, t := range texts {
		if e.cache != nil {
			if v, ok := e.cache.Get(t); ok {
				e.stats.cacheHits.Add(1)
				out[i] = v
				continue
			}
			e.stats.cacheMisses.Add(1)
		}
		ids, err := e.tok.Encode(t)
		if err != nil {
			return nil, fmt.Errorf("tokenizing text %d: %w", i, err)
		}
		todo = append(todo, &liveRequest{ctx: ctx, index: i, text: t, ids: ids, result: make(chan liveResult, 1)})
	}
	// Announce every text first, so the batcher waits for the rest of this
	// call instead of running its first text alone.
	e.pending.Add(int64(len(todo)))
	var reqs []*liveRequest
	for k, r := range todo {
		e.gate.liveEnter()
		select {
		case e.queue <- r:
			reqs = append(reqs, r)
		case <-ctx.Done():
			e.gate.liveExit()
			e.pending.Add(-int64(len(todo) - k))
			return nil, ctx.Err()
		case <-e.quit:
			e.gate.liveExit()
			e.pending.Add(-int64(len(todo) - k))
			return nil, ErrClosed
		}
	}
	for _, r := range reqs {
		select {
		case res := <-r.result:
			if res.err != nil {
				return nil, res.err
			}
			out[r.index] = res.vec
			if e.cache != nil {
				e.cache.Add(r.text, res.vec)
			}
		case <-ctx.Done():
			// The batcher still owns the request and its tensors. Results
			// are buffered, so it never blocks on us; it terminates the
			// run once no caller in the batch is left waiting.
			return nil, ctx.Err()
		}
	}
	return out, nil
}
