package ratelimit

import (
	"strconv"
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	l := New(4, 2, func() time.Time { return now })
	for range 2 {
		if ok, _ := l.Allow("k"); !ok {
			t.Fatal("burst refused")
		}
	}
	ok, wait := l.Allow("k")
	if ok || wait != 250*time.Millisecond {
		t.Errorf("empty bucket: %v, wait %s; want refused, 250ms", ok, wait)
	}
	if ok, _ := l.Allow("other"); !ok {
		t.Error("another key shares the first one's bucket")
	}
	now = now.Add(time.Hour) // refills only up to the burst
	for i := range 3 {
		if ok, _ := l.Allow("k"); ok != (i < 2) {
			t.Errorf("after a long pause, request %d: %v", i, ok)
		}
	}
}

// Refilled buckets are pruned; buckets in use keep their state.
func TestPrune(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	l := New(1, 1, func() time.Time { return now })
	l.pruneAt = 8
	l.Allow("busy")
	for i := range 100 {
		now = now.Add(2 * time.Second)
		l.Allow("addr-" + strconv.Itoa(i))
		if ok, _ := l.Allow("busy"); !ok {
			t.Fatalf("busy key refused after a refill (request %d)", i)
		}
	}
	if len(l.buckets) > 16 {
		t.Errorf("%d buckets kept after 100 one-off keys; want them pruned", len(l.buckets))
	}
	if ok, _ := l.Allow("busy"); ok {
		t.Error("the busy key's bucket was pruned while empty")
	}
}
