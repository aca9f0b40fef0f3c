package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/jieda/jieda/index"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// testConfig is DefaultConfig in dir.
func testConfig(dir string) Config {
	cfg := DefaultConfig()
	cfg.Path = dir
	return cfg
}

// open opens a store and closes it when the test ends.
func open(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, index.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// testID returns the n-th test id; ids sort by n.
func testID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", n) }

// testVector is a deterministic unit vector for point n.
func testVector(n, dim int) []float32 {
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	v := make([]float32, dim)
	var sq float64
	for i := range v {
		v[i] = float32(rng.NormFloat64())
		sq += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(sq))
	}
	return v
}

// testSparse is a deterministic sparse vector for point n.
func testSparse(n int) *index.Sparse {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	sp := &index.Sparse{}
	t := uint32(rng.IntN(5))
	for range 1 + rng.IntN(6) {
		sp.Indices = append(sp.Indices, t)
		sp.Values = append(sp.Values, float32(0.5+rng.Float64()))
		t += 1 + uint32(rng.IntN(20))
	}
	return sp
}

func closeTo(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5 {
			return false
		}
	}
	return true
}
