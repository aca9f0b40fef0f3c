package apikey

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jieda/jieda/index"
)

// Collection holds the API keys.
const Collection = "api_keys"

// Store keeps API keys in an index.Store.
type Store struct{ s index.Store }

// NewStore returns the key store over s (the collection is created on first write).
func NewStore(s index.Store) *Store { return &Store{s: s} }

func (st *Store) ensure(ctx context.Context) error {
	return index.Ensure(ctx, st.s, index.CollectionConfig{Name: Collection, Sparse: true}, map[string]index.FieldType{"key_id": index.FieldKeyword})
}

// Create stores a new key and returns it; the returned string is the
// only copy of the secret. A widget key needs CreateKey (its origins).
func (st *Store) Create(ctx context.Context, r Role, kbs []string, name string, now time.Time) (string, Key, error) {
	return st.CreateKey(ctx, Spec{Role: r, KBs: kbs, Name: name}, now)
}

// Spec describes a key to create.
type Spec struct {
	Role Role
	KBs  []string // empty: every KB (not for widget keys)
	Name string
	// Origins are a widget key's allowed web origins (see NormalizeOrigin):
	// required for RoleWidget, refused for every other role.
	Origins []string
	// Trusted marks an integration that may vouch for customers' tiers
	// (not for widget keys: a page cannot vouch for anything).
	Trusted bool
}

// CreateKey stores a new key as spec says and returns it; the returned
// string is the only copy of the secret. A widget key must be scoped to
// KBs and list at least one origin.
func (st *Store) CreateKey(ctx context.Context, spec Spec, now time.Time) (string, Key, error) {
	r := spec.Role
	if r < RoleCustomer || r > RoleWidget {
		return "", Key{}, fmt.Errorf("%w: role %v", ErrInvalid, r)
	}
	kbs, err := NormalizeKBs(spec.KBs)
	if err != nil {
		return "", Key{}, err
	}
	origins, err := NormalizeOrigins(spec.Origins)
	if err != nil {
		return "", Key{}, err
	}
	if err := ValidateName(spec.Name); err != nil {
		return "", Key{}, err
	}
	if spec.Trusted && r == RoleWidget {
		return "", Key{}, fmt.Errorf("%w: a widget key cannot be trusted", ErrInvalid)
	}
	switch {
	case r == RoleWidget && len(origins) == 0:
		return "", Key{}, fmt.Errorf("%w: a widget key needs at least one origin (the shop's site, https://shop.example)", ErrInvalid)
	case r == RoleWidget && len(kbs) == 0:
		return "", Key{}, fmt.Errorf("%w: a widget key must be scoped to its KB", ErrInvalid)
	case r != RoleWidget && len(origins) > 0:
		return "", Key{}, fmt.Errorf("%w: only widget keys have origins", ErrInvalid)
	}
	if err := st.ensure(ctx); err != nil {
		return "", Key{}, err
	}
	var id string
	for {
		if id, err = randomBase62(IDLen); err != nil {
			return "", Key{}, err
		}
		_, found, err := st.Lookup(ctx, id)
		if err != nil {
			return "", Key{}, err
		}
		if !found {
			break
		}
	}
	secret, err := randomBase62(secretLen)
	if err != nil {
		return "", Key{}, err
	}
	k := Key{ID: id, Role: r, KBs: kbs, Name: spec.Name, Origins: origins, Trusted: spec.Trusted, CreatedAt: now.UTC(), hash: HashSecret(secret)}
	if err := st.s.Upsert(ctx, Collection, []index.Point{{ID: pointID(id), Payload: k.payload()}}); err != nil {
		return "", Key{}, fmt.Errorf("storing the key: %w", err)
	}
	return Prefix + id + "_" + secret, k, nil
}

// Lookup reads the key with public id id; found is false for an unknown id.
func (st *Store) Lookup(ctx context.Context, id string) (k Key, found bool, err error) {
	recs, err := st.s.Get(ctx, Collection, []string{pointID(id)}, index.With{Payload: true})
	if errors.Is(err, index.ErrCollectionNotFound) {
		return Key{}, false, nil
	}
	if err != nil {
		return Key{}, false, fmt.Errorf("reading API key %s: %w", id, err)
	}
	if len(recs) == 0 {
		return Key{}, false, nil
	}
	k, err = fromPayload(recs[0].Payload)
	return k, err == nil, err
}

// List returns every stored key, oldest first.
func (st *Store) List(ctx context.Context) ([]Key, error) {
	var keys []Key
	err := index.ScrollAll(ctx, st.s, Collection, index.ScrollRequest{Limit: 1000, With: index.With{Payload: true}}, func(r index.Record) error {
		k, err := fromPayload(r.Payload)
		if err != nil {
			return err
		}
		keys = append(keys, k)
		return nil
	})
	if errors.Is(err, index.ErrCollectionNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing API keys: %w", err)
	}
	slices.SortFunc(keys, func(a, b Key) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return keys, nil
}

// Revoke marks a key revoked at now; revoking a revoked key keeps its
// first revocation time and reports changed false. An unknown id is ErrNotFound.
func (st *Store) Revoke(ctx context.Context, id string, now time.Time) (k Key, changed bool, err error) {
	k, found, err := st.Lookup(ctx, id)
	if err != nil {
		return Key{}, false, err
	}
	if !found {
		return Key{}, false, fmt.Errorf("%w %q (see `jieda keys list`)", ErrNotFound, id)
	}
	if k.Revoked() {
		return k, false, nil
	}
	k.RevokedAt = now.UTC()
	revokedAt := k.RevokedAt.Format(time.RFC3339Nano)
	if err := st.s.SetPayload(ctx, Collection, []string{pointID(id)}, index.Payload{"revoked_at": revokedAt}); err != nil {
		return Key{}, false, fmt.Errorf("revoking API key %s: %w", id, err)
	}
	return k, true, nil
}
