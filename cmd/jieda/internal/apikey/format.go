package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
)

// Key format constants.
const (
	// Prefix starts every key.
	Prefix = "jd_"
	// IDLen is the length of the public id.
	IDLen     = 8
	secretLen = 40
	// maxLen bounds what Parse looks at: longer bearer tokens are refused unhashed.
	maxLen = 128
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

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

// ValidID reports whether s has the shape of a public key id.
func ValidID(s string) bool { return len(s) == IDLen && isBase62(s) }

// Parse splits a key into its public id and secret; ok is false when s
// does not have the key format.
func Parse(s string) (id, secret string, ok bool) {
	if len(s) > maxLen {
		return "", "", false
	}
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok || len(rest) < IDLen+1+32 || rest[IDLen] != '_' {
		return "", "", false
	}
	id, secret = rest[:IDLen], rest[IDLen+1:]
	if !ValidID(id) || !isBase62(secret) {
		return "", "", false
	}
	return id, secret, true
}

// HashSecret is the digest stored for a secret.
func HashSecret(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }
