package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/channels"
	"github.com/jieda/jieda/cmd/jieda/internal/httpapi"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/embed"
)

// envPrefix prefixes every environment variable: embed.model_dir is JIEDA_EMBED_MODEL_DIR.
const envPrefix = "JIEDA"

// defaultConfigFile is read when --config is not given and it exists.
const defaultConfigFile = "jieda.yaml"

// Config is the whole effective configuration. Each package owns its part.
type Config struct {
	Server httpapi.Config `mapstructure:"server"`
	Log    LogConfig      `mapstructure:"log"`
	Embed  embed.Config   `mapstructure:"embed"`
	Store  StoreConfig    `mapstructure:"store"`
	// Answer tunes answering (answer.*).
	Answer AnswerConfig `mapstructure:"answer"`
	// Curate tunes curation (curate.*).
	Curate curate.Config `mapstructure:"curate"`
	// Webhook tunes handoff webhook delivery (webhook.*).
	Webhook answer.WebhookConfig `mapstructure:"webhook"`
	// Channels tunes the channels' outbox (channels.*).
	Channels channels.Config `mapstructure:"channels"`
	// ModelsDir is where model directories live (models_dir). Default "models".
	ModelsDir string `mapstructure:"models_dir"`
}

// AnswerConfig tunes answering.
type AnswerConfig struct {
	// HandoffsPerMinute bounds the new handoffs of one API key (a widget
	// key: of one client address), with a burst of as many; over it a
	// question is 429. 0 is unbounded (answer.handoffs_per_minute).
	// Default 30. Per replica.
	HandoffsPerMinute float64 `mapstructure:"handoffs_per_minute"`
	// LexiconRefresh bounds how long an article change made by another
	// replica on a shared store takes to reach this replica's reranking
	// term statistics (answer.lexicon_refresh). Default 2m.
	LexiconRefresh time.Duration `mapstructure:"lexicon_refresh"`
	// SelfCalibrate lets a KB calibrate itself in the background when it
	// is imported or changes materially (answer.self_calibrate). False
	// leaves it to `jieda calibrate --self` and POST /v1/kbs/{kb}/calibrate.
	// Default true.
	SelfCalibrate bool `mapstructure:"self_calibrate"`
}

// LogConfig configures logging.
type LogConfig struct {
	// Level is debug, info, warn or error (log.level). Default info.
	Level string `mapstructure:"level"`
	// Format is text or json (log.format). Default text.
	Format string `mapstructure:"format"`
}

// DefaultConfig returns every default.
func DefaultConfig() Config {
	return Config{
		Server:    httpapi.DefaultConfig(),
		Log:       LogConfig{Level: "info", Format: "text"},
		Answer:    AnswerConfig{HandoffsPerMinute: 30, LexiconRefresh: 2 * time.Minute, SelfCalibrate: true},
		Embed:     embed.DefaultConfig(),
		Store:     defaultStoreConfig(),
		Webhook:   answer.DefaultWebhookConfig(),
		Channels:  channels.DefaultConfig(),
		Curate:    curate.DefaultConfig(),
		ModelsDir: "models",
	}
}

// Validate checks every value, naming the key of each bad one.
func (c Config) Validate() error {
	var errs []error
	if err := c.Server.Validate(); err != nil {
		errs = append(errs, err)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		errs = append(errs, fmt.Errorf("log.level: %q must be debug, info, warn or error", c.Log.Level))
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		errs = append(errs, fmt.Errorf("log.format: %q must be text or json", c.Log.Format))
	}
	if h := c.Answer.HandoffsPerMinute; h < 0 || h > 1e6 || h != h {
		errs = append(errs, fmt.Errorf("answer.handoffs_per_minute: %g must lie in [0, 1e6] (0: unbounded)", h))
	}
	if r := c.Answer.LexiconRefresh; r < time.Second || r > time.Hour {
		errs = append(errs, fmt.Errorf("answer.lexicon_refresh: %v must lie in [1s, 1h]", r))
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
	if err := c.Channels.Validate(); err != nil {
		errs = append(errs, err)
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
