package apikey

import "errors"

// Sentinel errors; test with errors.Is.
var (
	// ErrNotFound reports an unknown key id.
	ErrNotFound = errors.New("unknown API key id")
	// ErrInvalid reports a malformed role, scope or key.
	ErrInvalid = errors.New("invalid API key request")
	// ErrDamaged reports a stored key record that cannot be read back.
	ErrDamaged = errors.New("damaged API key record")
)
