package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/soak"
	"github.com/jieda/jieda/models/synth"
)

// TestSoak runs `jieda bench soak` briefly: mixed traffic, the server
// SIGKILLed every couple of seconds and restarted; nothing acknowledged
// may be lost. JIEDA_SOAK_SEED replays a run; JIEDA_SOAK_DURATION runs
// longer.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(asBinaryEnv, "1") // the children are this test binary acting as jieda
	model := filepath.Join(t.TempDir(), synth.BuiltinName)
	if err := synth.WriteBuiltin(model); err != nil {
		t.Fatal(err)
	}
	arts, err := os.ReadFile("../../answer/samplekb/articles.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	queries, err := answer.ReadQueriesFile("../../answer/samplekb/queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	cfg := soak.Config{Binary: bin, Dir: t.TempDir(), ModelDir: model, Articles: arts,
		Duration: 20 * time.Second, KillEvery: 3 * time.Second, Seed: uint64(time.Now().UnixNano())}
	if s := os.Getenv("JIEDA_SOAK_SEED"); s != "" {
		if cfg.Seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	if s := os.Getenv("JIEDA_SOAK_DURATION"); s != "" {
		if cfg.Duration, err = time.ParseDuration(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range queries {
		cfg.Questions = append(cfg.Questions, q.Query)
	}
	rep, err := soak.Run(t.Context(), cfg)
	if err != nil {
		t.Fatalf("seed %d: %v (server log: %s)", cfg.Seed, err, filepath.Join(cfg.Dir, "server.log"))
	}
	t.Logf("seed %d: %d kills, %d requests, imports %+v, handoffs %d, resolutions %d, approvals %d, deliveries %v",
		cfg.Seed, rep.Kills, rep.Requests, rep.Imports, rep.Handoffs, rep.Resolutions, rep.Approvals, rep.Deliveries)
	if rep.Kills == 0 || rep.Asks == 0 || rep.Handoffs == 0 {
		t.Errorf("seed %d: the soak did too little: %+v", cfg.Seed, rep)
	}
	if bad := rep.Failed(); bad != "" {
		t.Errorf("seed %d (replay with JIEDA_SOAK_SEED=%d): %s; 5xx: %v", cfg.Seed, cfg.Seed, bad, rep.FiveXXWhileUp)
	}
}
