// The audit log: one immutable entry per editor and admin action (review
// decisions, article edits, rollbacks, settings and key changes), listed
// newest first with filters and gap-free paging.

package curate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/index"
)

// AuditCollection holds one payload-only point per audit entry.
const AuditCollection = "audit_log"

// Bounds on audit entries, in bytes.
const (
	maxAuditField   = 256   // actor, role, action
	maxAuditTarget  = 1024  // target
	maxAuditDetails = 65536 // details, as JSON
)

// AuditEntry is one recorded action.
type AuditEntry struct {
	// ID is a UUID assigned by Record.
	ID string `json:"id"`
	// At is when Record stored the entry (UTC, millisecond precision).
	At time.Time `json:"at"`
	// Actor is who acted: a person's name, an API key id; required.
	Actor string `json:"actor"`
	// Role is the actor's role (editor, admin, …); optional.
	Role string `json:"role,omitempty"`
	// Action names what was done ("candidate.approve", "article.rollback"…); required.
	Action string `json:"action"`
	// KB is the knowledge base acted on; empty for actions on no one KB.
	KB string `json:"kb,omitempty"`
	// Target names the object acted on (an article or candidate id).
	Target string `json:"target,omitempty"`
	// Details are free JSON-encodable facts about the action.
	Details map[string]any `json:"details,omitempty"`
}

// AuditQuery selects audit entries to list.
type AuditQuery struct {
	// KBs keeps entries of these knowledge bases; empty: all (including
	// entries of no KB unless OnlyKBs).
	KBs []string
	// OnlyKBs leaves out the entries of no KB (keys, sources, backups).
	OnlyKBs bool
	// Actor and Action keep entries with exactly this actor and action; empty: all.
	Actor, Action string
	// Since keeps entries at or after it, Until entries before it; zero: unbounded.
	Since, Until time.Time
	// Limit is the page size (default 50, at most 500).
	Limit int
	// Cursor continues from a previous page's Next; "" starts at the newest.
	Cursor string
}

// AuditPage is one page of List; Next is "" on the last page.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	Next    string       `json:"next,omitempty"`
}

// Audit keeps the audit log in an index.Store, one payload-only point per
// entry; it holds no state of record in memory. Entries are never changed
// once recorded.
type Audit struct {
	store index.Store
	now   func() time.Time
}

// NewAudit returns an Audit over store, creating its collection and
// payload indexes when they are missing.
func NewAudit(ctx context.Context, store index.Store) (*Audit, error) {
	if err := index.Ensure(ctx, store, index.CollectionConfig{Name: AuditCollection, Sparse: true}, map[string]index.FieldType{
		"kb": index.FieldKeyword, "actor": index.FieldKeyword, "action": index.FieldKeyword,
		"target": index.FieldKeyword, "at": index.FieldDatetime,
	}); err != nil {
		return nil, err
	}
	return &Audit{store: store, now: time.Now}, nil
}

// Record validates e and stores it, assigning its ID and At (any given
// are replaced). Actor and Action are required; every string must be
// valid UTF-8 within its bound (actor, role and action 256 bytes, target
// 1,024, KB a valid KB name) and Details must encode to at most 64 KiB of
// JSON. The entry returned carries Details as read back (JSON types).
func (a *Audit) Record(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	if err := e.validate(); err != nil {
		return AuditEntry{}, err
	}
	if len(e.Details) > 0 {
		js, err := json.Marshal(e.Details)
		if err != nil {
			return AuditEntry{}, fmt.Errorf("%w: details: %w", ErrInvalidAudit, err)
		}
		if len(js) > maxAuditDetails {
			return AuditEntry{}, fmt.Errorf("%w: details: %d bytes of JSON, at most %d", ErrInvalidAudit, len(js), maxAuditDetails)
		}
		e.Details = nil
		if err := json.Unmarshal(js, &e.Details); err != nil {
			return AuditEntry{}, fmt.Errorf("%w: details: %w", ErrInvalidAudit, err)
		}
	} else {
		e.Details = nil
	}
	e.ID = uuid.NewString()
	e.At = a.now().UTC().Truncate(time.Millisecond)
	js, err := json.Marshal(e)
	if err != nil {
		return AuditEntry{}, fmt.Errorf("encoding audit entry: %w", err)
	}
	p := index.Payload{"actor": e.Actor, "action": e.Action, "at": e.At.Format(time.RFC3339Nano), "doc": string(js)}
	if e.KB != "" {
		p["kb"] = e.KB
	}
	if e.Target != "" {
		p["target"] = e.Target
	}
	if err := a.store.Upsert(ctx, AuditCollection, []index.Point{{ID: e.ID, Payload: p}}); err != nil {
		return AuditEntry{}, fmt.Errorf("writing audit entry: %w", err)
	}
	return e, nil
}

// validate checks what a caller gives Record.
func (e *AuditEntry) validate() error {
	var errs []error
	if strings.TrimSpace(e.Actor) == "" {
		errs = append(errs, errors.New("actor must not be empty"))
	}
	if strings.TrimSpace(e.Action) == "" {
		errs = append(errs, errors.New("action must not be empty"))
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"actor", e.Actor, maxAuditField},
		{"role", e.Role, maxAuditField},
		{"action", e.Action, maxAuditField},
		{"target", e.Target, maxAuditTarget},
	} {
		if !utf8.ValidString(f.v) {
			errs = append(errs, fmt.Errorf("%s: invalid UTF-8", f.name))
		} else if len(f.v) > f.max {
			errs = append(errs, fmt.Errorf("%s: %d bytes, at most %d", f.name, len(f.v), f.max))
		}
	}
	if e.KB != "" {
		if err := answer.ValidateID(e.KB); err != nil {
			errs = append(errs, fmt.Errorf("kb: %w", err))
		}
	}
	if err := checkDetailsUTF8("details", e.Details, 0); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidAudit, errors.Join(errs...))
	}
	return nil
}

// checkDetailsUTF8 requires valid UTF-8 in the keys and strings of a
// details value (encoding/json would silently replace bad bytes), down
// to a sane depth.
func checkDetailsUTF8(path string, v any, depth int) error {
	if depth > 32 {
		return fmt.Errorf("%s: nested deeper than 32 levels", path)
	}
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return fmt.Errorf("%s: invalid UTF-8", path)
		}
	case []string:
		for i, s := range x {
			if !utf8.ValidString(s) {
				return fmt.Errorf("%s[%d]: invalid UTF-8", path, i)
			}
		}
	case []any:
		for i, y := range x {
			if err := checkDetailsUTF8(fmt.Sprintf("%s[%d]", path, i), y, depth+1); err != nil {
				return err
			}
		}
	case map[string]string:
		for k, s := range x {
			if !utf8.ValidString(k) || !utf8.ValidString(s) {
				return fmt.Errorf("%s: key or value %q: invalid UTF-8", path, k)
			}
		}
	case map[string]any:
		for k, y := range x {
			if !utf8.ValidString(k) {
				return fmt.Errorf("%s: key %q: invalid UTF-8", path, k)
			}
			if err := checkDetailsUTF8(path+"."+k, y, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// List pages through audit entries, newest first; entries recorded in the
// same millisecond come in id order. It is the store's ordered scroll on
// the "at" payload field and the cursor is the store's (the position of
// the last entry returned), so paging never skips or repeats an entry,
// and entries recorded while paging sort before the cursor and do not
// show up. A cursor is only meaningful with the query that produced it.
func (a *Audit) List(ctx context.Context, q AuditQuery) (AuditPage, error) {
	var errs []error
	limit := q.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 500:
		errs = append(errs, fmt.Errorf("limit %d must lie in [1, 500]", q.Limit))
	}
	f := &index.Filter{}
	if len(q.KBs) > 0 {
		for _, kb := range q.KBs {
			if err := answer.ValidateID(kb); err != nil {
				errs = append(errs, fmt.Errorf("kb: %w", err))
			}
		}
		f.Must = append(f.Must, index.MatchAnyKeyword("kb", q.KBs...))
	}
	if q.OnlyKBs {
		f.MustNot = append(f.MustNot, index.IsEmpty("kb"))
	}
	for _, c := range []struct{ key, v string }{{"actor", q.Actor}, {"action", q.Action}} {
		if c.v == "" {
			continue
		}
		if !utf8.ValidString(c.v) || len(c.v) > maxAuditField {
			errs = append(errs, fmt.Errorf("%s must be valid UTF-8 of at most %d bytes", c.key, maxAuditField))
		}
		f.Must = append(f.Must, index.MatchKeyword(c.key, c.v))
	}
	if !q.Since.IsZero() || !q.Until.IsZero() {
		if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
			errs = append(errs, fmt.Errorf("until %s is not after since %s",
				q.Until.Format(time.RFC3339Nano), q.Since.Format(time.RFC3339Nano)))
		}
		f.Must = append(f.Must, index.TimeRange("at", index.DatetimeRange{Gte: q.Since, Lt: q.Until}))
	}
	if len(errs) > 0 {
		return AuditPage{}, fmt.Errorf("%w: %w", ErrInvalidAudit, errors.Join(errs...))
	}
	page, err := index.ScrollDocs[AuditEntry](ctx, a.store, AuditCollection, index.ScrollRequest{
		Filter: f, Limit: limit, Cursor: q.Cursor,
		OrderBy: &index.OrderBy{Key: "at", Direction: index.Desc},
	})
	if errors.Is(err, index.ErrBadCursor) {
		return AuditPage{}, fmt.Errorf("%w: %w", ErrInvalidAudit, err)
	}
	if err != nil {
		return AuditPage{}, fmt.Errorf("listing audit entries: %w", err)
	}
	return AuditPage{Entries: page.Docs, Next: page.Next}, nil
}
