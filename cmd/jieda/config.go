package main

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/embed"
)

// envPrefix prefixes every environment variable: embed.model_dir is JIEDA_EMBED_MODEL_DIR.
const envPrefix = "JIEDA"

// defaultConfigFile is read when --config is not given and it exists.
const defaultConfigFile = "jieda.yaml"

// Config is the whole effective configuration. Each package owns its part.
type Config struct {
	Server ServerConfig `mapstructure:"server"`
	Log    LogConfig    `mapstructure:"log"`
	Embed  embed.Config `mapstructure:"embed"`
	Store  StoreConfig  `mapstructure:"store"`
	// Curate tunes curation (curate.*).
	Curate curate.Config `mapstructure:"curate"`
	// Webhook tunes handoff webhook delivery (webhook.*).
	Webhook answer.WebhookConfig `mapstructure:"webhook"`
	// ModelsDir is where model directories live (models_dir). Default "models".
	ModelsDir string `mapstructure:"models_dir"`
}

// ServerConfig configures the HTTP server.
type ServerConfig struct {
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
}

// LogConfig configures logging.
type LogConfig struct {
	// Level is debug, info, warn or error (log.level). Default info.
	Level string `mapstructure:"level"`
	// Format is text or json (log.format). Default text.
	Format string `mapstructure:"format"`
}

// Secret is a string that never prints: fmt, slog and `config show` redact it.
type Secret string

func (Secret) String() string { return "[redacted]" }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// DefaultConfig returns every default.
func DefaultConfig() Config {
	return Config{
		Server: ServerConfig{
			Addr:         "127.0.0.1:8080",
			ReadTimeout:  10 * time.Second,
			WriteTimeout: 30 * time.Second,
			BodyLimit:    1 << 20,
			RateLimit:    20,
			RateBurst:    40,

			RequestTimeout:  15 * time.Second,
			ImportBodyLimit: 32 << 20,
			ShutdownTimeout: 15 * time.Second,
		},
		Log:       LogConfig{Level: "info", Format: "text"},
		Embed:     embed.DefaultConfig(),
		Store:     defaultStoreConfig(),
		Webhook:   answer.DefaultWebhookConfig(),
		Curate:    curate.DefaultConfig(),
		ModelsDir: "models",
	}
}

// Validate checks every value, naming the key of each bad one.
func (c Config) Validate() error {
	var errs []error
	if c.Server.Addr == "" {
		errs = append(errs, errors.New("server.addr: must not be empty"))
	}
	if c.Server.ReadTimeout <= 0 {
		errs = append(errs, fmt.Errorf("server.read_timeout: %s must be positive", c.Server.ReadTimeout))
	}
	if c.Server.WriteTimeout <= 0 {
		errs = append(errs, fmt.Errorf("server.write_timeout: %s must be positive", c.Server.WriteTimeout))
	}
	if c.Server.BodyLimit < 1024 {
		errs = append(errs, fmt.Errorf("server.body_limit: %d must be at least 1024", c.Server.BodyLimit))
	}
	if c.Server.RateLimit < 0 || math.IsNaN(c.Server.RateLimit) || math.IsInf(c.Server.RateLimit, 0) {
		errs = append(errs, fmt.Errorf("server.rate_limit: %g must be a finite number ≥ 0 (0 turns rate limiting off)", c.Server.RateLimit))
	}
	if c.Server.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("server.request_timeout: %s must be positive", c.Server.RequestTimeout))
	}
	if c.Server.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("server.shutdown_timeout: %s must be positive", c.Server.ShutdownTimeout))
	}
	if c.Server.ImportBodyLimit < c.Server.BodyLimit {
		errs = append(errs, fmt.Errorf("server.import_body_limit: %d must be at least server.body_limit (%d)", c.Server.ImportBodyLimit, c.Server.BodyLimit))
	}
	if c.Server.RateBurst < 1 {
		errs = append(errs, fmt.Errorf("server.rate_burst: %d must be at least 1", c.Server.RateBurst))
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		errs = append(errs, fmt.Errorf("log.level: %q must be debug, info, warn or error", c.Log.Level))
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		errs = append(errs, fmt.Errorf("log.format: %q must be text or json", c.Log.Format))
	}
	if c.ModelsDir == "" {
		errs = append(errs, errors.New("models_dir: must not be empty"))
	}
	if err := c.Embed.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Store.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Curate.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Webhook.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("webhook: %w", err))
	}
	return errors.Join(errs...)
}

// loadConfig builds the effective config: defaults < file < JIEDA_* env < flags.
// flags maps config keys to the command's flags that set them.
func loadConfig(path string, flags map[string]*pflag.Flag) (Config, string, error) {
	v := viper.New()
	def := DefaultConfig()
	keys := configKeys(reflect.TypeOf(def), "")
	for key, val := range flatten(def) {
		v.SetDefault(key, val)
	}
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	for _, key := range keys {
		if err := v.BindEnv(key); err != nil {
			return Config{}, "", err
		}
	}
	used := ""
	if path == "" {
		if _, err := os.Stat(defaultConfigFile); err == nil {
			path = defaultConfigFile
		}
	}
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return Config{}, "", fmt.Errorf("reading config %s: %w", path, err)
		}
		used = path
		for _, key := range v.AllKeys() {
			if !slices.Contains(keys, key) && !isParentKey(key, keys) {
				return Config{}, "", fmt.Errorf("config %s: unknown key %q", path, key)
			}
		}
	}
	for key, f := range flags {
		if err := v.BindPFlag(key, f); err != nil {
			return Config{}, "", err
		}
	}
	var c Config
	err := v.Unmarshal(&c, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToSliceHookFunc(","),
		)
	})
	if err != nil {
		return Config{}, "", fmt.Errorf("invalid config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, "", fmt.Errorf("invalid config: %w", err)
	}
	return c, used, nil
}

func isParentKey(key string, keys []string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// configKeys lists the dotted keys of every leaf field of a config struct.
func configKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + tag
		if f.Type.Kind() == reflect.Struct {
			keys = append(keys, configKeys(f.Type, key+".")...)
			continue
		}
		keys = append(keys, key)
	}
	return keys
}

// flatten maps each dotted key of a config struct to its value.
func flatten(c any) map[string]any {
	out := map[string]any{}
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := range t.NumField() {
			tag := strings.Split(t.Field(i).Tag.Get("mapstructure"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fv := v.Field(i)
			if fv.Kind() == reflect.Struct {
				walk(fv, prefix+tag+".")
				continue
			}
			out[prefix+tag] = fv.Interface()
		}
	}
	walk(reflect.ValueOf(c), "")
	return out
}
