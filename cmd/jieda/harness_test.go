package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/answer/answertest"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/models/synth"
)

var (
	testEmbOnce sync.Once
	testEmb     *embed.Embedder
	testEmbErr  error
)

// builtinEmbedder opens the builtin model once for the package's tests.
func builtinEmbedder(t *testing.T) *embed.Embedder {
	t.Helper()
	testEmbOnce.Do(func() {
		dir, err := os.MkdirTemp("", "jieda-cmd-model-")
		if err != nil {
			testEmbErr = err
			return
		}
		md := filepath.Join(dir, synth.BuiltinName)
		if testEmbErr = synth.WriteBuiltin(md); testEmbErr != nil {
			return
		}
		cfg := embed.DefaultConfig()
		cfg.ModelDir = md
		testEmb, testEmbErr = embed.Open(cfg, nil)
	})
	if testEmbErr != nil {
		t.Fatalf("opening the builtin model (run `make setup`): %v", testEmbErr)
	}
	return testEmb
}

// testServer is `jieda serve`'s own wiring (serveOn) on a loopback port.
type testServer struct {
	url   string
	store index.Store
	clock *answertest.Clock
	sys   *system
}

// serverOption adjusts a test server's app before it starts.
type serverOption func(*app)

// withKeyCacheTTL sets how long checked keys are cached; 0 turns the cache off.
func withKeyCacheTTL(d time.Duration) serverOption {
	return func(a *app) { a.httpOptions.KeyCacheTTL = &d }
}

// onQdrant stores everything in the Qdrant server at addr.
func onQdrant(addr string) serverOption {
	return func(a *app) {
		a.cfg.Store.Engine = "qdrant"
		a.cfg.Store.Qdrant.Addr = addr
	}
}

// startServer runs serveOn, exactly as `jieda serve` does, over a fresh
// embedded store with the package's builtin model and fast webhook
// retries to loopback receivers; a fake clock drives key caching and rate limits. edit adjusts
// the server config.
func startServer(t *testing.T, edit func(*httpapi.Config), opts ...serverOption) *testServer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Store.Path = filepath.Join(t.TempDir(), "data")
	cfg.Webhook.BackoffBase = 20 * time.Millisecond
	cfg.Webhook.BackoffMax = 100 * time.Millisecond
	cfg.Webhook.AllowHosts = []string{"127.0.0.0/8"} // the tests' receivers are on loopback
	if edit != nil {
		edit(&cfg.Server)
	}
	clock := answertest.NewClock()
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("JIEDA_TEST_LOG") != "" { // JIEDA_TEST_LOG=1 go test … shows the servers' logs
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	a := &app{cfg: cfg, logger: logger, stdout: io.Discard, stderr: io.Discard, model: builtinEmbedder(t)}
	a.httpOptions.Now = clock.Now
	for _, o := range opts {
		o(a)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	started := make(chan *system, 1)
	done := make(chan error, 1)
	go func() { done <- a.serveOn(ctx, ln, func(s *system) { started <- s }) }()
	var sys *system
	select {
	case sys = <-started:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	if sys.engine == nil {
		t.Fatalf("serve started without its engine: model %v, store %v", sys.modelErr, sys.storeErr)
	}
	return &testServer{url: "http://" + ln.Addr().String(), store: sys.store, clock: clock, sys: sys}
}

// startAnswerServer is startServer that also returns the answer engine.
func startAnswerServer(t *testing.T, edit func(*httpapi.Config), opts ...serverOption) (*testServer, *answer.Engine) {
	t.Helper()
	s := startServer(t, edit, opts...)
	return s, s.sys.engine
}

// startAnswerServerWithCurator is startAnswerServer that also returns the curator.
func startAnswerServerWithCurator(t *testing.T, edit func(*httpapi.Config)) (*testServer, *answer.Engine, *curate.Curator) {
	t.Helper()
	s := startServer(t, edit)
	return s, s.sys.engine, s.sys.curator
}

// newKey stores a key directly in the server's store.
func (s *testServer) newKey(t *testing.T, r apikey.Role, kbs ...string) (string, apikey.Key) {
	t.Helper()
	key, k, err := apikey.NewStore(s.store).Create(t.Context(), r, kbs, "test "+r.String(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return key, k
}

// newTrustedKey stores a trusted key (an integration that may vouch for customers' tiers).
func (s *testServer) newTrustedKey(t *testing.T, r apikey.Role, kbs ...string) string {
	t.Helper()
	key, _, err := apikey.NewStore(s.store).CreateKey(t.Context(), apikey.Spec{Role: r, KBs: kbs, Name: "trusted " + r.String(), Trusted: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// conversationTurns reads the remembered turns of the one conversation
// with this id in kb (conversations are stored per owner: another owner's
// conversation with the same id fails the test).
func (s *testServer) conversationTurns(t *testing.T, kb, id string) []answer.Turn {
	t.Helper()
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb), index.MatchKeyword("conversation_id", id)}}
	var turns []answer.Turn
	n := 0
	err := index.ScrollAll(t.Context(), s.store, answer.ConversationsCollection, index.ScrollRequest{Filter: f, Limit: 10, With: index.With{Payload: true}}, func(r index.Record) error {
		n++
		js, _ := r.Payload["turns"].(string)
		return json.Unmarshal([]byte(js), &turns)
	})
	if err != nil || n > 1 {
		t.Fatalf("conversation %s/%s: %d stored, %v", kb, id, n, err)
	}
	return turns
}
