package ratelimit

import (
	"sync"
	"time"
)

// Limiter is a token bucket per key: rate tokens a second, at most burst
// saved up. A bucket that has refilled to the burst is the same as no
// bucket, so buckets are pruned once their number passes pruneAt: callers
// may key on client addresses without the map growing without bound.
type Limiter struct {
	rate, burst float64
	now         func() time.Time
	mu          sync.Mutex
	buckets     map[string]*bucket
	pruneAt     int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a Limiter; now is its clock (nil: time.Now).
func New(rate float64, burst int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: rate, burst: float64(max(burst, 1)), now: now, buckets: map[string]*bucket{}, pruneAt: 4096}
}

// Rate and Burst are the limiter's settings.
func (l *Limiter) Rate() float64 { return l.rate }

// Burst is how many tokens a bucket saves up.
func (l *Limiter) Burst() int { return int(l.burst) }

// Allow takes a token from key's bucket, or says how long until one is there.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.pruneAt {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// prune drops the buckets that have refilled; when most are still in use
// it lets the map grow (doubling pruneAt) rather than prune on every call.
func (l *Limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.pruneAt/2 {
		l.pruneAt *= 2
	}
}
