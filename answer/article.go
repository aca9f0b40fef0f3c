package answer

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jieda/jieda/embed"
)

// Status is an article's publication state. Only published articles are
// ever returned to customers.
type Status string

// Article statuses.
const (
	StatusDraft     Status = "draft"
	StatusPublished Status = "published"
	StatusArchived  Status = "archived"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	return s == StatusDraft || s == StatusPublished || s == StatusArchived
}

// Limits on article fields.
const (
	// MaxIDLen is the longest article id or KB name.
	MaxIDLen = 128
	// MaxQuestionRunes is the longest question or variant, in characters.
	MaxQuestionRunes = 512
	// MaxAnswerRunes is the longest answer, in characters.
	MaxAnswerRunes = 20000
	// MaxVariants is the most variant questions an article may have.
	MaxVariants = 500
)

// scopeKeyPattern is the charset of scope keys.
var scopeKeyPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)

// Article is one knowledge base entry: a standard question, its variants
// (similar questions customers ask), and the answer returned verbatim.
type Article struct {
	// ID is unique within its KB (see IDRule).
	ID string `json:"id"`
	// KB is the knowledge base the article belongs to (set on import).
	KB string `json:"kb,omitempty"`
	// Question is the standard question.
	Question string `json:"question"`
	// Variants are other ways customers ask the same question.
	Variants []string `json:"variants"`
	// Answer is the answer body (markdown).
	Answer string `json:"answer"`
	// Category groups articles (orders, refunds, …); thresholds may differ per category.
	Category string `json:"category,omitempty"`
	// Locale is a BCP 47 tag such as zh-CN, zh-TW or en.
	Locale string `json:"locale,omitempty"`
	// Scope tags restrict where the article applies (store, brand, channel).
	Scope map[string]string `json:"scope,omitempty"`
	// ValidFrom and ValidTo bound when the answer is true (promotions end).
	ValidFrom *time.Time `json:"valid_from,omitempty"`
	ValidTo   *time.Time `json:"valid_to,omitempty"`
	// ReviewBy is when an editor should check the article again; past it,
	// the article is listed for review (GET /v1/articles?review_due=true).
	ReviewBy *time.Time `json:"review_by,omitempty"`
	// Status is draft, published or archived; empty means published on import.
	Status Status `json:"status,omitempty"`
	// Version counts revisions, from 1.
	Version   int       `json:"version,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Questions returns the standard question followed by the variants, with
// blank variants and exact duplicates (after normalization) left out.
func (a *Article) Questions() []string {
	qs := make([]string, 0, 1+len(a.Variants))
	seen := make(map[string]bool, 1+len(a.Variants))
	for _, q := range append([]string{a.Question}, a.Variants...) {
		n, err := embed.Normalize(q)
		if err != nil || n == "" || seen[n] {
			continue
		}
		seen[n] = true
		qs = append(qs, q)
	}
	return qs
}

// applyDefaults fills the defaults import relies on: published status, version 1.
func (a *Article) applyDefaults() {
	if a.Status == "" {
		a.Status = StatusPublished
	}
	if a.Version == 0 {
		a.Version = 1
	}
}

// Validate checks every field and reports all problems at once, each
// wrapping ErrInvalidArticle.
func (a *Article) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidArticle}, args...)...))
	}
	if err := ValidateID(a.ID); err != nil {
		bad("id: %v", err)
	}
	if a.KB != "" {
		if err := ValidateID(a.KB); err != nil {
			bad("kb: %v", err)
		}
	}
	checkText := func(field, s string, maxRunes int, required bool) {
		switch {
		case !utf8.ValidString(s):
			bad("%s: invalid UTF-8", field)
		case strings.TrimSpace(s) == "":
			if required {
				bad("%s: must not be empty", field)
			}
		case utf8.RuneCountInString(s) > maxRunes:
			bad("%s: longer than %d characters", field, maxRunes)
		default:
			if n, err := embed.Normalize(s); err != nil || n == "" {
				if required {
					bad("%s: nothing left after normalization", field)
				}
			}
		}
	}
	checkText("question", a.Question, MaxQuestionRunes, true)
	checkText("answer", a.Answer, MaxAnswerRunes, true)
	if len(a.Variants) > MaxVariants {
		bad("variants: more than %d", MaxVariants)
	}
	for i, v := range a.Variants {
		if !utf8.ValidString(v) {
			bad("variants[%d]: invalid UTF-8", i)
		} else if utf8.RuneCountInString(v) > MaxQuestionRunes {
			bad("variants[%d]: longer than %d characters", i, MaxQuestionRunes)
		}
	}
	for field, s := range map[string]string{"category": a.Category, "locale": a.Locale} {
		if !utf8.ValidString(s) {
			bad("%s: invalid UTF-8", field)
		} else if len(s) > MaxIDLen {
			bad("%s: longer than %d bytes", field, MaxIDLen)
		}
	}
	for k, v := range a.Scope {
		if !scopeKeyPattern.MatchString(k) || len(k) > MaxIDLen {
			bad("scope: key %q must be 1-%d characters of [A-Za-z0-9._:-]", k, MaxIDLen)
		}
		if !utf8.ValidString(v) || v == "" || len(v) > MaxIDLen {
			bad("scope.%s: value must be 1-%d bytes of valid UTF-8", k, MaxIDLen)
		}
	}
	if a.Status != "" && !a.Status.Valid() {
		bad("status: %q must be draft, published or archived", a.Status)
	}
	if a.Version < 0 {
		bad("version: %d must not be negative", a.Version)
	}
	if a.ValidFrom != nil && a.ValidTo != nil && !a.ValidTo.After(*a.ValidFrom) {
		bad("valid_to %s is not after valid_from %s", a.ValidTo.Format(time.RFC3339), a.ValidFrom.Format(time.RFC3339))
	}
	return errors.Join(errs...)
}

// IDRule is the one rule for the names people choose: article ids, KB
// names, intake sources and channels. Such a name travels in URL paths
// (percent-encoded by clients, decoded once by the server) and in query
// strings, so it excludes what a path or a proxy would read differently.
const IDRule = "1-128 bytes of UTF-8 letters, digits, marks, punctuation and symbols, starting with a letter or digit; no spaces, control characters, '/', '\\' or '%'"

// ValidateID checks a name against IDRule.
func ValidateID(id string) error {
	if id == "" || len(id) > MaxIDLen || !utf8.ValidString(id) {
		return fmt.Errorf("%q: ids are %s", id, IDRule)
	}
	for i, r := range id {
		ok := unicode.IsPrint(r) && !unicode.IsSpace(r) && r != '/' && r != '\\' && r != '%'
		if i == 0 {
			ok = unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		if !ok {
			return fmt.Errorf("%q: ids are %s", id, IDRule)
		}
	}
	return nil
}

// ActiveAt reports whether t lies in the article's validity window.
func (a *Article) ActiveAt(t time.Time) bool {
	if a.ValidFrom != nil && t.Before(*a.ValidFrom) {
		return false
	}
	if a.ValidTo != nil && !t.Before(*a.ValidTo) {
		return false
	}
	return true
}
