package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/cmd/jieda/internal/authz"
	"github.com/jieda/jieda/ratelimit"
)

// principal is who a request acts as, set in c.Locals by require: the
// principal the console shares (one authorization path).
type principal = authz.Principal

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
	if err := p.UseKB(kb); err != nil {
		return errForbidden("%v", err)
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
	limiter   *ratelimit.Limiter // customer and widget keys
	staff     *ratelimit.Limiter // agent, editor and admin keys on the customer routes
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
		a.limiter = ratelimit.New(cfg.RateLimit, cfg.RateBurst, a.now)
	}
	if cfg.StaffRateLimit > 0 {
		a.staff = ratelimit.New(cfg.StaffRateLimit, cfg.StaffRateBurst, a.now)
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
	p, err := a.SignIn(c.UserContext(), token)
	switch {
	case errors.Is(err, authz.ErrInvalidKey):
		return nil, errBadKey
	case errors.Is(err, authz.ErrRevokedKey):
		return nil, errUnauthorized("%v", err)
	}
	return p, err
}

// SignIn returns the principal of an API key (the console's sign-in
// form and the API's bearer keys): authz.ErrInvalidKey or
// authz.ErrRevokedKey when it is not a usable key.
func (a *authenticator) SignIn(ctx context.Context, token string) (*principal, error) {
	if a.hasBoot {
		// Comparing digests keeps the comparison constant-time whatever the lengths.
		got := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(got[:], a.bootstrap[:]) == 1 {
			return &principal{KeyID: BootstrapKeyID, Role: apikey.RoleAdmin, Name: "server.admin_key", Trusted: true}, nil
		}
	}
	id, secret, ok := apikey.Parse(token)
	if !ok {
		return nil, authz.ErrInvalidKey
	}
	k, found, err := a.lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	if !found || !k.Matches(secret) {
		return nil, authz.ErrInvalidKey
	}
	return principalOfKey(k)
}

// PrincipalByID is the current principal of key id (a console session's
// key, checked on every request): authz.ErrInvalidKey when it no longer
// exists, authz.ErrRevokedKey once revoked (within the key cache's TTL;
// at once for keys revoked through this server).
func (a *authenticator) PrincipalByID(ctx context.Context, id string) (*principal, error) {
	if id == BootstrapKeyID {
		if !a.hasBoot {
			return nil, authz.ErrInvalidKey
		}
		return &principal{KeyID: BootstrapKeyID, Role: apikey.RoleAdmin, Name: "server.admin_key"}, nil
	}
	k, found, err := a.lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, authz.ErrInvalidKey
	}
	return principalOfKey(k)
}

func principalOfKey(k apikey.Key) (*principal, error) {
	if k.Revoked() {
		return nil, fmt.Errorf("%w: API key %s was revoked", authz.ErrRevokedKey, k.ID)
	}
	return &principal{KeyID: k.ID, Role: k.Role, KBs: k.KBs, Name: k.Name, Origins: k.Origins, Trusted: k.Trusted}, nil
}

// lookup reads a key by id through the cache. Found keys (revoked ones
// too) are cached for the TTL; unknown ids are not, so a key created in
// the store works at once.
func (a *authenticator) lookup(ctx context.Context, id string) (apikey.Key, bool, error) {
	now := a.now()
	if e, ok := a.cache.Get(id); ok && now.Before(e.expires) {
		return e.key, true, nil
	}
	if a.keys == nil {
		return apikey.Key{}, false, errUnavailable("API keys cannot be checked: the store is not open (see /readyz)")
	}
	k, found, err := a.keys.Lookup(ctx, id)
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

// Forget is forget for the console's key administration.
func (a *authenticator) Forget(id string) { a.forget(id) }

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
		if err := p.Require(need); err != nil {
			return errForbidden("%v", err)
		}
		return a.limits.read(c) // the body is read only for a key that may use the route
	}
}

// rateLimit limits each customer and widget key to server.rate_limit
// requests/s with bursts of server.rate_burst, and each staff key to
// server.staff_rate_limit, answering 429 with Retry-After beyond that. It
// runs after require.
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
		if ok, wait := l.Allow(p.KeyID); !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
			return newAPIError(fiber.StatusTooManyRequests, codeRateLimited,
				"key %s exceeded %g requests/s (burst %d); retry in %ds", p.KeyID, l.Rate(), l.Burst(), secs)
		}
		return c.Next()
	}
}

// requireAllKBs refuses (403) keys scoped to some KBs on a route that
// reaches every KB (backups, key management: a scoped key could otherwise
// read other KBs or mint an unscoped key). It runs after require.
func requireAllKBs(what string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principalOf(c)
		if p == nil {
			return errForbidden("%s needs a key valid for every KB", what)
		}
		if err := p.RequireAllKBs(what); err != nil {
			return errForbidden("%v", err)
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
