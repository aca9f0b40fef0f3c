package embedded

import "errors"

// Sentinel errors of the embedded engine, returned wrapped; test with
// errors.Is. The index package's sentinels (index.ErrCollectionNotFound,
// index.ErrInvalidArgument, …) apply as well.
var (
	// ErrLocked reports a data directory whose database another process (or
	// another Store in this process) holds open.
	ErrLocked = errors.New("data directory is in use by another store")
	// ErrNewerFormat reports a database or backup written by a newer jieda
	// with a storage format this build cannot read.
	ErrNewerFormat = errors.New("storage format is newer than this build supports")
	// ErrCorrupt reports a database record, saved graph or backup that fails
	// its checks (bad magic, truncated, checksum mismatch).
	ErrCorrupt = errors.New("corrupt data")
)
