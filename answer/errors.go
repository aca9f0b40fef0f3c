package answer

import "errors"

// Sentinel errors returned (wrapped) by the answer package; test with errors.Is.
var (
	// ErrInvalidArticle reports an article that fails validation.
	ErrInvalidArticle = errors.New("invalid article")
	// ErrInvalidKB reports an empty or malformed knowledge base name.
	ErrInvalidKB = errors.New("invalid knowledge base name")
	// ErrEmptyQuery reports a question that is empty after normalization.
	ErrEmptyQuery = errors.New("empty question")
	// ErrArticleNotFound reports an unknown article id.
	ErrArticleNotFound = errors.New("article not found")
	// ErrUnknownFormat reports an import file that is neither JSONL nor CSV.
	ErrUnknownFormat = errors.New("unknown file format")
	// ErrInvalidOutcome reports an outcome label that fails validation.
	ErrInvalidOutcome = errors.New("invalid outcome")
)
