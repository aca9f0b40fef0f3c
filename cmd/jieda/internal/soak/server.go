package soak

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Server is the jieda child process, killed and started again on one store.
type Server struct {
	cfg  Config
	addr string
	env  []string
	log  *os.File

	mu       sync.Mutex
	cmd      *exec.Cmd
	up       atomic.Bool // ready and not being killed
	closeLog sync.Once
	gen      atomic.Int64
	exit     chan error
}

// NewServer prepares a server over cfg.Dir (Start runs it).
func NewServer(cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(cfg.Dir, "server.log"))
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"JIEDA_STORE_PATH="+filepath.Join(cfg.Dir, "data"),
		"JIEDA_SERVER_ADDR="+addr,
		"JIEDA_SERVER_ADMIN_KEY="+AdminKey,
		"JIEDA_SERVER_RATE_LIMIT=0",
		"JIEDA_WEBHOOK_ALLOW_HOSTS=127.0.0.0/8",
		"JIEDA_WEBHOOK_BACKOFF_BASE=200ms",
		"JIEDA_WEBHOOK_BACKOFF_MAX=2s",
		"JIEDA_WEBHOOK_SCAN_INTERVAL=1s",
		"JIEDA_LOG_LEVEL=warn",
	)
	if cfg.ModelDir != "" {
		env = append(env, "JIEDA_EMBED_MODEL_DIR="+cfg.ModelDir)
	}
	env = append(env, cfg.Env...)
	return &Server{cfg: cfg, addr: addr, env: env, log: log}, nil
}

// AdminKey is the bootstrap admin key of the soaked server.
const AdminKey = "soak-admin-key-0123456789"

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.addr }

// Start runs the server and waits until /readyz says ready.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	cmd := exec.Command(s.cfg.Binary, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = s.env, s.log, s.log
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("starting jieda serve: %w", err)
	}
	exit := make(chan error, 1)
	go func() { exit <- cmd.Wait() }()
	s.cmd, s.exit = cmd, exit
	s.mu.Unlock()
	deadline := time.Now().Add(2 * time.Minute)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/readyz", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close() //nolint:errcheck // a probe
			if resp.StatusCode == http.StatusOK {
				s.gen.Add(1)
				s.up.Store(true)
				return nil
			}
		}
		select {
		case err := <-exit:
			exit <- err
			return fmt.Errorf("jieda serve exited while starting (%w); see %s", err, s.log.Name())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("jieda serve did not become ready in 2 minutes")
		}
	}
}

// Kill SIGKILLs the server and waits for it to be gone.
func (s *Server) Kill() error {
	s.up.Store(false)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	exitErr := <-s.exit
	s.cmd = nil
	if exitErr == nil {
		return errors.New("jieda serve exited by itself before it was killed")
	}
	return nil
}

// Stop ends the server gracefully.
func (s *Server) Stop() error {
	s.up.Store(false)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-s.exit:
		s.cmd = nil
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("jieda serve exited with %w at shutdown; see %s", err, s.log.Name())
		}
		return err
	case <-time.After(30 * time.Second):
		return errors.New("jieda serve did not stop within 30s of SIGTERM")
	}
}

// Close kills the server if it runs and closes its log; later calls do nothing.
func (s *Server) Close() error {
	err := s.Kill()
	s.closeLog.Do(func() { err = errors.Join(err, s.log.Close()) })
	return err
}
