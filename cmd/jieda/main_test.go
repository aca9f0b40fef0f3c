package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/models/synth"
)

// asBinaryEnv makes the test binary behave as the jieda binary (tests
// that run jieda as a child process, such as the soak, re-execute it).
const asBinaryEnv = "JIEDA_TEST_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(asBinaryEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	// Tests run in temporary directories: pin the library found from the checkout.
	if lib, err := filepath.Abs(embed.ResolveORTLib("")); err == nil {
		os.Setenv(embed.ORTLibEnv, lib)
	}
	os.Exit(m.Run())
}

// run executes the CLI in-process and returns its exit code and output.
func run(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// chdir runs the test in a fresh directory (config files are looked up
// relative to it) and clears JIEDA_* variables.
func chdir(t *testing.T) string {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "JIEDA_") && k != embed.ORTLibEnv {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	return dir
}

func TestConfigPrecedence(t *testing.T) {
	dir := chdir(t)
	// Defaults.
	code, out, errOut := run(t, t.Context(), "config", "show")
	if code != 0 {
		t.Fatalf("config show: %d %s", code, errOut)
	}
	for _, want := range []string{"addr: 127.0.0.1:8080", "max_batch: 32", "max_wait: 1ms", "config file: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("defaults: missing %q in\n%s", want, out)
		}
	}
	// ./jieda.yaml is read when present; the file beats defaults.
	yaml := "server:\n  addr: 127.0.0.1:9001\n  admin_key: s3cret-admin\nembed:\n  max_batch: 16\n  max_wait: 3ms\n"
	if err := os.WriteFile(filepath.Join(dir, "jieda.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ = run(t, t.Context(), "config", "show")
	for _, want := range []string{"config file: jieda.yaml", "addr: 127.0.0.1:9001", "max_batch: 16", "max_wait: 3ms", "admin_key: '[redacted]'"} {
		if !strings.Contains(out, want) {
			t.Errorf("file: missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cret-admin") {
		t.Errorf("config show leaks the admin key:\n%s", out)
	}
	// Environment beats the file.
	t.Setenv("JIEDA_EMBED_MAX_BATCH", "12")
	t.Setenv("JIEDA_EMBED_MODEL_DIR", "/opt/models/x")
	_, out, _ = run(t, t.Context(), "config", "show")
	for _, want := range []string{"max_batch: 12", "model_dir: /opt/models/x", "max_wait: 3ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("env: missing %q in\n%s", want, out)
		}
	}
	// --config names another file.
	other := filepath.Join(dir, "other.yaml")
	if err := os.WriteFile(other, []byte("log:\n  level: debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ = run(t, t.Context(), "--config", other, "config", "show")
	if !strings.Contains(out, "level: debug") || strings.Contains(out, "addr: 127.0.0.1:9001") {
		t.Errorf("--config: want only other.yaml's values:\n%s", out)
	}
}

func TestConfigFlagsBeatEnv(t *testing.T) {
	chdir(t)
	t.Setenv("JIEDA_SERVER_ADDR", "127.0.0.1:1")
	a := &app{stdout: io.Discard, stderr: io.Discard}
	cmd := a.serveCommand()
	if err := cmd.Flags().Set("addr", "127.0.0.1:2"); err != nil {
		t.Fatal(err)
	}
	if err := a.load(cmd, map[string]string{"addr": "server.addr"}); err != nil {
		t.Fatal(err)
	}
	if a.cfg.Server.Addr != "127.0.0.1:2" {
		t.Errorf("flag should beat env: got %s", a.cfg.Server.Addr)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, env, want string
	}{
		{"bad int in env", "", "JIEDA_EMBED_MAX_BATCH=lots", "embed.max_batch"},
		{"out of range", "embed:\n  max_batch: 0\n", "", "embed.max_batch"},
		{"bad duration", "embed:\n  max_wait: soon\n", "", "embed.max_wait"},
		{"bad level", "log:\n  level: loud\n", "", "log.level"},
		{"unknown key", "embed:\n  modle_dir: x\n", "", "embed.modle_dir"}, //nolint:misspell // a misspelt key on purpose
		{"sparse", "embed:\n  sparse:\n    b: 2\n", "", "embed.sparse.b"},
		{"malformed yaml", "embed: [\n", "", "jieda.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := chdir(t)
			if tc.yaml != "" {
				if err := os.WriteFile(filepath.Join(dir, "jieda.yaml"), []byte(tc.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if k, v, ok := strings.Cut(tc.env, "="); ok {
				t.Setenv(k, v)
			}
			code, _, errOut := run(t, t.Context(), "config", "show")
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q: want a failure naming %q", code, errOut, tc.want)
			}
		})
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serveUntil runs `jieda serve` in-process and returns its address and a stop function.
func serveUntil(t *testing.T, args ...string) (string, func() (int, string)) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- execute(ctx, append([]string{"serve", "--addr", addr}, args...), io.Discard, &errb) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr, func() (int, string) {
		cancel()
		return <-done, errb.String()
	}
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s: decoding body: %v", url, err)
	}
	return resp.StatusCode, body
}

func TestServeReadyWithModel(t *testing.T) {
	dir := chdir(t)
	modelDir := filepath.Join(dir, "models", embed.BuiltinName)
	if err := os.MkdirAll(modelDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteBuiltin(modelDir); err != nil {
		t.Fatal(err)
	}
	addr, stop := serveUntil(t)
	code, body := getJSON(t, "http://"+addr+"/healthz")
	if code != 200 || body["status"] != "ok" {
		t.Errorf("/healthz: %d %v", code, body)
	}
	code, body = getJSON(t, "http://"+addr+"/readyz")
	model, _ := body["model"].(map[string]any)
	if code != 200 || body["status"] != "ready" || model["grade"] != embed.GradeLexical || model["onnxruntime"] != embed.ORTVersion {
		t.Errorf("/readyz: %d %v", code, body)
	}
	if w, _ := model["warning"].(string); !strings.Contains(w, "jieda model pull") {
		t.Errorf("/readyz should say the builtin model is lexical-grade and how to pull a real one: %v", model)
	}
	exit, logs := stop()
	if exit != 0 {
		t.Errorf("serve exited %d:\n%s", exit, logs)
	}
	if !strings.Contains(logs, "lexical-grade") {
		t.Errorf("startup log should warn about the lexical-grade model:\n%s", logs)
	}
}

// Without a model the server still starts; /readyz says what is missing.
func TestServeNotReadyWithoutModel(t *testing.T) {
	chdir(t)
	addr, stop := serveUntil(t)
	code, body := getJSON(t, "http://"+addr+"/readyz")
	model, _ := body["model"].(map[string]any)
	if code != 503 || !strings.Contains(fmt.Sprint(model["error"]), "jieda model builtin") {
		t.Errorf("/readyz without a model: %d %v", code, body)
	}
	if exit, logs := stop(); exit != 0 {
		t.Errorf("serve exited %d:\n%s", exit, logs)
	}
}
