package authz

import (
	"errors"
	"fmt"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrForbidden reports a principal refused by a role or scope check.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalidKey reports an unknown, malformed or wrong API key: one
	// answer for all three, so a client cannot tell which ids exist.
	ErrInvalidKey = errors.New("invalid API key")
	// ErrRevokedKey reports a key that was revoked.
	ErrRevokedKey = errors.New("API key revoked")
)

// denied is a refusal whose message is the client's to read (without
// the "forbidden: " prefix a %w wrap would add).
type denied struct{ msg string }

func (d *denied) Error() string        { return d.msg }
func (d *denied) Is(target error) bool { return target == ErrForbidden }

func deny(format string, args ...any) error { return &denied{msg: fmt.Sprintf(format, args...)} }
