package vecindex

import "errors"

// Errors returned (wrapped) by LoadDense.
var (
	// ErrFormat reports data that is not a saved dense index, or one saved
	// by an incompatible format version.
	ErrFormat = errors.New("vecindex: not a dense index of a supported format")
	// ErrCorrupt reports a saved index that fails its checksum or its
	// consistency checks.
	ErrCorrupt = errors.New("vecindex: corrupt dense index")
)
