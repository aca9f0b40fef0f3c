package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/spf13/cobra"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
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
	engine   string
	store    index.Store
	storeErr error
	// answer is the answer engine and curator the curation loop over it,
	// set once the model and the store are loaded.
	answer  *answer.Engine
	curator *curate.Curator
	logger  *slog.Logger
}

// logError logs a failure that must not fail the request (audit writes).
func (c *components) logError(msg string, err error) {
	if c.logger != nil {
		c.logger.Error(msg, "err", err)
	}
}

func (c *components) setStore(engine string, s index.Store, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.engine, c.store, c.storeErr = engine, s, err
}

// storeStatus reports the store's engine and collection count, or why it is not loaded.
func (c *components) storeStatus(ctx context.Context) fiber.Map {
	c.mu.RLock()
	s, engine, serr := c.store, c.engine, c.storeErr
	c.mu.RUnlock()
	if s == nil {
		if serr == nil {
			serr = errors.New("store opening")
		}
		return fiber.Map{"engine": engine, "error": serr.Error()}
	}
	cols, err := s.Collections(ctx)
	if err != nil {
		return fiber.Map{"engine": engine, "error": err.Error()}
	}
	return fiber.Map{"engine": engine, "collections": len(cols)}
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

	engine := a.cfg.Store.Engine
	store, err := a.openStore(ctx, engine)
	if err != nil {
		a.logger.Error("store not opened; /readyz reports it", "engine", engine, "err", err)
	} else {
		a.logger.Info("store opened", "engine", engine)
		defer func() {
			if err := store.Close(); err != nil {
				a.logger.Error("closing store", "err", err)
			}
		}()
	}
	comps.setStore(engine, store, err)

	runCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorkers()
	if e != nil && store != nil {
		eng, deliverer, err := a.openEngine(ctx, store, e)
		if err != nil {
			return err
		}
		cur, err := curate.New(ctx, eng, a.cfg.Curate, a.logger.With("component", "curate"))
		if err != nil {
			return err
		}
		defer func() {
			if err := eng.Close(); err != nil {
				a.logger.Error("closing the answer engine", "err", err)
			}
		}()
		workers := make(chan struct{})
		go func() {
			defer close(workers)
			_ = deliverer.Run(runCtx)
		}()
		defer func() { stopWorkers(); <-workers }()
		comps.mu.Lock()
		comps.answer, comps.curator = eng, cur
		comps.mu.Unlock()
	}

	srv := newServer(a.cfg.Server, comps, a.logger.With("component", "http")) //nolint:contextcheck // handlers use each request's context
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
	if err := srv.ShutdownWithTimeout(a.cfg.Server.ShutdownTimeout); err != nil {
		return err
	}
	return <-errc
}

// newServer builds the fiber app and its routes. Every /v1 route declares
// the role it needs with auth.require; opts adjust the authenticator (tests).
func newServer(cfg ServerConfig, comps *components, logger *slog.Logger, opts ...authOption) *fiber.App {
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		BodyLimit:             max(cfg.ImportBodyLimit, cfg.BodyLimit),
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		ErrorHandler:          newErrorHandler(logger),
	})
	comps.logger = logger
	m := newMetrics()
	comps.mu.RLock()
	if comps.embedder != nil {
		m.observeEmbedder(comps.embedder)
	}
	comps.mu.RUnlock()
	app.Use(recover.New(), m.middleware(), requestTimeout(cfg.RequestTimeout), limitBody(cfg.BodyLimit))
	app.Get("/metrics", m.handler())
	app.Get("/v1/openapi.json", openAPIHandler)
	app.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get("/readyz", func(c *fiber.Ctx) error {
		store := comps.storeStatus(c.UserContext())
		info, err := comps.readiness()
		if err != nil {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{
				"status": "unavailable",
				"model":  fiber.Map{"error": err.Error()},
				"store":  store,
			})
		}
		model := fiber.Map{
			"name": info.Name, "dir": info.Dir, "dimension": info.Dimension, "grade": info.Grade,
			"source": info.Source, "onnxruntime": info.ORTVersion,
		}
		if info.Grade == embed.GradeLexical {
			model["warning"] = "builtin offline model: lexical-grade (matches shared characters and words, not meaning); run `jieda model pull bge-small-zh-v1.5` for a real model"
		}
		if _, bad := store["error"]; bad {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "model": model, "store": store})
		}
		return c.JSON(fiber.Map{"status": "ready", "model": model, "store": store})
	})

	auth := newAuthenticator(cfg, comps.keyStore, logger, opts...)
	v1 := app.Group("/v1")
	h := &apiHandlers{comps: comps, metrics: m, sources: &sourceStore{store: comps.keyStore}}
	v1.Use(h.auditActions())
	// Customer routes: require(roleCustomer) admits every key; rateLimit limits customer keys.
	v1.Get("/whoami", auth.require(roleCustomer), auth.rateLimit(), whoamiHandler)
	admin := v1.Group("/admin", auth.require(roleAdmin))
	admin.Get("/backup", requireAllKBs("a backup of the whole store"), func(c *fiber.Ctx) error {
		return backupHandler(c, comps)
	})
	auth.keyRoutes(admin)
	h.sources.routes(admin)
	answerRoutes(v1, auth, h)
	app.Use(notFoundHandler)
	return app
}

// requestTimeout gives each request's context a deadline.
func requestTimeout(d time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if d <= 0 {
			return c.Next()
		}
		ctx, cancel := context.WithTimeout(c.UserContext(), d)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
}

// openEngine builds the answer engine over store and its webhook deliverer.
func (a *app) openEngine(ctx context.Context, store index.Store, e *embed.Embedder) (*answer.Engine, *answer.WebhookDeliverer, error) {
	k, err := newKB(ctx, store, e, a.cfg.Embed.Sparse, a)
	if err != nil {
		return nil, nil, err
	}
	eng, err := answer.NewEngine(ctx, k, a.logger.With("component", "answer"))
	if err != nil {
		return nil, nil, err
	}
	lookup := func(ctx context.Context, kb string) (string, string, error) {
		st, _, err := eng.Settings.Get(ctx, kb)
		return st.Webhook.URL, st.Webhook.Secret, err
	}
	d, err := answer.NewWebhookDeliverer(eng.Handoffs, a.cfg.Webhook, lookup, a.logger.With("component", "webhook"))
	if err != nil {
		return nil, nil, err
	}
	eng.Notify = d.Notify
	return eng, d, nil
}

// backuper is a store that can write a consistent snapshot while serving.
type backuper interface {
	Backup(ctx context.Context, w io.Writer) error
}

// backupHandler snapshots the store into a temporary file, then sends it,
// so a failed snapshot is an error status rather than a truncated body.
func backupHandler(c *fiber.Ctx, comps *components) error {
	comps.mu.RLock()
	s := comps.store
	comps.mu.RUnlock()
	b, ok := s.(backuper)
	if !ok {
		return fiber.NewError(fiber.StatusConflict, "backup is available for the embedded engine only (Qdrant has its own snapshots)")
	}
	f, err := os.CreateTemp("", "jieda-backup-*")
	if err != nil {
		return err
	}
	name := f.Name()
	if err := b.Backup(c.UserContext(), f); err != nil {
		_ = f.Close()
		_ = os.Remove(name)
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		_ = f.Close()
		_ = os.Remove(name)
		return err
	}
	_ = os.Remove(name) // the open handle keeps the data until the body is sent
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="jieda-backup.bin"`)
	return c.SendStream(f)
}
