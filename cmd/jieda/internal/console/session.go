package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// SessionsCollection holds one payload-only point per console session.
const SessionsCollection = "console_sessions"

// Session lifetimes unless Options say otherwise.
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultMaxAge      = 12 * time.Hour
	// touchEvery is how stale a session's last-seen time may get before a
	// request writes it again (one write a minute, not one a request).
	touchEvery = time.Minute
)

// session is one signed-in browser.
type session struct {
	id      string // point id: derived from the token, which is never stored
	KeyID   string
	CSRF    string
	Created time.Time
	Seen    time.Time
}

// sessions keeps sessions in the store, so that they survive a restart
// and every replica sharing the store knows them.
type sessions struct {
	store   index.Store
	now     func() time.Time
	idle    time.Duration
	maxAge  time.Duration
	ensured atomic.Bool
}

// namespace is the UUID namespace of session point ids.
var namespace = uuid.MustParse("4f7d7f0e-2b7a-4c43-9d2e-0b6c1f3a9e55")

func sessionPointID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return uuid.NewSHA1(namespace, sum[:]).String()
}

// randomToken is 32 random bytes, base64url.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (st *sessions) ensure(ctx context.Context) error {
	if st.ensured.Load() {
		return nil
	}
	if err := index.Ensure(ctx, st.store, index.CollectionConfig{Name: SessionsCollection, Sparse: true}, map[string]index.FieldType{
		"key_id": index.FieldKeyword, "created_at": index.FieldDatetime, "seen_at": index.FieldDatetime,
	}); err != nil {
		return err
	}
	st.ensured.Store(true)
	return nil
}

// create starts a session for keyID and returns its cookie token. Expired
// sessions are swept on the way.
func (st *sessions) create(ctx context.Context, keyID string) (string, *session, error) {
	if err := st.ensure(ctx); err != nil {
		return "", nil, err
	}
	if err := st.sweep(ctx); err != nil {
		return "", nil, err
	}
	token, err := randomToken()
	if err != nil {
		return "", nil, err
	}
	csrf, err := randomToken()
	if err != nil {
		return "", nil, err
	}
	now := st.now().UTC()
	s := &session{id: sessionPointID(token), KeyID: keyID, CSRF: csrf, Created: now, Seen: now}
	p := index.Payload{
		"key_id": keyID, "csrf": csrf,
		"created_at": now.Format(time.RFC3339Nano), "seen_at": now.Format(time.RFC3339Nano),
	}
	if err := st.store.Upsert(ctx, SessionsCollection, []index.Point{{ID: s.id, Payload: p}}); err != nil {
		return "", nil, fmt.Errorf("storing a console session: %w", err)
	}
	return token, s, nil
}

// get is the live session of token, nil when there is none (unknown,
// idle too long, or too old: those are deleted).
func (st *sessions) get(ctx context.Context, token string) (*session, error) {
	if token == "" {
		return nil, nil
	}
	id := sessionPointID(token)
	recs, err := st.store.Get(ctx, SessionsCollection, []string{id}, index.With{Payload: true})
	if errors.Is(err, index.ErrCollectionNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading a console session: %w", err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	p := recs[0].Payload
	s := &session{id: id}
	s.KeyID, _ = p["key_id"].(string)
	s.CSRF, _ = p["csrf"].(string)
	s.Created = payloadTime(p, "created_at")
	s.Seen = payloadTime(p, "seen_at")
	now := st.now()
	if s.KeyID == "" || s.CSRF == "" || !st.live(s, now) {
		return nil, st.delete(ctx, id)
	}
	if now.Sub(s.Seen) >= touchEvery {
		s.Seen = now.UTC()
		if err := st.store.SetPayload(ctx, SessionsCollection, []string{id}, index.Payload{"seen_at": s.Seen.Format(time.RFC3339Nano)}); err != nil {
			return nil, fmt.Errorf("touching a console session: %w", err)
		}
	}
	return s, nil
}

// live reports whether s is neither idle too long nor too old at now.
func (st *sessions) live(s *session, now time.Time) bool {
	return now.Sub(s.Seen) < st.idle && now.Sub(s.Created) < st.maxAge
}

// expires is when s ends at the latest (its absolute age).
func (st *sessions) expires(s *session) time.Time { return s.Created.Add(st.maxAge) }

// end deletes the session of token (sign-out).
func (st *sessions) end(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return st.delete(ctx, sessionPointID(token))
}

func (st *sessions) delete(ctx context.Context, id string) error {
	err := st.store.Delete(ctx, SessionsCollection, []string{id})
	if err != nil && !errors.Is(err, index.ErrCollectionNotFound) {
		return fmt.Errorf("deleting a console session: %w", err)
	}
	return nil
}

// sweep deletes every session past its idle time or absolute age.
func (st *sessions) sweep(ctx context.Context) error {
	now := st.now()
	f := &index.Filter{Should: []index.Condition{
		index.TimeRange("created_at", index.DatetimeRange{Lte: now.Add(-st.maxAge)}),
		index.TimeRange("seen_at", index.DatetimeRange{Lte: now.Add(-st.idle)}),
	}}
	if err := st.store.DeleteByFilter(ctx, SessionsCollection, f); err != nil {
		return fmt.Errorf("sweeping console sessions: %w", err)
	}
	return nil
}

// checkCSRF compares a submitted token with the session's in constant time.
func (s *session) checkCSRF(got string) error {
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) != 1 {
		return ErrBadCSRF
	}
	return nil
}

func payloadTime(p index.Payload, key string) time.Time {
	s, _ := p[key].(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
