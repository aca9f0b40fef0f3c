package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/channels"
	"github.com/jieda/jieda/cmd/jieda/internal/console"
	"github.com/jieda/jieda/cmd/jieda/internal/widget"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
)

// Deps are what the server serves: the loaded components, or why one
// did not load (reported by /readyz; the API answers 503 meanwhile).
type Deps struct {
	// Model is the embedder; ModelErr says why it is nil.
	Model    *embed.Embedder
	ModelErr error
	// Store is the store; StoreEngine names its engine, StoreErr why it is nil.
	Store       index.Store
	StoreEngine string
	StoreErr    error
	// Engine and Curator are set once the model and the store are loaded.
	Engine  *answer.Engine
	Curator *curate.Curator
	// Channels runs the channels (Chatwoot…); nil until the engine is loaded.
	Channels *channels.Service
}

// Options adjust a server for tests: a fake clock for key caching and
// rate limits, and the key cache TTL (nil: 30s; 0 turns it off).
type Options struct {
	Now         func() time.Time
	KeyCacheTTL *time.Duration
}

// Server is the API app and its Prometheus metrics handler (served by the
// app at /metrics, or on server.metrics_addr by the caller).
type Server struct {
	*fiber.App
	Metrics http.Handler
}

// New builds the fiber app: every route, the middleware, one error
// handler. Every /v1 route declares the role it needs.
func New(cfg Config, deps Deps, logger *slog.Logger, opts Options) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		// Immutable: strings from c.Params, c.Query, c.Get… are copies, not
		// views of fasthttp's reused request buffer, so a handler can pass
		// them to the domain, which may keep them (cache keys, stored
		// values) long after the request.
		Immutable: true,
		// Bodies over server.body_limit are not read before the handlers
		// run: they are streamed, so a request is authenticated before
		// its body is read, and each route reads at most its own limit
		// (readBody; the import route server.import_body_limit).
		StreamRequestBody: true,
		BodyLimit:         cfg.BodyLimit,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		ErrorHandler:      newErrorHandler(logger),
	})
	m := newMetrics()
	if deps.Model != nil {
		m.observeEmbedder(deps.Model)
	}
	limits := bodyLimits{body: cfg.BodyLimit, imports: max(cfg.ImportBodyLimit, cfg.BodyLimit)}
	app.Use(limits.drain, recover.New(), m.middleware(), decodePath, requestTimeout(cfg.RequestTimeout))
	app.Get("/v1/openapi.json", openAPIHandler)
	h := &handlers{deps: deps, metrics: m, logger: logger}
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", h.readyz)
	app.Get(widget.Path, widget.Handler)

	var keys *apikey.Store
	if deps.Store != nil {
		keys = apikey.NewStore(deps.Store)
	}
	auth := newAuthenticator(cfg, keys, opts, logger)
	auth.limits = limits
	switch {
	case cfg.MetricsAddr != "" || cfg.Metrics == MetricsOff:
	case cfg.Metrics == MetricsAdmin:
		app.Get("/metrics", auth.require(apikey.RoleAdmin), m.handler())
	default:
		app.Get("/metrics", m.handler())
	}
	v1 := app.Group("/v1")
	v1.Use(h.auditActions())
	// Customer routes: require(RoleCustomer) admits every key; rateLimit limits customer keys.
	v1.Get("/whoami", auth.require(apikey.RoleCustomer), auth.rateLimit(), whoami)
	admin := v1.Group("/admin", auth.require(apikey.RoleAdmin))
	admin.Get("/backup", requireAllKBs("a backup of the whole store"), h.backup)
	auth.keyRoutes(admin)
	h.sourceRoutes(admin)
	h.channelRoutes(admin, v1, limits)
	h.routes(v1, auth)
	// The console: its pages sign keys in with this authenticator and
	// check roles and scopes with the same authz principal. Its bodies
	// (forms, the import upload) are read within the same limits.
	app.Use("/console", limits.read)
	console.New(console.Deps{Engine: deps.Engine, Curator: deps.Curator, Store: deps.Store, Keys: auth}, console.Options{
		Now: opts.Now, StreamFor: max(5*time.Second, min(25*time.Second, cfg.WriteTimeout-5*time.Second)),
		Logger: logger.With("surface", "console"),
	}).Register(app)
	app.Use(newFallback(app).handle)
	return &Server{App: app, Metrics: m.httpHandler()}
}

// routes registers the domain API: customers ask and give feedback;
// agents search and work handoffs; editors manage articles, KB settings
// and the review queue; admins read the audit.
func (h *handlers) routes(v1 fiber.Router, auth *authenticator) {
	customer := []fiber.Handler{auth.requireOrWidget(apikey.RoleCustomer), auth.rateLimit()}
	v1.Post("/ask", append(customer, h.ask)...)
	v1.Post("/feedback", append(customer, h.feedback)...)
	v1.Options("/ask", auth.preflight) // CORS, for widget keys
	v1.Options("/feedback", auth.preflight)

	agent := auth.require(apikey.RoleAgent)
	v1.Get("/search", agent, h.search)
	v1.Get("/handoffs", agent, h.listHandoffs)
	v1.Get("/handoffs/:id", agent, h.getHandoff)
	v1.Post("/handoffs/:id/resolve", agent, h.resolveHandoff)
	v1.Post("/handoffs/:id/claim", agent, h.claimHandoff)
	v1.Delete("/handoffs/:id/claim", agent, h.releaseHandoff)

	editor := auth.require(apikey.RoleEditor)
	v1.Get("/kbs", editor, h.listKBs)
	v1.Get("/kbs/:kb/settings", editor, h.getSettings)
	v1.Put("/kbs/:kb/settings", editor, h.putSettings)
	v1.Get("/kbs/:kb/curation", editor, h.getCuration)
	v1.Put("/kbs/:kb/curation", editor, h.putCuration)
	v1.Post("/kbs/:kb/calibrate", editor, h.calibrate)
	v1.Get("/kbs/:kb/autonomy", editor, h.autonomy)
	v1.Get("/articles", editor, h.listArticles)
	v1.Post("/articles/import", editor, h.importArticles)
	v1.Get("/articles/:id", editor, h.getArticle)
	v1.Post("/articles", editor, h.createArticle)
	v1.Put("/articles/:id", editor, h.putArticle)
	v1.Delete("/articles/:id", editor, h.deleteArticle)
	v1.Get("/articles/:id/revisions", editor, h.listRevisions)
	v1.Get("/articles/:id/diff", editor, h.diffRevisions)
	v1.Post("/articles/:id/rollback", editor, h.rollback)

	v1.Get("/candidates", editor, h.listCandidates)
	v1.Post("/candidates/bulk", editor, h.bulkCandidates)
	v1.Get("/candidates/:id", editor, h.getCandidate)
	v1.Post("/candidates/:id/approve", editor, h.approveCandidate)
	v1.Post("/candidates/:id/reject", editor, h.rejectCandidate)
	v1.Post("/candidates/:id/merge", editor, h.mergeCandidate)
	v1.Get("/gaps", editor, h.gaps)
	v1.Post("/intake/:source", auth.limits.read, h.intakeWebhook) // authenticated by the source's signature

	v1.Get("/audit", editor, h.listAudit)
}

// handlers serve the domain routes over deps.
type handlers struct {
	deps    Deps
	metrics *metrics
	logger  *slog.Logger
}

// engine returns the answer engine, or 503 while the model or store is not loaded.
func (h *handlers) engine() (*answer.Engine, error) {
	if h.deps.Engine == nil {
		return nil, errUnavailable("not ready: the model or the store is not loaded (see /readyz)")
	}
	return h.deps.Engine, nil
}

// curator returns the curator and its engine, or 503 while they are not loaded.
func (h *handlers) curator() (*curate.Curator, *answer.Engine, error) {
	if h.deps.Curator == nil {
		return nil, nil, errUnavailable("not ready: the model or the store is not loaded (see /readyz)")
	}
	return h.deps.Curator, h.deps.Engine, nil
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
