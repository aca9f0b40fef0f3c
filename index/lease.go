package index

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Lease is a time-bounded claim on one point, kept in the point's payload
// under Name+"_until" (an RFC 3339 time) and Name+"_by" (the holder's
// random token), so processes sharing a store (replicas on one Qdrant)
// agree on who holds it. Their clocks must agree to well within the
// lease's length.
type Lease struct {
	Name, Token string
	Until       time.Time
}

// TakeLease claims the point id for ttl, when the point matches cond and
// no unexpired lease of this name holds it, in one SetPayloadWhere; it
// then reads the point back and reports whether this caller holds it.
func TakeLease(ctx context.Context, s Store, collection, id, name string, cond []Condition, now time.Time, ttl time.Duration) (Lease, bool, error) {
	l := Lease{Name: name, Token: uuid.NewString(), Until: now.Add(ttl).UTC()}
	until, by := name+"_until", name+"_by"
	f := &Filter{Must: append([]Condition{HasID(id)}, cond...)}
	f.Must = append(f.Must, LeaseFree(name, now))
	if err := s.SetPayloadWhere(ctx, collection, f, Payload{until: l.Until.Format(time.RFC3339Nano), by: l.Token}); err != nil {
		return l, false, fmt.Errorf("taking lease %s on %s: %w", name, id, err)
	}
	recs, err := s.Get(ctx, collection, []string{id}, With{Payload: true})
	if err != nil {
		return l, false, fmt.Errorf("reading lease %s on %s: %w", name, id, err)
	}
	if len(recs) == 0 {
		return l, false, nil
	}
	holder, _ := recs[0].Payload[by].(string)
	return l, holder == l.Token, nil
}

// ReleaseLease ends a lease the caller holds; when it expired and another
// took the point since, that one's lease stays.
func ReleaseLease(ctx context.Context, s Store, collection, id string, l Lease) error {
	f := &Filter{Must: []Condition{HasID(id), MatchKeyword(l.Name+"_by", l.Token)}}
	if err := s.SetPayloadWhere(ctx, collection, f, LeaseCleared(l.Name)); err != nil {
		return fmt.Errorf("releasing lease %s on %s: %w", l.Name, id, err)
	}
	return nil
}

// LeaseFree matches the points no unexpired lease of this name holds at now.
func LeaseFree(name string, now time.Time) Condition {
	until := name + "_until"
	return Nested(Filter{Should: []Condition{IsEmpty(until), TimeRange(until, DatetimeRange{Lt: now})}})
}

// LeaseCleared is the payload that clears a lease of this name, for a
// write that ends it along with other changes.
func LeaseCleared(name string) Payload {
	return Payload{name + "_until": nil, name + "_by": nil}
}
