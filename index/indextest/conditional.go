package indextest

import (
	"sync"
	"time"

	"github.com/jieda/jieda/index"
)

// testSetPayloadWhere: only the points matching the filter change; no
// filter is refused.
func testSetPayloadWhere(e *env) {
	name := e.collection("setwhere", 2, false)
	e.upsert(name,
		index.Point{ID: id(1), Dense: []float32{1, 0}, Payload: index.Payload{"state": "pending", "n": 1}},
		index.Point{ID: id(2), Dense: []float32{0, 1}, Payload: index.Payload{"state": "done", "n": 2}},
		index.Point{ID: id(3), Dense: []float32{1, 1}, Payload: index.Payload{"state": "pending", "n": 3}},
	)
	e.must(e.s.SetPayloadWhere(e.ctx, name, &index.Filter{Must: []index.Condition{
		index.HasID(id(1), id(2)), index.MatchKeyword("state", "pending")}}, index.Payload{"state": "taken", "by": "a"}))
	got, err := e.s.Get(e.ctx, name, ids(1, 2, 3), index.With{Payload: true})
	e.must(err)
	e.diff("after SetPayloadWhere", []index.Record{
		{ID: id(1), Payload: e.payload(index.Payload{"state": "taken", "n": 1, "by": "a"})},
		{ID: id(2), Payload: e.payload(index.Payload{"state": "done", "n": 2})},
		{ID: id(3), Payload: e.payload(index.Payload{"state": "pending", "n": 3})},
	}, got)
	e.wantErr("SetPayloadWhere without a filter", e.s.SetPayloadWhere(e.ctx, name, nil, index.Payload{"x": 1}), index.ErrInvalidArgument)
}

// testLeases: of many callers racing for one point's lease exactly one
// gets it; it is refused while held, taken again once released or
// expired, and never taken where the condition fails.
func testLeases(e *env) {
	name := e.collection("leases", 2, false)
	e.upsert(name,
		index.Point{ID: id(1), Dense: []float32{1, 0}, Payload: index.Payload{"state": "pending"}},
		index.Point{ID: id(2), Dense: []float32{0, 1}, Payload: index.Payload{"state": "done"}},
	)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	pending := []index.Condition{index.MatchKeyword("state", "pending")}
	const racers = 8
	var wg sync.WaitGroup
	won := make(chan index.Lease, racers)
	for range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, ok, err := index.TakeLease(e.ctx, e.s, name, id(1), "work", pending, now, time.Minute)
			if err != nil {
				e.Errorf("TakeLease: %v", err)
			}
			if ok {
				won <- l
			}
		}()
	}
	wg.Wait()
	close(won)
	var holders []index.Lease
	for l := range won {
		holders = append(holders, l)
	}
	if len(holders) != 1 {
		e.Fatalf("%d of %d racing callers hold the lease, want exactly 1", len(holders), racers)
	}
	held := holders[0]
	if _, ok, err := index.TakeLease(e.ctx, e.s, name, id(1), "work", pending, now.Add(59*time.Second), time.Minute); err != nil || ok {
		e.Errorf("a lease taken while held: %v, %v", ok, err)
	}
	if _, ok, err := index.TakeLease(e.ctx, e.s, name, id(2), "work", pending, now, time.Minute); err != nil || ok {
		e.Errorf("a lease on a point failing the condition: %v, %v", ok, err)
	}
	// Expired: another takes it; the first one's release leaves it alone.
	next, ok, err := index.TakeLease(e.ctx, e.s, name, id(1), "work", pending, now.Add(61*time.Second), time.Minute)
	if err != nil || !ok {
		e.Fatalf("an expired lease was not taken: %v, %v", ok, err)
	}
	e.must(index.ReleaseLease(e.ctx, e.s, name, id(1), held))
	if _, ok, _ := index.TakeLease(e.ctx, e.s, name, id(1), "work", pending, now.Add(62*time.Second), time.Minute); ok {
		e.Error("a stale holder's release freed the new holder's lease")
	}
	e.must(index.ReleaseLease(e.ctx, e.s, name, id(1), next))
	if _, ok, err := index.TakeLease(e.ctx, e.s, name, id(1), "work", pending, now.Add(63*time.Second), time.Minute); err != nil || !ok {
		e.Errorf("a released lease was not taken: %v, %v", ok, err)
	}
}
