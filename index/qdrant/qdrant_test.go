package qdrant_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/indextest"
	"github.com/jieda/jieda/index/qdrant"
	"github.com/jieda/jieda/index/qdrant/qdranttest"
)

// TestContract runs the index contract suite against the Qdrant engine:
// against the Qdrant at QDRANT_ADDR (host:port of its gRPC API; optional
// QDRANT_API_KEY, QDRANT_TLS=1) when set, else against the in-process
// qdranttest server over a real loopback gRPC connection.
func TestContract(t *testing.T) {
	if addr := os.Getenv("QDRANT_ADDR"); addr != "" {
		indextest.Run(t, realQdrant(t, addr))
		return
	}
	indextest.Run(t, func(t *testing.T) index.Store {
		srv := qdranttest.Start(t, nil)
		return open(t, srv.Addr(), "jieda_")
	})
}

// realQdrant returns a newStore for a shared Qdrant: every store of this
// run uses one random collection prefix, and whatever is left under it is
// deleted when the test ends.
func realQdrant(t *testing.T, addr string) func(t *testing.T) index.Store {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	prefix := "jieda_test_" + hex.EncodeToString(b) + "_"
	t.Logf("running the contract suite against qdrant at %s, collection prefix %s", addr, prefix)
	t.Cleanup(func() {
		s := open(t, addr, prefix)
		ctx := context.Background()
		infos, err := s.Collections(ctx)
		if err != nil {
			t.Errorf("listing leftover collections: %v", err)
			return
		}
		for _, info := range infos {
			if err := s.DeleteCollection(ctx, info.Name); err != nil {
				t.Errorf("deleting leftover collection %s: %v", info.Name, err)
			}
		}
	})
	return func(t *testing.T) index.Store { return open(t, addr, prefix) }
}

func open(t testing.TB, addr, prefix string) *qdrant.Store {
	t.Helper()
	cfg := qdrant.DefaultConfig()
	cfg.Addr = addr
	cfg.CollectionPrefix = prefix
	cfg.APIKey = qdrant.Secret(os.Getenv("QDRANT_API_KEY"))
	cfg.TLS = os.Getenv("QDRANT_TLS") == "1"
	cfg.Timeout = 30 * time.Second
	s, err := qdrant.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("opening the qdrant engine: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
