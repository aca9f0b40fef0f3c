package qdrant

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/jieda/jieda/index/qdrant/qdranttest"
)

// startFake opens a Store on a fresh in-process Qdrant backed by a memstore.
func startFake(t *testing.T, mutate ...func(*Config)) (*Store, *qdranttest.Server) {
	t.Helper()
	srv := qdranttest.Start(t, nil)
	cfg := DefaultConfig()
	cfg.Addr = srv.Addr()
	cfg.Timeout = 5 * time.Second
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	s.backoff = time.Millisecond
	t.Cleanup(func() { _ = s.Close() })
	return s, srv
}

// requests returns the requests of one method (e.g. "/qdrant.Points/Query")
// the server received since the last reset.
func requests[T proto.Message](srv *qdranttest.Server, method string) []T {
	var out []T
	for _, c := range srv.Calls() {
		if c.Method == method {
			out = append(out, c.Request.(T))
		}
	}
	return out
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// testID returns the n-th test id; ids sort by n.
func testID(n int) string {
	return "00000000-0000-4000-8000-" + leftPad(n)
}

func leftPad(n int) string {
	const hex = "0123456789abcdef"
	b := []byte("000000000000")
	for i := len(b) - 1; n > 0; i-- {
		b[i] = hex[n%16]
		n /= 16
	}
	return string(b)
}
