package index

import "errors"

// Sentinel errors returned (wrapped) by every engine. Engines wrap them with
// context; callers test with errors.Is.
var (
	// ErrCollectionNotFound reports an unknown collection.
	ErrCollectionNotFound = errors.New("collection not found")
	// ErrDimensionMismatch reports a dense vector or collection whose
	// dimension differs from the collection's; the message names both numbers.
	ErrDimensionMismatch = errors.New("dimension mismatch")
	// ErrInvalidID reports a point id that is not a UUID.
	ErrInvalidID = errors.New("invalid point id")
	// ErrInvalidArgument reports a malformed request: a bad filter, payload,
	// vector (NaN, empty), limit, cursor or collection config.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrNoPayloadIndex reports ordering by a field that has no payload index
	// of an orderable type (integer, float, datetime).
	ErrNoPayloadIndex = errors.New("payload field not indexed")
	// ErrUnavailable reports a store that cannot be reached (Qdrant down).
	ErrUnavailable = errors.New("store unavailable")
	// ErrClosed reports use of a closed store.
	ErrClosed = errors.New("store closed")
)
