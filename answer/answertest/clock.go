package answertest

import (
	"sync"
	"time"
)

// Clock is a settable clock, safe for concurrent use: pass its Now where
// a component takes a clock (answer.Options.Now, curate.Options.Now, the
// HTTP server's options) and move it with Advance.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Start is where NewClock starts: a fixed instant, so tests are repeatable.
var Start = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// NewClock returns a clock at Start.
func NewClock() *Clock { return &Clock{t: Start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
