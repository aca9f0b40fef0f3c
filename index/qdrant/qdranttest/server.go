// Package qdranttest serves Qdrant's gRPC protocol in process, for testing
// the Qdrant engine without a Qdrant server. It registers the go-client's
// generated Collections, Points and Qdrant (health) services on a
// grpc.Server and executes the subset of RPCs the engine sends by decoding
// the Qdrant protobuf requests into index types and running them against
// a backing index.Store (index/memstore by default).
//
// # Fidelity
//
// Requests are decoded strictly: anything the engine does not send (numeric
// ids, unnamed vectors, geo conditions, recommend queries, ...) is
// Unimplemented, and a malformed request is InvalidArgument, so an engine
// bug shows up as an error instead of silently different results. Errors
// carry Qdrant's status codes and message shapes: NotFound "Collection `x`
// doesn't exist!", InvalidArgument "Wrong input: ...", "Bad request: No
// range index for `order_by` key ...".
//
// Semantics are Qdrant's where the protocol fixes them: RRF scores
// 1/(k + 0-based position) with k defaulting to 2 (the fake runs the
// backing store's fusion with k-1), order_by yields a point once per value
// of the field and starts inclusively from start_from, set_payload by id
// list fails on a missing id, collection settings round-trip through
// GetCollectionInfo. Where Qdrant leaves an order open the fake picks an
// unhelpful one: equal scores in Query results and equal order_by values
// in Scroll come in descending id order.
//
// # Caveats
//
// Scoring, filtering and fusion are the backing store's, so the fake
// cannot reveal where real Qdrant scores differently (HNSW recall, DBSF's
// sample deviation, f32 arithmetic); run the engine's tests with
// QDRANT_ADDR set for that. Writes must set wait=true (the fake applies
// them synchronously and refuses unacknowledged writes).
package qdranttest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	qc "github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/memstore"
)

// Version is the Qdrant version the health check reports.
const Version = "1.17.0"

// Call is one RPC the server received.
type Call struct {
	// Method is the full gRPC method, e.g. "/qdrant.Points/Query".
	Method string
	// Request is a copy of the request message.
	Request proto.Message
}

// Server is an in-process Qdrant gRPC server backed by an index.Store.
type Server struct {
	backing index.Store
	grpc    *grpc.Server
	lis     net.Listener

	ddl sync.Mutex // serializes collection creates and deletes, as Qdrant's consensus does

	mu       sync.Mutex
	meta     map[string]*qc.CreateCollection // each collection's create request
	calls    []Call
	failN    int
	failCode codes.Code
}

// NewServer returns a server executing requests against backing.
func NewServer(backing index.Store) *Server {
	s := &Server{backing: backing, meta: map[string]*qc.CreateCollection{}}
	s.grpc = grpc.NewServer(
		grpc.UnaryInterceptor(s.intercept),
		grpc.MaxRecvMsgSize(256<<20), grpc.MaxSendMsgSize(256<<20),
		// The go-client pings every 10s.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true}),
	)
	qc.RegisterCollectionsServer(s.grpc, &collections{s: s})
	qc.RegisterPointsServer(s.grpc, &points{s: s})
	qc.RegisterQdrantServer(s.grpc, &health{})
	return s
}

// Serve accepts connections on lis until Stop.
func (s *Server) Serve(lis net.Listener) error {
	s.mu.Lock()
	s.lis = lis
	s.mu.Unlock()
	return s.grpc.Serve(lis)
}

// Stop closes the listener and every connection.
func (s *Server) Stop() { s.grpc.Stop() }

// Addr is the address Serve listens on.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lis == nil {
		return ""
	}
	return s.lis.Addr().String()
}

// Start serves on a loopback port until the test ends. A nil backing
// store is a fresh memstore.
func Start(t testing.TB, backing index.Store) *Server {
	t.Helper()
	if backing == nil {
		backing = memstore.New()
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("qdranttest: listening: %v", err)
	}
	s := NewServer(backing)
	s.mu.Lock()
	s.lis = lis
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.grpc.Serve(lis)
	}()
	t.Cleanup(func() {
		s.Stop()
		<-done
	})
	return s
}

// FailNext makes the next n calls fail with code before reaching the
// backing store, as a restarting or overloaded Qdrant would.
func (s *Server) FailNext(n int, code codes.Code) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, code
}

// Calls returns the calls received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// ResetCalls forgets the calls received so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	s.mu.Lock()
	if m, ok := req.(proto.Message); ok {
		s.calls = append(s.calls, Call{Method: info.FullMethod, Request: proto.Clone(m)})
	}
	fail := s.failN > 0
	if fail {
		s.failN--
	}
	code := s.failCode
	s.mu.Unlock()
	if fail {
		return nil, status.Errorf(code, "qdranttest: injected failure of %s", info.FullMethod)
	}
	return handler(ctx, req)
}

type health struct {
	qc.UnimplementedQdrantServer
}

func (*health) HealthCheck(context.Context, *qc.HealthCheckRequest) (*qc.HealthCheckReply, error) {
	return &qc.HealthCheckReply{Title: "qdrant - vector search engine (qdranttest)", Version: Version}, nil
}
