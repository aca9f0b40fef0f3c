// Package apikey owns jieda's API keys: their format, their roles and KB
// scopes, how they are hashed, and their storage in the store.
//
// # Basics
//
// A key looks like
//
//	jd_K3v9QxPa_7fQ2...(40 characters)
//
// "jd_", an 8-character public id, "_", and a 40-character secret, both
// base62 from crypto/rand (about 47 and 238 bits). The id names the key in
// logs, `jieda keys list` and revocation; only the secret authenticates.
// [Store.Create] returns the only copy of a new key; the store keeps the
// SHA-256 of its secret.
//
// A fast hash is enough here: the secret is 238 random bits, not a
// password a person chose, so there is no dictionary to try and brute
// force is out of reach whatever the hash costs. A slow KDF (bcrypt,
// argon2) would only add its cost to every uncached request.
//
// # Storage
//
// Keys live in the store's "api_keys" collection as payload-only points
// (the collection is sparse-capable so it is valid, but no point carries a
// vector). The point id is a UUID derived from the public id, so checking
// a key is one Get by id. The payload holds key_id, role, kbs, name,
// created_at, revoked_at (absent while active), origins (widget keys) and
// secret_sha256: the hex SHA-256 of the secret, never the secret or the
// key itself.
//
// # Widget keys
//
// A widget key ([RoleWidget]) is published in a shop's pages by the web
// widget, so it is not a secret in practice: it is scoped to KBs, lists
// the origins it may be used from ([NormalizeOrigin]), and admits only
// the routes that name the widget role (ask and feedback).
package apikey
