package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// Config configures the HTTP server (the server.* keys).
type Config struct {
	// Addr is the listen address (server.addr). Default "127.0.0.1:8080".
	Addr string `mapstructure:"addr"`
	// ReadTimeout bounds reading a request (server.read_timeout). Default 10s.
	ReadTimeout time.Duration `mapstructure:"read_timeout"`
	// WriteTimeout bounds writing a response (server.write_timeout). Default 30s.
	WriteTimeout time.Duration `mapstructure:"write_timeout"`
	// BodyLimit is the largest request body in bytes (server.body_limit). Default 1 MiB.
	BodyLimit int `mapstructure:"body_limit"`
	// AdminKey is a bootstrap admin API key (server.admin_key). Default "". Secret.
	AdminKey Secret `mapstructure:"admin_key"`
	// RateLimit is the sustained requests/s each customer API key may make
	// on customer routes (server.rate_limit). Default 20; 0 turns limiting off.
	RateLimit float64 `mapstructure:"rate_limit"`
	// RateBurst is how many requests a customer key may make at once above
	// the sustained rate (server.rate_burst). Default 40.
	RateBurst int `mapstructure:"rate_burst"`
	// RequestTimeout bounds the work of one API request (server.request_timeout). Default 15s.
	RequestTimeout time.Duration `mapstructure:"request_timeout"`
	// ImportBodyLimit is the largest article import body in bytes (server.import_body_limit). Default 32 MiB.
	ImportBodyLimit int `mapstructure:"import_body_limit"`
	// ShutdownTimeout bounds waiting for in-flight requests at shutdown (server.shutdown_timeout). Default 15s.
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	// Metrics is who may read /metrics on server.addr (server.metrics):
	// public (default: Prometheus scrapes without a key), admin (an admin
	// key) or off. Metrics name no customer data, but they show traffic.
	Metrics string `mapstructure:"metrics"`
	// MetricsAddr, when set, serves /metrics on this address instead, for
	// a scraper on an internal network (server.metrics_addr). Default "".
	MetricsAddr string `mapstructure:"metrics_addr"`
	// StaffRateLimit is the sustained requests/s each agent, editor or
	// admin key may make on the customer routes (server.staff_rate_limit).
	// Default 50; 0 turns it off. Limits are per process (per replica).
	StaffRateLimit float64 `mapstructure:"staff_rate_limit"`
	// StaffRateBurst is the burst above it (server.staff_rate_burst). Default 100.
	StaffRateBurst int `mapstructure:"staff_rate_burst"`
	// WidgetAddrRateLimit is the sustained requests/s one client address
	// may make with widget keys (server.widget_addr_rate_limit). Default
	// 5; 0 turns it off. The address is the TCP peer's: behind a reverse
	// proxy every customer shares the proxy's.
	WidgetAddrRateLimit float64 `mapstructure:"widget_addr_rate_limit"`
	// WidgetAddrRateBurst is the burst above it (server.widget_addr_rate_burst). Default 30.
	WidgetAddrRateBurst int `mapstructure:"widget_addr_rate_burst"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		ReadTimeout:     10 * time.Second,
		WriteTimeout:    30 * time.Second,
		BodyLimit:       1 << 20,
		RateLimit:       20,
		RateBurst:       40,
		RequestTimeout:  15 * time.Second,
		ImportBodyLimit: 32 << 20,
		ShutdownTimeout: 15 * time.Second,
		Metrics:         MetricsPublic,

		StaffRateLimit:      50,
		StaffRateBurst:      100,
		WidgetAddrRateLimit: 5,
		WidgetAddrRateBurst: 30,
	}
}

// Validate checks every value, naming its key.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("server.addr: must not be empty"))
	}
	if c.ReadTimeout <= 0 {
		errs = append(errs, fmt.Errorf("server.read_timeout: %s must be positive", c.ReadTimeout))
	}
	if c.WriteTimeout <= 0 {
		errs = append(errs, fmt.Errorf("server.write_timeout: %s must be positive", c.WriteTimeout))
	}
	if c.BodyLimit < 1024 {
		errs = append(errs, fmt.Errorf("server.body_limit: %d must be at least 1024", c.BodyLimit))
	}
	if c.RateLimit < 0 || math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) {
		errs = append(errs, fmt.Errorf("server.rate_limit: %g must be a finite number ≥ 0 (0 turns rate limiting off)", c.RateLimit))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("server.request_timeout: %s must be positive", c.RequestTimeout))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("server.shutdown_timeout: %s must be positive", c.ShutdownTimeout))
	}
	if c.ImportBodyLimit < c.BodyLimit {
		errs = append(errs, fmt.Errorf("server.import_body_limit: %d must be at least server.body_limit (%d)", c.ImportBodyLimit, c.BodyLimit))
	}
	if c.RateBurst < 1 {
		errs = append(errs, fmt.Errorf("server.rate_burst: %d must be at least 1", c.RateBurst))
	}
	if c.Metrics != MetricsPublic && c.Metrics != MetricsAdmin && c.Metrics != MetricsOff {
		errs = append(errs, fmt.Errorf("server.metrics: %q must be public, admin or off", c.Metrics))
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.Addr {
		errs = append(errs, fmt.Errorf("server.metrics_addr: %q is server.addr; leave it empty to serve /metrics there", c.MetricsAddr))
	}
	if c.StaffRateLimit < 0 || math.IsNaN(c.StaffRateLimit) || math.IsInf(c.StaffRateLimit, 0) {
		errs = append(errs, fmt.Errorf("server.staff_rate_limit: %g must be a finite number ≥ 0 (0 turns it off)", c.StaffRateLimit))
	}
	if c.StaffRateBurst < 1 {
		errs = append(errs, fmt.Errorf("server.staff_rate_burst: %d must be at least 1", c.StaffRateBurst))
	}
	if c.WidgetAddrRateLimit < 0 || math.IsNaN(c.WidgetAddrRateLimit) || math.IsInf(c.WidgetAddrRateLimit, 0) {
		errs = append(errs, fmt.Errorf("server.widget_addr_rate_limit: %g must be a finite number ≥ 0 (0 turns it off)", c.WidgetAddrRateLimit))
	}
	if c.WidgetAddrRateBurst < 1 {
		errs = append(errs, fmt.Errorf("server.widget_addr_rate_burst: %d must be at least 1", c.WidgetAddrRateBurst))
	}
	return errors.Join(errs...)
}

// Who may read /metrics on server.addr.
const (
	MetricsPublic = "public"
	MetricsAdmin  = "admin"
	MetricsOff    = "off"
)

// Secret is a string that never prints: fmt, slog and `config show` redact it.
type Secret string

func (Secret) String() string { return "[redacted]" }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }
