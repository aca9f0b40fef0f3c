package intake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// VerifySignature reports whether header carries the HMAC-SHA256 of body
// under secret, written "sha256=<hex>" (the prefix is case-insensitive,
// the hex either case). The comparison takes constant time. An empty
// secret never verifies: a source without a secret must be refused, not
// waved through. Each webhook source has its own secret.
func VerifySignature(secret string, body []byte, header string) bool {
	if secret == "" {
		return false
	}
	header = strings.TrimSpace(header)
	const prefix = "sha256="
	if len(header) < len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return false
	}
	got, err := hex.DecodeString(header[len(prefix):])
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// VerifyChatwootSignature checks Chatwoot's own webhook signature: the
// X-Chatwoot-Signature header ("sha256=<hex>") over the
// X-Chatwoot-Timestamp header, a dot and the raw body. Refusing stale
// timestamps (replays) is the caller's job.
func VerifyChatwootSignature(secret, timestamp string, body []byte, header string) bool {
	if timestamp == "" {
		return false
	}
	signed := make([]byte, 0, len(timestamp)+1+len(body))
	signed = append(append(append(signed, timestamp...), '.'), body...)
	return VerifySignature(secret, signed, header)
}
