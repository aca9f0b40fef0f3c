package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
)

// principal is who a request acts as, set in c.Locals by require.
type principal struct {
	KeyID string
	Role  apikey.Role
	KBs   []string // empty: every KB
	Name  string
	// Origins are a widget key's allowed origins.
	Origins []string
	// Trusted keys may vouch for a customer's tier.
	Trusted bool
}

func (p *principal) mayUseKB(kb string) bool {
	return len(p.KBs) == 0 || slices.Contains(p.KBs, kb)
}

const (
	localsPrincipal = "jieda.principal"
	// BootstrapKeyID is the key id of server.admin_key in logs, the audit and /v1/whoami.
	BootstrapKeyID = "bootstrap"
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
	keys      *apikey.Store // nil while the store is not open
	bootstrap [sha256.Size]byte
	hasBoot   bool
	ttl       time.Duration
	now       func() time.Time
	cache     *lru.Cache[string, cachedKey]
	limiter   *rateLimiter // customer and widget keys
	staff     *rateLimiter // agent, editor and admin keys on the customer routes
	limits    bodyLimits
	logger    *slog.Logger
	widgets   *widgetGate
}

type cachedKey struct {
	key     apikey.Key
	expires time.Time
}

func newAuthenticator(cfg Config, keys *apikey.Store, o Options, logger *slog.Logger) *authenticator {
	cache, _ := lru.New[string, cachedKey](keyCacheSize) // only a non-positive size errors
	a := &authenticator{keys: keys, ttl: defaultKeyCacheTTL, now: o.Now, cache: cache, logger: logger}
	if o.KeyCacheTTL != nil {
		a.ttl = *o.KeyCacheTTL
	}
	if cfg.AdminKey != "" {
		a.bootstrap, a.hasBoot = sha256.Sum256([]byte(cfg.AdminKey)), true
	}
	if cfg.RateLimit > 0 {
		a.limiter = newRateLimiter(cfg.RateLimit, cfg.RateBurst, a.now)
	}
	if cfg.StaffRateLimit > 0 {
		a.staff = newRateLimiter(cfg.StaffRateLimit, cfg.StaffRateBurst, a.now)
	}
	a.widgets = newWidgetGate(cfg, a)
	return a
}

// errBadKey is the one answer for an unknown id, a wrong secret and a
// malformed key, so a client cannot tell which ids exist.
var errBadKey = errUnauthorized("invalid API key")

// authenticate returns the principal of the request's bearer key.
func (a *authenticator) authenticate(c *fiber.Ctx) (*principal, error) {
	h := c.Get(fiber.HeaderAuthorization)
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
			return &principal{KeyID: BootstrapKeyID, Role: apikey.RoleAdmin, Name: "server.admin_key", Trusted: true}, nil
		}
	}
	id, secret, ok := apikey.Parse(token)
	if !ok {
		return nil, errBadKey
	}
	k, found, err := a.lookup(c, id)
	if err != nil {
		return nil, err
	}
	if !found || !k.Matches(secret) {
		return nil, errBadKey
	}
	if k.Revoked() {
		return nil, errUnauthorized("API key %s was revoked", k.ID)
	}
	return &principal{KeyID: k.ID, Role: k.Role, KBs: k.KBs, Name: k.Name, Origins: k.Origins, Trusted: k.Trusted}, nil
}

// lookup reads a key by id through the cache. Found keys (revoked ones
// too) are cached for the TTL; unknown ids are not, so a key created in
// the store works at once.
func (a *authenticator) lookup(c *fiber.Ctx, id string) (apikey.Key, bool, error) {
	now := a.now()
	if e, ok := a.cache.Get(id); ok && now.Before(e.expires) {
		return e.key, true, nil
	}
	if a.keys == nil {
		return apikey.Key{}, false, errUnavailable("API keys cannot be checked: the store is not open (see /readyz)")
	}
	k, found, err := a.keys.Lookup(c.UserContext(), id)
	if err != nil {
		return apikey.Key{}, false, err
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
func (a *authenticator) require(need apikey.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principalOf(c)
		if p == nil { // a group's require may already have run
			var err error
			if p, err = a.authenticate(c); err != nil {
				return err
			}
			c.Locals(localsPrincipal, p)
		}
		if !p.Role.Allows(need) {
			return errForbidden("this route needs a%s %s key; key %s is a%s %s key", article(need), need, p.KeyID, article(p.Role), p.Role)
		}
		return a.limits.read(c) // the body is read only for a key that may use the route
	}
}

func article(r apikey.Role) string {
	if r == apikey.RoleAgent || r == apikey.RoleEditor || r == apikey.RoleAdmin {
		return "n"
	}
	return ""
}

// rateLimit limits each customer and widget key to server.rate_limit
// requests/s with bursts of server.rate_burst, answering 429 with
// Retry-After beyond that. It runs after require. Staff keys are private
// to the shop and not limited.
func (a *authenticator) rateLimit() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principalOf(c)
		if p == nil {
			return c.Next()
		}
		l := a.limiter
		if p.Role != apikey.RoleCustomer && p.Role != apikey.RoleWidget {
			l = a.staff // staff keys asking (the console's playground, tests, scripts) have their own budget
		}
		if l == nil {
			return c.Next()
		}
		if ok, wait := l.allow(p.KeyID); !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
			return newAPIError(fiber.StatusTooManyRequests, codeRateLimited,
				"key %s exceeded %g requests/s (burst %d); retry in %ds", p.KeyID, l.rate, int(l.burst), secs)
		}
		return c.Next()
	}
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

// whoami describes the request's key. With ?kb=NAME it also checks that
// the key may act on that KB (403 if not).
func whoami(c *fiber.Ctx) error {
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
