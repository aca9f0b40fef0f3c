package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

// TestBenchIndexScaling runs `bench index` over two sizes: --json prints
// one result per size, the text form a table with a row per size.
func TestBenchIndexScaling(t *testing.T) {
	chdir(t)
	args := []string{"bench", "index", "--n", "1500,2500", "--dim", "16", "--queries", "20"}
	code, stdout, errOut := run(t, t.Context(), append(args, "--json")...)
	if code != 0 {
		t.Fatalf("bench index --json: %d %s", code, errOut)
	}
	var res []map[string]any
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("bench index --json: %v\n%s", err, stdout)
	}
	if len(res) != 2 || res[0]["n"] != 1500.0 || res[1]["n"] != 2500.0 {
		t.Fatalf("bench index --json: want results for 1500 and 2500 points, got %s", stdout)
	}
	for _, r := range res {
		// bytes_per_point is the heap growth of the open store: at a few
		// thousand points it is within the GC noise of a test process
		// (negative under -race at times), so only its presence is checked.
		if _, ok := r["bytes_per_point"].(float64); !ok {
			t.Errorf("n=%v: bytes_per_point = %v, want a number", r["n"], r["bytes_per_point"])
		}
		keys := []string{"dense_p50_ms", "recall_at_10", "sparse_p50_ms", "hybrid_p50_ms", "upsert_per_s", "open_s", "rss_mb"}
		if runtime.GOOS == "linux" { // CPU times are read on Linux only
			keys = append(keys, "dense_p50_cpu_ms", "sparse_p50_cpu_ms", "hybrid_p50_cpu_ms", "open_cpu_s")
		}
		for _, k := range keys {
			if v, ok := r[k].(float64); !ok || v <= 0 {
				t.Errorf("n=%v: %s = %v, want a positive number", r["n"], k, r[k])
			}
		}
	}

	code, stdout, errOut = run(t, t.Context(), args...)
	if code != 0 {
		t.Fatalf("bench index: %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "RSS MB") ||
		!strings.HasPrefix(strings.TrimSpace(lines[1]), "1500 ") || !strings.HasPrefix(strings.TrimSpace(lines[2]), "2500 ") {
		t.Errorf("bench index table:\n%s", stdout)
	}
}
