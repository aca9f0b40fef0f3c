package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
)

// API keys look like
//
//	jd_K3v9QxPa_7fQ2...(40 characters)
//
// "jd_", an 8-character public id, "_", and a 40-character secret, both
// base62 from crypto/rand (about 47 and 238 bits). The id names the key in
// logs, `jieda keys list` and revocation; only the secret authenticates.
//
// Keys live in the store's "api_keys" collection as payload-only points
// (the collection is sparse-capable so it is valid, but no point carries a
// vector). The point id is a UUID derived from the public id, so checking a
// key is one Get by id. The payload holds key_id, role, kbs, name,
// created_at, revoked_at (absent while active) and secret_sha256: the hex
// SHA-256 of the secret, never the secret or the key itself.
//
// A fast hash is enough here: the secret is 238 random bits, not a
// password a person chose, so there is no dictionary to try and brute force
// is out of reach whatever the hash costs. A slow KDF (bcrypt, argon2)
// would only add its cost to every uncached request.
const (
	keysCollection = "api_keys"
	keyPrefix      = "jd_"
	keyIDLen       = 8
	keySecretLen   = 40
	// keyMaxLen bounds what parseKey looks at: longer bearer tokens are refused unhashed.
	keyMaxLen = 128
)

// keyNamespace is the UUID namespace of api_keys point ids (uuid.NewSHA1).
var keyNamespace = uuid.MustParse("9b0f6c2e-3d4a-4e1b-8f5c-6a7d8e9f0a1b")

// errKeyNotFound reports an unknown API key id.
var errKeyNotFound = errors.New("unknown API key id")

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// apiKey is a stored API key: everything but the secret.
type apiKey struct {
	ID        string
	Role      role
	KBs       []string // empty: every KB
	Name      string
	CreatedAt time.Time
	RevokedAt time.Time // zero while the key is active
	hash      [sha256.Size]byte
}

func (k apiKey) revoked() bool { return !k.RevokedAt.IsZero() }

// randomBase62 returns n characters drawn uniformly from base62.
func randomBase62(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("generating a key: %w", err)
		}
		for _, b := range buf {
			// 248 = 4·62: rejecting larger bytes keeps the draw uniform.
			if b < 248 && len(out) < n {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out), nil
}

func isBase62(s string) bool {
	for i := range len(s) {
		if !strings.ContainsRune(base62, rune(s[i])) {
			return false
		}
	}
	return true
}

// validKeyID reports whether s has the shape of a public key id.
func validKeyID(s string) bool { return len(s) == keyIDLen && isBase62(s) }

// parseKey splits a key into its public id and secret; ok is false when s
// does not have the key format.
func parseKey(s string) (id, secret string, ok bool) {
	if len(s) > keyMaxLen {
		return "", "", false
	}
	rest, ok := strings.CutPrefix(s, keyPrefix)
	if !ok || len(rest) < keyIDLen+1+32 || rest[keyIDLen] != '_' {
		return "", "", false
	}
	id, secret = rest[:keyIDLen], rest[keyIDLen+1:]
	if !validKeyID(id) || !isBase62(secret) {
		return "", "", false
	}
	return id, secret, true
}

func hashSecret(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }

// keyPointID is the api_keys point id of a public key id.
func keyPointID(id string) string { return uuid.NewSHA1(keyNamespace, []byte(id)).String() }

func (k apiKey) payload() index.Payload {
	p := index.Payload{
		"key_id":        k.ID,
		"role":          k.Role.String(),
		"kbs":           k.KBs,
		"name":          k.Name,
		"created_at":    k.CreatedAt.UTC().Format(time.RFC3339Nano),
		"secret_sha256": hex.EncodeToString(k.hash[:]),
	}
	if k.revoked() {
		p["revoked_at"] = k.RevokedAt.UTC().Format(time.RFC3339Nano)
	}
	return p
}

// keyFromPayload reads a stored key back; a damaged record is an error.
func keyFromPayload(p index.Payload) (apiKey, error) {
	var k apiKey
	k.ID, _ = p["key_id"].(string)
	roleName, _ := p["role"].(string)
	r, err := parseRole(roleName)
	if err != nil {
		return apiKey{}, fmt.Errorf("API key %q: %w", k.ID, err)
	}
	k.Role = r
	k.Name, _ = p["name"].(string)
	if kbs, ok := p["kbs"].([]any); ok {
		for _, kb := range kbs {
			if s, ok := kb.(string); ok {
				k.KBs = append(k.KBs, s)
			}
		}
	}
	if s, _ := p["created_at"].(string); s != "" {
		k.CreatedAt, _ = time.Parse(time.RFC3339Nano, s)
	}
	if s, _ := p["revoked_at"].(string); s != "" {
		if k.RevokedAt, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return apiKey{}, fmt.Errorf("API key %q: revoked_at: %w", k.ID, err)
		}
	}
	h, _ := p["secret_sha256"].(string)
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size || !validKeyID(k.ID) {
		return apiKey{}, fmt.Errorf("API key %q: damaged record", k.ID)
	}
	copy(k.hash[:], b)
	return k, nil
}

// ensureKeysCollection creates the api_keys collection and its index.
func ensureKeysCollection(ctx context.Context, s index.Store) error {
	return index.Ensure(ctx, s, index.CollectionConfig{Name: keysCollection, Sparse: true}, map[string]index.FieldType{"key_id": index.FieldKeyword})
}

// normalizeKBs trims, deduplicates and sorts KB scopes; an empty name is an error.
func normalizeKBs(kbs []string) ([]string, error) {
	out := make([]string, 0, len(kbs))
	for _, kb := range kbs {
		kb = strings.TrimSpace(kb)
		if kb == "" {
			return nil, errors.New("a KB scope must not be empty")
		}
		out = append(out, kb)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// createKey stores a new key and returns it; the returned string is the
// only copy of the secret.
func createKey(ctx context.Context, s index.Store, r role, kbs []string, name string, now time.Time) (string, apiKey, error) {
	kbs, err := normalizeKBs(kbs)
	if err != nil {
		return "", apiKey{}, err
	}
	if err := ensureKeysCollection(ctx, s); err != nil {
		return "", apiKey{}, err
	}
	var id string
	for {
		if id, err = randomBase62(keyIDLen); err != nil {
			return "", apiKey{}, err
		}
		_, found, err := lookupKey(ctx, s, id)
		if err != nil {
			return "", apiKey{}, err
		}
		if !found {
			break
		}
	}
	secret, err := randomBase62(keySecretLen)
	if err != nil {
		return "", apiKey{}, err
	}
	k := apiKey{ID: id, Role: r, KBs: kbs, Name: name, CreatedAt: now.UTC(), hash: hashSecret(secret)}
	if err := s.Upsert(ctx, keysCollection, []index.Point{{ID: keyPointID(id), Payload: k.payload()}}); err != nil {
		return "", apiKey{}, fmt.Errorf("storing the key: %w", err)
	}
	return keyPrefix + id + "_" + secret, k, nil
}

// lookupKey reads the key with public id id; found is false for an unknown id.
func lookupKey(ctx context.Context, s index.Store, id string) (k apiKey, found bool, err error) {
	recs, err := s.Get(ctx, keysCollection, []string{keyPointID(id)}, index.With{Payload: true})
	if errors.Is(err, index.ErrCollectionNotFound) {
		return apiKey{}, false, nil
	}
	if err != nil {
		return apiKey{}, false, fmt.Errorf("reading API key %s: %w", id, err)
	}
	if len(recs) == 0 {
		return apiKey{}, false, nil
	}
	k, err = keyFromPayload(recs[0].Payload)
	return k, err == nil, err
}

// listKeys returns every stored key, oldest first.
func listKeys(ctx context.Context, s index.Store) ([]apiKey, error) {
	var keys []apiKey
	cursor := ""
	for {
		page, err := s.Scroll(ctx, keysCollection, index.ScrollRequest{Limit: 1000, Cursor: cursor, With: index.With{Payload: true}})
		if errors.Is(err, index.ErrCollectionNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing API keys: %w", err)
		}
		for _, r := range page.Points {
			k, err := keyFromPayload(r.Payload)
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	slices.SortFunc(keys, func(a, b apiKey) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return keys, nil
}

// revokeKey marks a key revoked at now; revoking a revoked key keeps its
// first revocation time and reports changed false. An unknown id is errKeyNotFound.
func revokeKey(ctx context.Context, s index.Store, id string, now time.Time) (k apiKey, changed bool, err error) {
	k, found, err := lookupKey(ctx, s, id)
	if err != nil {
		return apiKey{}, false, err
	}
	if !found {
		return apiKey{}, false, fmt.Errorf("%w %q (see `jieda keys list`)", errKeyNotFound, id)
	}
	if k.revoked() {
		return k, false, nil
	}
	k.RevokedAt = now.UTC()
	revokedAt := k.RevokedAt.Format(time.RFC3339Nano)
	if err := s.SetPayload(ctx, keysCollection, []string{keyPointID(id)}, index.Payload{"revoked_at": revokedAt}); err != nil {
		return apiKey{}, false, fmt.Errorf("revoking API key %s: %w", id, err)
	}
	return k, true, nil
}

func (a *app) keysCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke API keys (stored hashed in the store)",
		Long: "Create, list and revoke API keys. With the embedded engine these commands open the store\n" +
			"directly, so they cannot run while `jieda serve` holds it: stop the server, or use the\n" +
			"admin API (POST/GET/DELETE /v1/admin/keys) of the running server.",
	}
	c.AddCommand(a.keysCreateCommand(), a.keysListCommand(), a.keysRevokeCommand())
	return c
}

// withKeyStore loads the config, opens the store, runs f and closes the store.
func (a *app) withKeyStore(cmd *cobra.Command, f func(ctx context.Context, s index.Store) error) (err error) {
	if err := a.load(cmd, nil); err != nil {
		return err
	}
	ctx := cmd.Context()
	s, err := a.openStore(ctx, a.cfg.Store.Engine)
	if errors.Is(err, embedded.ErrLocked) {
		return fmt.Errorf("%w\n(a running `jieda serve` holds the embedded store: stop it, or manage keys through its /v1/admin/keys API)", err)
	}
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	return f(ctx, s)
}

func (a *app) keysCreateCommand() *cobra.Command {
	var roleName, name string
	var kbs []string
	cmd := &cobra.Command{
		Use:   "create --role ROLE [--kb NAME]... [--name LABEL]",
		Short: "Create an API key and print it once, alone on the last line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := parseRole(roleName)
			if err != nil {
				return fmt.Errorf("--role: %w", err)
			}
			return a.withKeyStore(cmd, func(ctx context.Context, s index.Store) error {
				key, k, err := createKey(ctx, s, r, kbs, name, time.Now())
				if err != nil {
					return err
				}
				scope := "every KB"
				if len(k.KBs) > 0 {
					scope = "KBs " + strings.Join(k.KBs, ", ")
				}
				fmt.Fprintf(a.stdout, "created %s key %s (%s)", k.Role, k.ID, scope)
				if k.Name != "" {
					fmt.Fprintf(a.stdout, " named %q", k.Name)
				}
				fmt.Fprintln(a.stdout)
				fmt.Fprintln(a.stdout, "the key follows; it is shown only this once, store it now:")
				fmt.Fprintln(a.stdout, key)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&roleName, "role", "", "customer, agent, editor or admin (required)")
	cmd.Flags().StringArrayVar(&kbs, "kb", nil, "limit the key to this KB (repeat for several; default every KB)")
	cmd.Flags().StringVar(&name, "name", "", "a label for people (who or what uses the key)")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func (a *app) keysListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List API keys (ids, roles, scopes; never secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withKeyStore(cmd, func(ctx context.Context, s index.Store) error {
				keys, err := listKeys(ctx, s)
				if err != nil {
					return err
				}
				if len(keys) == 0 {
					fmt.Fprintln(a.stdout, "no API keys; create one with `jieda keys create --role ROLE`")
					return nil
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tROLE\tKBS\tNAME\tCREATED\tSTATUS")
				for _, k := range keys {
					scope := "*"
					if len(k.KBs) > 0 {
						scope = strings.Join(k.KBs, ",")
					}
					status := "active"
					if k.revoked() {
						status = "revoked " + k.RevokedAt.Local().Format(time.DateTime)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Role, scope, k.Name, k.CreatedAt.Local().Format(time.DateTime), status)
				}
				return tw.Flush()
			})
		},
	}
}

func (a *app) keysRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke KEY_ID",
		Short: "Revoke an API key (a running server honours it within its key cache TTL, 30s)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if kid, _, ok := parseKey(id); ok { // the whole key works too
				id = kid
			}
			if !validKeyID(id) {
				return fmt.Errorf("%q is not a key id: ids are the %d characters after %q (see `jieda keys list`)", args[0], keyIDLen, keyPrefix)
			}
			return a.withKeyStore(cmd, func(ctx context.Context, s index.Store) error {
				k, changed, err := revokeKey(ctx, s, id, time.Now())
				if err != nil {
					return err
				}
				if !changed {
					fmt.Fprintf(a.stdout, "key %s was already revoked at %s\n", k.ID, k.RevokedAt.Local().Format(time.DateTime))
					return nil
				}
				fmt.Fprintf(a.stdout, "revoked %s key %s\n", k.Role, k.ID)
				return nil
			})
		},
	}
}
