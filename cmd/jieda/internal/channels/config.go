package channels

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Config tunes the channels' outbox. Keys live under channels.
type Config struct {
	// Timeout bounds one call to a channel's service (posting a message,
	// opening a conversation). Key channels.timeout, default 10s.
	Timeout time.Duration `mapstructure:"timeout"`
	// BackoffBase is the wait after a job's first failure; each further
	// failure doubles it, up to BackoffMax. Key channels.backoff_base,
	// default 2s.
	BackoffBase time.Duration `mapstructure:"backoff_base"`
	// BackoffMax caps the wait between attempts. Key channels.backoff_max,
	// default 2m.
	BackoffMax time.Duration `mapstructure:"backoff_max"`
	// GiveUpAfter is how long a job keeps being retried after it arrived:
	// a reply hours late helps nobody. Key channels.give_up_after,
	// default 1h.
	GiveUpAfter time.Duration `mapstructure:"give_up_after"`
	// ScanInterval is how often the store is scanned for due jobs besides
	// the wake-ups (picks up what another replica left). Key
	// channels.scan_interval, default 30s.
	ScanInterval time.Duration `mapstructure:"scan_interval"`
	// Concurrency is how many conversations are worked on at once. Key
	// channels.concurrency, default 4.
	Concurrency int `mapstructure:"concurrency"`
	// Retention is how long finished jobs and delivery receipts are kept:
	// the window in which a redelivered callback is recognized. Key
	// channels.retention, default 168h.
	Retention time.Duration `mapstructure:"retention"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Timeout:      10 * time.Second,
		BackoffBase:  2 * time.Second,
		BackoffMax:   2 * time.Minute,
		GiveUpAfter:  time.Hour,
		ScanInterval: 30 * time.Second,
		Concurrency:  4,
		Retention:    7 * 24 * time.Hour,
	}
}

// Validate checks every field, naming the key of each bad value.
func (c Config) Validate() error {
	var errs []error
	if c.Timeout <= 0 || c.Timeout > 5*time.Minute {
		errs = append(errs, fmt.Errorf("channels.timeout must lie in (0, 5m], got %v", c.Timeout))
	}
	if c.BackoffBase <= 0 || c.BackoffBase > time.Hour {
		errs = append(errs, fmt.Errorf("channels.backoff_base must lie in (0, 1h], got %v", c.BackoffBase))
	}
	if c.BackoffMax < c.BackoffBase || c.BackoffMax > 24*time.Hour {
		errs = append(errs, fmt.Errorf("channels.backoff_max must lie in [channels.backoff_base, 24h], got %v", c.BackoffMax))
	}
	if c.GiveUpAfter < c.BackoffBase || c.GiveUpAfter > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("channels.give_up_after must lie in [channels.backoff_base, 720h], got %v", c.GiveUpAfter))
	}
	if c.ScanInterval <= 0 || c.ScanInterval > 24*time.Hour {
		errs = append(errs, fmt.Errorf("channels.scan_interval must lie in (0, 24h], got %v", c.ScanInterval))
	}
	if c.Concurrency < 1 || c.Concurrency > 256 {
		errs = append(errs, fmt.Errorf("channels.concurrency must lie in [1, 256], got %d", c.Concurrency))
	}
	if c.Retention < time.Hour || c.Retention > 365*24*time.Hour {
		errs = append(errs, fmt.Errorf("channels.retention must lie in [1h, 8760h], got %v", c.Retention))
	}
	return errors.Join(errs...)
}

// backoff is the wait after the attempt-th consecutive failure (from 1):
// BackoffBase·2^(attempt-1), capped at BackoffMax, less up to a fifth at
// random so that jobs failing together do not retry in lockstep.
func (c Config) backoff(attempt int) time.Duration {
	d := c.BackoffBase
	for i := 1; i < attempt && d < c.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, c.BackoffMax)
	return d - time.Duration(float64(d)*0.2*rand.Float64())
}
