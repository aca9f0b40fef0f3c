package httpapi

import (
	"testing"
	"time"
)

func TestRateLimiterBucket(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	l := newRateLimiter(4, 2, func() time.Time { return now })
	for range 2 {
		if ok, _ := l.allow("k"); !ok {
			t.Fatal("burst refused")
		}
	}
	ok, wait := l.allow("k")
	if ok || wait != 250*time.Millisecond {
		t.Errorf("empty bucket: %v, wait %s; want refused, 250ms", ok, wait)
	}
	now = now.Add(time.Hour) // refills only up to the burst
	for i := range 3 {
		if ok, _ := l.allow("k"); ok != (i < 2) {
			t.Errorf("after a long pause, request %d: %v", i, ok)
		}
	}
}
