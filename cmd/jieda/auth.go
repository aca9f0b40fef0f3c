package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/jieda/jieda/index"
)

// role is what an API key may do. Roles are ordered: admin implies editor
// implies agent implies customer-route access. A customer key reaches only
// the customer routes (ask, feedback, whoami); a staff key may call those
// too (an agent can try /v1/ask), so require(roleCustomer) admits any key.
type role int

// Roles, lowest first.
const (
	roleCustomer role = iota + 1
	roleAgent
	roleEditor
	roleAdmin
)

var roleNames = []string{roleCustomer: "customer", roleAgent: "agent", roleEditor: "editor", roleAdmin: "admin"}

func (r role) String() string {
	if r < roleCustomer || r > roleAdmin {
		return "role(" + strconv.Itoa(int(r)) + ")"
	}
	return roleNames[r]
}

func parseRole(s string) (role, error) {
	if i := slices.Index(roleNames, s); i > 0 {
		return role(i), nil
	}
	return 0, fmt.Errorf("role %q must be customer, agent, editor or admin", s)
}

// allows reports whether a key with role r may use a route that needs need.
func (r role) allows(need role) bool { return r >= need }

// principal is who a request acts as, set in c.Locals by require.
type principal struct {
	KeyID string
	Role  role
	KBs   []string // empty: every KB
	Name  string
}

func (p *principal) mayUseKB(kb string) bool {
	return len(p.KBs) == 0 || slices.Contains(p.KBs, kb)
}

const (
	localsPrincipal = "jieda.principal"
	// bootstrapKeyID is the key id of server.admin_key in logs and /v1/whoami.
	bootstrapKeyID = "bootstrap"
	// defaultKeyCacheTTL is how long a checked key is trusted without
	// reading the store again; so a key revoked in the store (by the CLI
	// against a shared Qdrant, say) stops working within this time. Keys
	// revoked through this server's admin API stop at once.
	defaultKeyCacheTTL = 30 * time.Second
	keyCacheSize       = 4096
)

// principalOf returns the request's principal, nil on a route without require.
func principalOf(c *fiber.Ctx) *principal {
	p, _ := c.Locals(localsPrincipal).(*principal)
	return p
}

// authorizeKB refuses (403) a request whose key is scoped to other KBs
// than kb. Every handler that acts on a KB calls it with the request's KB.
func authorizeKB(c *fiber.Ctx, kb string) error {
	p := principalOf(c)
	if p == nil {
		return errUnauthorized("missing API key: send Authorization: Bearer KEY")
	}
	if !p.mayUseKB(kb) {
		return errForbidden("this key may not use knowledge base %q", kb)
	}
	return nil
}

// authenticator checks API keys against the store, with a small cache of
// checked keys, and rate-limits customer keys.
type authenticator struct {
	store     func() (index.Store, error)
	bootstrap [sha256.Size]byte // SHA-256 of server.admin_key
	hasBoot   bool
	ttl       time.Duration
	now       func() time.Time
	cache     *lru.Cache[string, cachedKey]
	limiter   *rateLimiter
	logger    *slog.Logger
}

type cachedKey struct {
	key     apiKey
	expires time.Time
}

// authOption adjusts an authenticator (tests shorten the TTL or fake the clock).
type authOption func(*authenticator)

// withKeyCacheTTL sets how long checked keys are cached; 0 turns the cache off.
func withKeyCacheTTL(d time.Duration) authOption { return func(a *authenticator) { a.ttl = d } }

// withClock replaces time.Now for the key cache and the rate limiter.
func withClock(now func() time.Time) authOption { return func(a *authenticator) { a.now = now } }

func newAuthenticator(cfg ServerConfig, store func() (index.Store, error), logger *slog.Logger, opts ...authOption) *authenticator {
	cache, _ := lru.New[string, cachedKey](keyCacheSize) // only a non-positive size errors
	a := &authenticator{store: store, ttl: defaultKeyCacheTTL, now: time.Now, cache: cache, logger: logger}
	if cfg.AdminKey != "" {
		a.bootstrap, a.hasBoot = sha256.Sum256([]byte(cfg.AdminKey)), true
	}
	for _, o := range opts {
		o(a)
	}
	if cfg.RateLimit > 0 {
		a.limiter = newRateLimiter(cfg.RateLimit, cfg.RateBurst, a.now)
	}
	return a
}

// keyStore is the store API keys live in, or why it cannot be used.
func (c *components) keyStore() (index.Store, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.store != nil {
		return c.store, nil
	}
	if c.storeErr != nil {
		return nil, c.storeErr
	}
	return nil, errors.New("store opening")
}

// errBadKey is the one answer for an unknown id, a wrong secret and a
// malformed key, so a client cannot tell which ids exist.
var errBadKey = errUnauthorized("invalid API key")

// authenticate returns the principal of the request's bearer key.
func (a *authenticator) authenticate(c *fiber.Ctx) (*principal, error) {
	// Fiber's strings alias its request buffer; the id outlives the request in the cache.
	h := strings.Clone(c.Get(fiber.HeaderAuthorization))
	if h == "" {
		return nil, errUnauthorized("missing API key: send Authorization: Bearer KEY")
	}
	scheme, token, _ := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, errUnauthorized("malformed Authorization header: send Authorization: Bearer KEY")
	}
	if a.hasBoot {
		// Comparing digests keeps the comparison constant-time whatever the lengths.
		got := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(got[:], a.bootstrap[:]) == 1 {
			return &principal{KeyID: bootstrapKeyID, Role: roleAdmin, Name: "server.admin_key"}, nil
		}
	}
	id, secret, ok := parseKey(token)
	if !ok {
		return nil, errBadKey
	}
	k, found, err := a.lookup(c, id)
	if err != nil {
		return nil, err
	}
	sum := hashSecret(secret)
	if !found || subtle.ConstantTimeCompare(sum[:], k.hash[:]) != 1 {
		return nil, errBadKey
	}
	if k.revoked() {
		return nil, errUnauthorized("API key %s was revoked", k.ID)
	}
	return &principal{KeyID: k.ID, Role: k.Role, KBs: k.KBs, Name: k.Name}, nil
}

// lookup reads a key by id through the cache. Found keys (revoked ones
// too) are cached for the TTL; unknown ids are not, so a key created in
// the store works at once.
func (a *authenticator) lookup(c *fiber.Ctx, id string) (apiKey, bool, error) {
	now := a.now()
	if e, ok := a.cache.Get(id); ok && now.Before(e.expires) {
		return e.key, true, nil
	}
	s, err := a.store()
	if err != nil {
		return apiKey{}, false, errUnavailable("API keys cannot be checked: %v", err)
	}
	k, found, err := lookupKey(c.UserContext(), s, id)
	if err != nil {
		return apiKey{}, false, err
	}
	if found && a.ttl > 0 {
		a.cache.Add(id, cachedKey{key: k, expires: now.Add(a.ttl)})
	} else {
		a.cache.Remove(id)
	}
	return k, found, nil
}

// forget drops a key from the cache (after this server revoked it).
func (a *authenticator) forget(id string) { a.cache.Remove(id) }

// require authenticates the request and admits it if its key's role allows
// need: 401 without a valid key, 403 with a key of a lower role.
func (a *authenticator) require(need role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principalOf(c)
		if p == nil { // a group's require may already have run
			var err error
			if p, err = a.authenticate(c); err != nil {
				return err
			}
			c.Locals(localsPrincipal, p)
		}
		if !p.Role.allows(need) {
			return errForbidden("this route needs a%s %s key; key %s is a%s %s key", article(need), need, p.KeyID, article(p.Role), p.Role)
		}
		return c.Next()
	}
}

func article(r role) string {
	if r == roleAgent || r == roleEditor || r == roleAdmin {
		return "n"
	}
	return ""
}

// rateLimit limits each customer key to server.rate_limit requests/s with
// bursts of server.rate_burst, answering 429 with Retry-After beyond that.
// It runs after require. Staff keys are private to the shop and not limited.
func (a *authenticator) rateLimit() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principalOf(c)
		if a.limiter == nil || p == nil || p.Role != roleCustomer {
			return c.Next()
		}
		if ok, wait := a.limiter.allow(p.KeyID); !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
			return newAPIError(fiber.StatusTooManyRequests, codeRateLimited,
				"key %s exceeded %g requests/s (burst %d); retry in %ds", p.KeyID, a.limiter.rate, int(a.limiter.burst), secs)
		}
		return c.Next()
	}
}

// rateLimiter is a token bucket per key id. Buckets are kept for every
// limited key seen; keys only reach it after authentication, so their
// number is bounded by the keys in the store.
type rateLimiter struct {
	rate, burst float64
	now         func() time.Time
	mu          sync.Mutex
	buckets     map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int, now func() time.Time) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from id's bucket, or says how long until one is there.
func (l *rateLimiter) allow(id string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[id]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[id] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// requireAllKBs refuses (403) keys scoped to some KBs on a route that
// reaches every KB (backups, key management: a scoped key could otherwise
// read other KBs or mint an unscoped key). It runs after require.
func requireAllKBs(what string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if p := principalOf(c); p == nil || len(p.KBs) > 0 {
			return errForbidden("%s needs a key valid for every KB", what)
		}
		return c.Next()
	}
}

// whoamiHandler describes the request's key. With ?kb=NAME it also checks
// that the key may act on that KB (403 if not).
func whoamiHandler(c *fiber.Ctx) error {
	p := principalOf(c)
	if kb := c.Query("kb"); kb != "" {
		if err := authorizeKB(c, kb); err != nil {
			return err
		}
	}
	return c.JSON(fiber.Map{
		"key_id":  p.KeyID,
		"role":    p.Role.String(),
		"kbs":     nonNil(p.KBs),
		"all_kbs": len(p.KBs) == 0,
		"name":    p.Name,
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// keyJSON is an API key as the admin API shows it: never the secret or its hash.
func keyJSON(k apiKey) fiber.Map {
	m := fiber.Map{
		"key_id": k.ID, "role": k.Role.String(), "kbs": nonNil(k.KBs), "name": k.Name,
		"created_at": k.CreatedAt.UTC().Format(time.RFC3339),
	}
	if k.revoked() {
		m["revoked_at"] = k.RevokedAt.UTC().Format(time.RFC3339)
	}
	return m
}

// keyRoutes registers the admin key API on an admin-only group:
// POST /keys creates (the response holds the key, once), GET /keys lists,
// DELETE /keys/:id revokes, effective at once on this server.
func (a *authenticator) keyRoutes(r fiber.Router) {
	unscoped := requireAllKBs("managing API keys")
	r.Post("/keys", unscoped, func(c *fiber.Ctx) error {
		var req struct {
			Role string   `json:"role"`
			KBs  []string `json:"kbs"`
			Name string   `json:"name"`
		}
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
		ro, err := parseRole(req.Role)
		if err != nil {
			return errBadRequest("role: %v", err)
		}
		s, err := a.store()
		if err != nil {
			return errUnavailable("store: %v", err)
		}
		if _, err := normalizeKBs(req.KBs); err != nil {
			return errBadRequest("kbs: %v", err)
		}
		key, k, err := createKey(c.UserContext(), s, ro, req.KBs, req.Name, a.now())
		if err != nil {
			return err
		}
		a.logger.Info("API key created", "key_id", k.ID, "role", k.Role.String(), "by", principalOf(c).KeyID)
		m := keyJSON(k)
		m["key"] = key
		return c.Status(fiber.StatusCreated).JSON(m)
	})
	r.Get("/keys", unscoped, func(c *fiber.Ctx) error {
		s, err := a.store()
		if err != nil {
			return errUnavailable("store: %v", err)
		}
		keys, err := listKeys(c.UserContext(), s)
		if err != nil {
			return err
		}
		out := make([]fiber.Map, len(keys))
		for i, k := range keys {
			out[i] = keyJSON(k)
		}
		return c.JSON(fiber.Map{"keys": out})
	})
	r.Delete("/keys/:id", unscoped, func(c *fiber.Ctx) error {
		id := strings.Clone(c.Params("id"))
		if !validKeyID(id) {
			return errNotFound("%v %q", errKeyNotFound, id)
		}
		s, err := a.store()
		if err != nil {
			return errUnavailable("store: %v", err)
		}
		k, _, err := revokeKey(c.UserContext(), s, id, a.now())
		if err != nil {
			return err
		}
		a.forget(id)
		a.logger.Info("API key revoked", "key_id", id, "by", principalOf(c).KeyID)
		return c.JSON(keyJSON(k))
	})
}
