package qdrant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	qc "github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jieda/jieda/index"
)

var _ index.Store = (*Store)(nil)

// maxMessage bounds gRPC messages both ways: a 10,000-point page with
// payloads and vectors is far above gRPC's 4 MiB default.
const maxMessage = 256 << 20

var writeOrderings = map[string]qc.WriteOrderingType{
	"weak":   qc.WriteOrderingType_Weak,
	"medium": qc.WriteOrderingType_Medium,
	"strong": qc.WriteOrderingType_Strong,
}

// Store is the Qdrant engine: an index.Store over Qdrant's gRPC API. It is
// safe for concurrent use.
type Store struct {
	cfg     Config
	log     *slog.Logger
	client  *qc.Client
	pool    []conn // one per pooled connection
	next    atomic.Uint32
	closed  atomic.Bool
	backoff time.Duration // first retry delay; tests shorten it

	mu    sync.Mutex
	known map[string]index.CollectionConfig // by unprefixed name
}

// Open connects to Qdrant and checks its health. An unreachable server is
// an error wrapping index.ErrUnavailable that names the address.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	host, port, err := splitAddr(cfg.Addr)
	if err != nil {
		return nil, err
	}
	if strings.Contains(host, ":") { // IPv6 literal: the client formats host:port itself
		host = "[" + host + "]"
	}
	client, err := qc.NewClient(&qc.Config{
		Host:   host,
		Port:   port,
		APIKey: string(cfg.APIKey),
		UseTLS: cfg.TLS,
		// The client's own check blocks up to a minute on a dead server;
		// Open checks health itself under cfg.Timeout.
		SkipCompatibilityCheck: true,
		PoolSize:               poolSize,
		GrpcOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage))},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: qdrant at %s: %w", index.ErrUnavailable, cfg.Addr, err)
	}
	s := &Store{
		cfg:     cfg,
		log:     logger.With("component", "index.qdrant", "addr", cfg.Addr),
		client:  client,
		backoff: 100 * time.Millisecond,
		known:   map[string]index.CollectionConfig{},
	}
	for range poolSize { // GetConnection goes round the pool
		c := client.GetConnection()
		s.pool = append(s.pool, conn{points: qc.NewPointsClient(c), colls: qc.NewCollectionsClient(c), qdrant: qc.NewQdrantClient(c)})
	}
	var reply *qc.HealthCheckReply
	err = s.call(ctx, "health check", func(ctx context.Context) (err error) {
		reply, err = s.conn().qdrant.HealthCheck(ctx, &qc.HealthCheckRequest{})
		return err
	})
	if err != nil {
		// Unreachable is index.ErrUnavailable (from call), naming the address.
		return nil, errors.Join(fmt.Errorf("opening the qdrant engine: %w", err), client.Close())
	}
	s.log.Debug("connected", "version", reply.GetVersion())
	return s, nil
}

// poolSize is the number of gRPC connections calls are spread over.
const poolSize = 3

// conn holds the service clients of one connection.
type conn struct {
	points qc.PointsClient
	colls  qc.CollectionsClient
	qdrant qc.QdrantClient
}

// conn returns the next connection's clients, round-robin.
func (s *Store) conn() conn { return s.pool[s.next.Add(1)%uint32(len(s.pool))] }

// Close closes the connections. Further calls return index.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.client.Close()
}

// begin checks the store is open and the context live.
func (s *Store) begin(ctx context.Context) error {
	if s.closed.Load() {
		return index.ErrClosed
	}
	return ctx.Err()
}

// call runs one RPC with a per-attempt timeout, retrying transient failures
// with exponential backoff, and maps the final error to index's sentinels.
func (s *Store) call(ctx context.Context, op string, rpc func(ctx context.Context) error) error {
	delay := s.backoff
	for attempt := 0; ; attempt++ {
		if err := s.begin(ctx); err != nil {
			return err
		}
		actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		err := rpc(actx)
		cancel()
		if err == nil {
			return nil
		}
		if s.closed.Load() { // closed under a call in flight
			return fmt.Errorf("qdrant %s: %w", op, index.ErrClosed)
		}
		wait, retry := retryable(err)
		if !retry || attempt >= s.cfg.Retries || ctx.Err() != nil {
			return s.mapErr(ctx, op, err)
		}
		wait = max(wait, delay)
		s.log.Warn("retrying qdrant call", "op", op, "attempt", attempt+1, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// retryable reports whether err is transient and how long the server asked
// to wait.
func retryable(err error) (time.Duration, bool) {
	var rex *qc.QdrantResourceExhaustedError
	if errors.As(err, &rex) {
		return time.Duration(rex.RetryAfterS) * time.Second, true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return 0, true
	}
	return 0, false
}

// mapErr converts a gRPC error to index's sentinels, keeping the server's message.
func (s *Store) mapErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("qdrant %s: %w", op, ctx.Err())
	}
	var rex *qc.QdrantResourceExhaustedError
	if errors.As(err, &rex) {
		return fmt.Errorf("%w: qdrant at %s: %s: %s", index.ErrUnavailable, s.cfg.Addr, op, rex.Error())
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("qdrant %s: %w", op, err)
	}
	msg := st.Message()
	switch st.Code() {
	case codes.NotFound:
		if strings.Contains(strings.ToLower(msg), "collection") {
			return fmt.Errorf("%w: qdrant %s: %s", index.ErrCollectionNotFound, op, msg)
		}
		return fmt.Errorf("qdrant %s: not found: %s", op, msg)
	case codes.InvalidArgument, codes.OutOfRange, codes.AlreadyExists:
		switch {
		case strings.Contains(msg, "order_by"):
			return fmt.Errorf("%w: qdrant %s: %s", index.ErrNoPayloadIndex, op, msg)
		case strings.Contains(msg, "dimension"):
			return fmt.Errorf("%w: qdrant %s: %s", index.ErrDimensionMismatch, op, msg)
		}
		return fmt.Errorf("%w: qdrant %s: %s", index.ErrInvalidArgument, op, msg)
	case codes.Internal:
		if strings.Contains(msg, "marshal") { // e.g. a string that is not UTF-8
			return fmt.Errorf("%w: qdrant %s: %s", index.ErrInvalidArgument, op, msg)
		}
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return fmt.Errorf("%w: qdrant at %s: %s: %s: %s", index.ErrUnavailable, s.cfg.Addr, op, st.Code(), msg)
	case codes.Canceled:
		return fmt.Errorf("qdrant %s: %w", op, context.Canceled)
	case codes.Unauthenticated, codes.PermissionDenied:
		return fmt.Errorf("qdrant at %s rejected the request (check store.qdrant.api_key): %s: %s", s.cfg.Addr, op, msg)
	}
	return fmt.Errorf("qdrant %s: %s: %s", op, st.Code(), msg)
}
