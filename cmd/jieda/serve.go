package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/spf13/cobra"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/models"
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

// components are what the server has loaded; a component that failed to
// load is reported by /readyz instead of crashing the process.
type components struct {
	mu       sync.RWMutex
	embedder *embed.Embedder
	embedErr error
}

func (c *components) setEmbedder(e *embed.Embedder, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.embedder, c.embedErr = e, err
}

func (c *components) readiness() (embed.Info, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.embedder == nil {
		if c.embedErr == nil {
			return embed.Info{}, errors.New("model loading")
		}
		return embed.Info{}, c.embedErr
	}
	return c.embedder.Info(), nil
}

// openEmbedder resolves the model directory and opens the embedder.
func (a *app) openEmbedder() (*embed.Embedder, error) {
	cfg := a.cfg.Embed
	cat, err := embed.ParseCatalog(models.CatalogJSON)
	if err != nil {
		return nil, err
	}
	dir, err := embed.ResolveModelDir(cfg.ModelDir, a.cfg.ModelsDir, cat.Default().Name)
	if err != nil {
		return nil, err
	}
	cfg.ModelDir = dir
	e, err := embed.Open(cfg, a.logger.With("component", "embed"))
	if err != nil {
		return nil, err
	}
	info := e.Info()
	a.logger.Info("model loaded", "model", info.Name, "dir", info.Dir, "dimension", info.Dimension,
		"grade", info.Grade, "onnxruntime", info.ORTVersion)
	if info.Grade == embed.GradeLexical {
		a.logger.Warn("the builtin offline model is lexical-grade: it matches shared characters and words, not meaning; run `jieda model pull " +
			cat.Default().Name + "` where the network allows for a real model")
	}
	return e, nil
}

func (a *app) serve(ctx context.Context) error {
	comps := &components{}
	e, err := a.openEmbedder() //nolint:contextcheck // the batcher derives each run's context from its callers'
	if err != nil {
		a.logger.Error("embedding model not loaded; /readyz reports it", "err", err)
	}
	comps.setEmbedder(e, err)
	defer func() {
		if e != nil {
			if err := e.Close(); err != nil {
				a.logger.Error("closing embedder", "err", err)
			}
		}
	}()

	srv := newServer(a.cfg.Server, comps, a.logger.With("component", "http"))
	ln, err := net.Listen("tcp", a.cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("server.addr: listening on %s: %w", a.cfg.Server.Addr, err)
	}
	a.logger.Info("serving", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.logger.Info("shutting down")
	if err := srv.ShutdownWithTimeout(10 * time.Second); err != nil {
		return err
	}
	return <-errc
}

// newServer builds the fiber app and its routes.
func newServer(cfg ServerConfig, comps *components, logger *slog.Logger) *fiber.App {
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		BodyLimit:             cfg.BodyLimit,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		ErrorHandler:          errorHandler(logger),
	})
	app.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get("/readyz", func(c *fiber.Ctx) error {
		info, err := comps.readiness()
		if err != nil {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{
				"status": "unavailable",
				"model":  fiber.Map{"error": err.Error()},
			})
		}
		model := fiber.Map{
			"name": info.Name, "dir": info.Dir, "dimension": info.Dimension, "grade": info.Grade,
			"source": info.Source, "onnxruntime": info.ORTVersion,
		}
		if info.Grade == embed.GradeLexical {
			model["warning"] = "builtin offline model: lexical-grade (matches shared characters and words, not meaning); run `jieda model pull bge-small-zh-v1.5` for a real model"
		}
		return c.JSON(fiber.Map{"status": "ready", "model": model})
	})
	return app
}

// errorHandler maps errors to HTTP status with a JSON body.
func errorHandler(logger *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		code := fiber.StatusInternalServerError
		var fe *fiber.Error
		if errors.As(err, &fe) {
			code = fe.Code
		}
		if code >= 500 {
			logger.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		}
		return c.Status(code).JSON(fiber.Map{"error": err.Error()})
	}
}
