package apikey

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// Key is a stored API key: everything but the secret.
type Key struct {
	ID        string
	Role      Role
	KBs       []string // empty: every KB
	Name      string
	CreatedAt time.Time
	RevokedAt time.Time // zero while the key is active
	hash      [sha256.Size]byte

	// Origins are the web origins ("https://shop.example") a widget key
	// may be used from; empty for every other role.
	Origins []string
	// Trusted keys are integrations that may vouch for a customer
	// (AskRequest.Customer.Tier); other keys' tiers are ignored.
	Trusted bool
}

// Revoked reports whether the key was revoked.
func (k Key) Revoked() bool { return !k.RevokedAt.IsZero() }

// Matches reports, in constant time, whether secret is this key's secret.
func (k Key) Matches(secret string) bool {
	sum := HashSecret(secret)
	return subtle.ConstantTimeCompare(sum[:], k.hash[:]) == 1
}

// MayUseKB reports whether the key's scopes admit kb.
func (k Key) MayUseKB(kb string) bool { return len(k.KBs) == 0 || slices.Contains(k.KBs, kb) }

// namespace is the UUID namespace of api_keys point ids (uuid.NewSHA1).
var namespace = uuid.MustParse("9b0f6c2e-3d4a-4e1b-8f5c-6a7d8e9f0a1b")

// pointID is the api_keys point id of a public key id.
func pointID(id string) string { return uuid.NewSHA1(namespace, []byte(id)).String() }

func (k Key) payload() index.Payload {
	p := index.Payload{
		"key_id":        k.ID,
		"role":          k.Role.String(),
		"kbs":           k.KBs,
		"name":          k.Name,
		"created_at":    k.CreatedAt.UTC().Format(time.RFC3339Nano),
		"secret_sha256": hex.EncodeToString(k.hash[:]),
	}
	if len(k.Origins) > 0 {
		p["origins"] = k.Origins
	}
	if k.Trusted {
		p["trusted"] = true
	}
	if k.Revoked() {
		p["revoked_at"] = k.RevokedAt.UTC().Format(time.RFC3339Nano)
	}
	return p
}

// fromPayload reads a stored key back; a damaged record is an error.
func fromPayload(p index.Payload) (Key, error) {
	var k Key
	k.ID, _ = p["key_id"].(string)
	roleName, _ := p["role"].(string)
	r, err := ParseRole(roleName)
	if err != nil {
		return Key{}, fmt.Errorf("%w: key %q: %w", ErrDamaged, k.ID, err)
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
	if origins, ok := p["origins"].([]any); ok {
		for _, o := range origins {
			if s, ok := o.(string); ok {
				k.Origins = append(k.Origins, s)
			}
		}
	}
	k.Trusted, _ = p["trusted"].(bool)
	if s, _ := p["created_at"].(string); s != "" {
		k.CreatedAt, _ = time.Parse(time.RFC3339Nano, s)
	}
	if s, _ := p["revoked_at"].(string); s != "" {
		if k.RevokedAt, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return Key{}, fmt.Errorf("%w: key %q: revoked_at: %w", ErrDamaged, k.ID, err)
		}
	}
	h, _ := p["secret_sha256"].(string)
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size || !ValidID(k.ID) {
		return Key{}, fmt.Errorf("%w: key %q", ErrDamaged, k.ID)
	}
	copy(k.hash[:], b)
	return k, nil
}

// NormalizeKBs trims, deduplicates and sorts KB scopes; an empty name is an error.
func NormalizeKBs(kbs []string) ([]string, error) {
	out := make([]string, 0, len(kbs))
	for _, kb := range kbs {
		kb = strings.TrimSpace(kb)
		if kb == "" {
			return nil, fmt.Errorf("%w: a KB scope must not be empty", ErrInvalid)
		}
		out = append(out, kb)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// MaxNameRunes bounds a key's name.
const MaxNameRunes = 100

// ValidateName checks a key's name: one line of at most MaxNameRunes
// printable characters (a name is printed in tables and logs: a newline
// or a control character could forge a line).
func ValidateName(name string) error {
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameRunes {
		return fmt.Errorf("%w: a key name is at most %d characters of UTF-8", ErrInvalid, MaxNameRunes)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) && r != ' ' || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("%w: a key name is one line of printable characters (no %U)", ErrInvalid, r)
		}
	}
	return nil
}

// SafeName is name with anything ValidateName refuses replaced by '?', for
// printing names stored before names were checked.
func SafeName(name string) string {
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) && r != ' ' || unicode.Is(unicode.Cf, r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(name, "?"))
}
