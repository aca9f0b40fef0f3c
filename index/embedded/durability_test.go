package embedded

import (
	"path/filepath"
	"testing"
)

// The default is durable: every acknowledged write is fsync'd. Only a
// config that asks for NoSync (benchmarks, throwaway stores) skips it.
func TestDefaultKeepsFsync(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.NoSync {
		t.Fatal("DefaultConfig().NoSync is true: acknowledged writes would not be fsync'd")
	}
	for _, noSync := range []bool{false, true} {
		cfg.Path = filepath.Join(t.TempDir(), "data")
		cfg.NoSync = noSync
		s, err := Open(t.Context(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.db.NoSync != noSync || s.db.NoFreelistSync {
			t.Errorf("NoSync %v: bbolt NoSync %v, NoFreelistSync %v", noSync, s.db.NoSync, s.db.NoFreelistSync)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
