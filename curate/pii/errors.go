package pii

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrBadConfig reports a Config that cannot build a Scrubber: a pattern
	// that does not compile or matches the empty string, or an unknown type.
	ErrBadConfig = errors.New("invalid pii config")
)
