package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/models/synth"
)

// TestBenchAsk runs `jieda bench ask` briefly on the sample KB with the
// builtin model (one small synthetic layer) and a dozen of its questions:
// on the embedded engine, importing into --store-cache the first time and
// copying from it the second, and on the Qdrant engine against the
// in-process Qdrant protocol server, so that path is exercised end to end
// (import over gRPC, then every question's searches and writes). The KB's
// self-calibration is off (it asks ~2,000 questions of the store); the
// phases last a second each.
func TestBenchAsk(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	arts, err := os.ReadFile("../../answer/samplekb/articles.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	all, err := answer.ReadQueriesFile("../../answer/samplekb/queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	dir := chdir(t)
	// The first 60 articles (an import takes seconds on a shared machine).
	lines := bytes.SplitAfter(arts, []byte("\n"))
	kb := filepath.Join(dir, "articles.jsonl")
	if err := os.WriteFile(kb, bytes.Join(lines[:60], nil), 0o600); err != nil {
		t.Fatal(err)
	}
	queries := filepath.Join(dir, "queries.jsonl")
	writeQueries(t, queries, all[:12])
	if err := os.WriteFile(filepath.Join(dir, "jieda.yaml"), []byte("answer:\n  self_calibrate: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
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
				CPUCounted                  bool
			}
			got := shape{Store: res.Store, Articles: res.Articles, Clients: res.Clients, Errors: res.Errors,
				Answered: res.QPS > 0 && sat > 0 && res.Requests > sat, // both phases answered
				Paced:    res.P50ms > 0 && res.P99ms >= res.P50ms && res.PacedQPS > 0,
				// --rate auto offers 70% of the saturation just measured.
				RateIsAuto:      res.RateAuto && res.Rate == math.Round(0.7*res.QPS),
				RatioIsQuotient: res.EmbedQPS > 0 && math.Abs(res.AskToEmbed-res.QPS/res.EmbedQPS) < 1e-9,
				// CPU time is read on Linux (the process clock).
				CPUCounted: runtime.GOOS != "linux" || res.AskCPUms > 0 && res.EmbedCPUms > 0 &&
					math.Abs(res.CPUAskToEmbed-res.EmbedCPUms/res.AskCPUms) < 1e-9,
			}
			want := shape{Store: tt.store, Articles: 60, Clients: 4, Answered: true, Paced: true, RateIsAuto: true, RatioIsQuotient: true, CPUCounted: true}
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

func writeQueries(t *testing.T, path string, qs []answer.LabeledQuery) {
	t.Helper()
	var b []byte
	for _, q := range qs {
		line, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		b = append(append(b, line...), '\n')
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
