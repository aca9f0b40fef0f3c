package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/models/synth"
)

// TestBenchAsk runs `jieda bench ask` briefly on the sample KB with the
// builtin model: on the embedded engine, importing into --store-cache the
// first time and copying from it the second, and on the Qdrant engine
// against the in-process Qdrant protocol server, so that path is
// exercised end to end (import over gRPC, then every question's searches
// and writes).
func TestBenchAsk(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	kb, queries := abs(t, "../../answer/samplekb/articles.jsonl"), abs(t, "../../answer/samplekb/queries.jsonl")
	dir := chdir(t)
	model := filepath.Join(dir, synth.BuiltinName)
	if err := synth.WriteBuiltin(model); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	tests := []struct {
		name  string
		store string
		cache string
	}{
		{"embedded, cache filled", "embedded", cache},
		{"embedded, from the cache", "embedded", cache},
		{"qdrant", "qdrant", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"bench", "ask", "--model", model, "--kb", kb, "--queries", queries, "--json",
				"--store", tt.store, "--clients", "4", "--warmup", "0s", "--duration", "1s", "--embed-ref", "200ms"}
			if tt.cache != "" {
				args = append(args, "--store-cache", tt.cache)
			}
			code, stdout, errOut := run(t, t.Context(), args...)
			if code != 0 {
				t.Fatalf("bench ask: exit %d\n%s\n%s", code, stdout, errOut)
			}
			var res benchAskResult
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatalf("bench ask --json: %v\n%s", err, stdout)
			}
			sat := 0
			for _, n := range res.Decisions {
				sat += n
			}
			type shape struct {
				Store                       string
				Articles, Clients, Errors   int
				Answered, Paced, RateIsAuto bool
				RatioIsQuotient             bool
			}
			got := shape{Store: res.Store, Articles: res.Articles, Clients: res.Clients, Errors: res.Errors,
				Answered: res.QPS > 0 && sat > 0 && res.Requests > sat, // both phases answered
				Paced:    res.P50ms > 0 && res.P99ms >= res.P50ms && res.PacedQPS > 0,
				// --rate auto offers 70% of the saturation just measured.
				RateIsAuto:      res.RateAuto && res.Rate == math.Round(0.7*res.QPS),
				RatioIsQuotient: res.EmbedQPS > 0 && math.Abs(res.AskToEmbed-res.QPS/res.EmbedQPS) < 1e-9,
			}
			want := shape{Store: tt.store, Articles: 246, Clients: 4, Answered: true, Paced: true, RateIsAuto: true, RatioIsQuotient: true}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("bench ask (-want +got):\n%s\n%s", diff, stdout)
			}
		})
	}
	entries, err := os.ReadDir(cache)
	if err != nil || len(entries) != 1 {
		t.Fatalf("--store-cache holds %v (%v), want one entry", entries, err)
	}
	if _, err := os.Stat(filepath.Join(cache, entries[0].Name(), "key")); err != nil {
		t.Errorf("the cache entry is not marked complete: %v", err)
	}
}

func abs(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
