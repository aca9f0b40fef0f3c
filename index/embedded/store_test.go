package embedded

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/indextest"
)

func TestContract(t *testing.T) {
	indextest.Run(t, func(t *testing.T) index.Store {
		return open(t, testConfig(t.TempDir()))
	})
}

// TestContractHNSW runs the contract suite with the graph built from the
// first point and no full vectors in memory, so searches walk the graph
// and rescore from the database, and with hybrid queries' legs run
// concurrently: at the suite's sizes HNSW must still be exact.
func TestContractHNSW(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	defer func(n int) { parallelLegsFrom = n }(parallelLegsFrom)
	parallelLegsFrom = 0
	indextest.Run(t, func(t *testing.T) index.Store {
		cfg := testConfig(t.TempDir())
		cfg.ExactBelow = 0
		cfg.FloatCacheMB = 0
		return open(t, cfg)
	})
}

// TestContractNoFloats runs the contract suite with no full vectors in
// memory: exact scans run on the int8 codes and rescore from the database.
func TestContractNoFloats(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	indextest.Run(t, func(t *testing.T) index.Store {
		cfg := testConfig(t.TempDir())
		cfg.FloatCacheMB = 0
		return open(t, cfg)
	})
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	bad := Config{ExactBelow: -1, HNSWM: 1, HNSWEfConstruction: 0, HNSWEfSearch: 20000, MaxPending: -1, FloatCacheMB: -1}
	err := bad.Validate()
	for _, key := range []string{"store.path", "store.embedded.exact_below", "store.embedded.hnsw_m",
		"store.embedded.hnsw_ef_construction", "store.embedded.hnsw_ef_search", "store.embedded.max_pending",
		"store.embedded.float_cache_mb"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Validate error %v does not name %s", err, key)
		}
	}
}

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	open(t, testConfig(dir))
	_, err := Open(context.Background(), testConfig(dir), nil)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}

func TestCloseIdempotent(t *testing.T) {
	s, err := Open(context.Background(), testConfig(t.TempDir()), nil)
	must(t, err)
	must(t, s.Close())
	must(t, s.Close())
	if _, err := s.Collections(context.Background()); !errors.Is(err, index.ErrClosed) {
		t.Errorf("Collections after Close: %v", err)
	}
	if err := s.Backup(context.Background(), new(strings.Builder)); !errors.Is(err, index.ErrClosed) {
		t.Errorf("Backup after Close: %v", err)
	}
}
