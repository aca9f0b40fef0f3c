package console

import (
	"context"
	"html/template"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/authz"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/index"
)

// Keys is how the console signs keys in and re-reads a session's key:
// the API's own authenticator, so both check keys the same way.
type Keys interface {
	// SignIn is the principal of an API key (authz.ErrInvalidKey or
	// authz.ErrRevokedKey when it is not usable).
	SignIn(ctx context.Context, key string) (*authz.Principal, error)
	// PrincipalByID is the current principal of a key id (the same errors).
	PrincipalByID(ctx context.Context, id string) (*authz.Principal, error)
	// Forget drops a revoked key from the authenticator's cache.
	Forget(id string)
}

// Deps are what the console works on; Engine, Curator and Store are nil
// while the model or the store is not loaded (pages then say so).
type Deps struct {
	Engine  *answer.Engine
	Curator *curate.Curator
	Store   index.Store
	Keys    Keys
}

// Options tune the console.
type Options struct {
	// Now is the sessions' clock (nil: time.Now).
	Now func() time.Time
	// IdleTimeout ends a session unused this long (0: DefaultIdleTimeout).
	IdleTimeout time.Duration
	// MaxAge ends a session this long after sign-in (0: DefaultMaxAge).
	MaxAge time.Duration
	// StreamFor bounds one live-update stream; the browser reconnects
	// (0: 25s, under the server's write timeout).
	StreamFor time.Duration
	// Logger receives server faults (nil: discarded).
	Logger *slog.Logger
}

// Console serves the console's pages.
type Console struct {
	deps     Deps
	opts     Options
	sessions *sessions // nil without a store
	cats     map[string]*catalog
	pages    map[string]*template.Template
	assets   map[string]asset
	version  string // of the static assets, in their URLs
	keyStore *apikey.Store
	logger   *slog.Logger
}

// New builds the console. The templates, catalogs and assets are embedded:
// a fault in them is a programming error and panics (the tests parse them).
func New(d Deps, o Options) *Console {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.StreamFor <= 0 {
		o.StreamFor = 25 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	con := &Console{deps: d, opts: o, logger: o.Logger}
	if d.Store != nil {
		con.sessions = &sessions{store: d.Store, now: o.Now, idle: o.IdleTimeout, maxAge: o.MaxAge}
		con.keyStore = apikey.NewStore(d.Store)
	}
	var err error
	if con.cats, err = loadCatalogs(); err != nil {
		panic(err)
	}
	if con.assets, con.version, err = loadAssets(); err != nil {
		panic(err)
	}
	if con.pages, err = parsePages(); err != nil {
		panic(err)
	}
	return con
}

// Register adds the console's routes to app: / redirects to /console/
// (/console and /console/ are one route: fiber is not strict about the
// slash), and every /console path no route matches is the console's own
// "no such page".
func (con *Console) Register(app fiber.Router) {
	app.Get("/", redirect("/console/"))
	g := app.Group("/console", securityHeaders)
	g.Get("/static/:name", con.static)
	g.Get("/login", con.public(con.loginPage))
	g.Post("/login", con.public(con.login))
	g.Get("/embed", con.public(con.embedPage))
	g.Get("/", con.page(con.home))
	g.Post("/logout", con.page(con.logout))
	g.Get("/events", con.events)
	g.Get("/handoffs", con.page(con.queue))
	g.Get("/handoffs/rows", con.page(con.queueRows))
	g.Get("/handoffs/:id", con.page(con.handoff))
	g.Post("/handoffs/:id/claim", con.page(con.claim))
	g.Post("/handoffs/:id/release", con.page(con.release))
	g.Post("/handoffs/:id/resolve", con.page(con.resolve))
	g.Get("/search", con.page(con.search))
	con.editorRoutes(g)
	g.Use(con.public(func(*request) error { return ErrNotFound }))
}

// redirect answers 302 to path.
func redirect(path string) fiber.Handler {
	return func(c *fiber.Ctx) error { return c.Redirect(path, fiber.StatusFound) }
}

// securityHeaders keep console pages out of other sites' frames (the
// embed page relaxes frame-ancestors), scripts and styles to the
// console's own files, and pages out of caches.
func securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
		"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
	c.Set("X-Frame-Options", "DENY")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// engine is the answer engine, or ErrNotReady.
func (con *Console) engine() (*answer.Engine, error) {
	if con.deps.Engine == nil {
		return nil, ErrNotReady
	}
	return con.deps.Engine, nil
}

// curator is the curator, or ErrNotReady.
func (con *Console) curator() (*curate.Curator, error) {
	if con.deps.Curator == nil {
		return nil, ErrNotReady
	}
	return con.deps.Curator, nil
}

// home sends a signed-in person to the queue.
func (con *Console) home(r *request) error {
	return r.c.Redirect("/console/handoffs", fiber.StatusFound)
}
