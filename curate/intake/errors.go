package intake

import (
	"errors"

	"github.com/jieda/jieda/answer/importfile"
)

// Sentinel errors returned (wrapped) by the intake package; test with errors.Is.
var (
	// ErrInvalidResolved reports a resolved reply that fails validation: an
	// empty question or reply, invalid UTF-8, a CSAT outside 1..5, a bad
	// time, an unknown CSV column or a malformed line.
	ErrInvalidResolved = errors.New("invalid resolved reply")
	// ErrUnknownFormat reports an import file that is neither JSONL nor CSV
	// (importfile's, shared by every import file).
	ErrUnknownFormat = importfile.ErrUnknownFormat
	// ErrInvalidPayload reports a webhook body that is not valid JSON of the
	// expected shape (or not valid UTF-8).
	ErrInvalidPayload = errors.New("invalid webhook payload")
	// ErrNotResolved reports a webhook event that does not resolve a
	// conversation (another event, or a status other than resolved). The
	// caller acknowledges it and ignores it.
	ErrNotResolved = errors.New("event does not resolve a conversation")
	// ErrNoExchange reports a resolved conversation without both a customer
	// question and a substantive human agent reply. The caller acknowledges
	// it and ignores it.
	ErrNoExchange = errors.New("conversation has no question and agent reply")
)
