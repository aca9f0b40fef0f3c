package channels

import "errors"

// Sentinel errors; test with errors.Is.
var (
	// ErrChannelNotFound reports an unknown channel name.
	ErrChannelNotFound = errors.New("channel not found")
	// ErrInvalidChannel reports channel settings that fail validation.
	ErrInvalidChannel = errors.New("invalid channel")
	// ErrBadSignature reports a callback whose signature does not verify
	// (or that is unsigned where the channel wants a signature, or is for
	// an unknown channel: the caller cannot tell these apart).
	ErrBadSignature = errors.New("invalid or missing webhook signature")
	// ErrStaleSignature reports a signed callback whose timestamp is too
	// far from now: a replay, or a clock off by minutes.
	ErrStaleSignature = errors.New("webhook timestamp too old or too far ahead")
	// ErrInvalidPayload reports a callback body the kind cannot read.
	ErrInvalidPayload = errors.New("invalid webhook payload")
)
