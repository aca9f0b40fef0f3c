package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/cmd/jieda/internal/httpapi"
)

func (a *app) serveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the jieda server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, map[string]string{"addr": "server.addr", "model-dir": "embed.model_dir"}); err != nil {
				return err
			}
			return a.serve(cmd.Context())
		},
	}
	cmd.Flags().String("addr", "", "listen address (server.addr)")
	cmd.Flags().String("model-dir", "", "model directory (embed.model_dir)")
	return cmd
}

// serve listens on server.addr and serves until ctx ends.
func (a *app) serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("server.addr: listening on %s: %w", a.cfg.Server.Addr, err)
	}
	return a.serveOn(ctx, ln, nil)
}

// serveOn opens the system (a model or store that fails to load is
// reported by /readyz, not fatal), serves the API on ln until ctx ends,
// then shuts down and closes everything in reverse. started, when set, is
// called with the system once the server is accepting (tests).
func (a *app) serveOn(ctx context.Context, ln net.Listener, started func(*system)) (err error) {
	sys, err := a.openSystem(ctx, systemOptions{webhooks: true, degraded: true})
	if err != nil {
		return errors.Join(err, ln.Close())
	}
	defer func() { err = errors.Join(err, sys.Close()) }()
	if sys.store != nil {
		a.logger.Info("store opened", "engine", a.cfg.Store.Engine)
	}
	srv := a.httpServer(sys) //nolint:contextcheck // handlers use each request's context
	a.logger.Info("serving", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Listener(ln) }()
	if addr := a.cfg.Server.MetricsAddr; addr != "" {
		stop, err := a.serveMetrics(addr, srv.Metrics) //nolint:contextcheck // its own server, stopped by the returned func
		if err != nil {
			return errors.Join(err, srv.ShutdownWithTimeout(a.cfg.Server.ShutdownTimeout), <-errc)
		}
		defer func() { err = errors.Join(err, stop()) }()
	}
	if started != nil {
		started(sys)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.logger.Info("shutting down")
	if err := srv.ShutdownWithTimeout(a.cfg.Server.ShutdownTimeout); err != nil {
		return err
	}
	return <-errc
}

// serveMetrics serves /metrics alone on addr (server.metrics_addr) until stop.
func (a *app) serveMetrics(addr string, h http.Handler) (stop func() error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("server.metrics_addr: listening on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	a.logger.Info("serving metrics", "addr", ln.Addr().String())
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Server.ShutdownTimeout)
		defer cancel()
		err := srv.Shutdown(ctx)
		if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}, nil
}

// httpServer is the API over sys.
func (a *app) httpServer(sys *system) *httpapi.Server {
	deps := httpapi.Deps{
		Model: sys.model, ModelErr: sys.modelErr,
		Store: sys.store, StoreEngine: a.cfg.Store.Engine, StoreErr: sys.storeErr,
		Engine: sys.engine, Curator: sys.curator, Channels: sys.channels,
	}
	return httpapi.New(a.cfg.Server, deps, a.logger.With("component", "http"), a.httpOptions)
}
