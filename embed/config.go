package embed

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Config configures the embedding engine. Each field names its config key
// (under `embed.`) and default.
type Config struct {
	// ModelDir is the model directory (embed.model_dir). Default "": the
	// first usable of models/<catalog default> and models/builtin.
	ModelDir string `mapstructure:"model_dir"`
	// ORTLib is the ONNX Runtime shared library (embed.onnxruntime_lib,
	// env JIEDA_ORT_LIB). Default "": .cache/onnxruntime/current/libonnxruntime.so.1.
	ORTLib string `mapstructure:"onnxruntime_lib"`
	// Threads is the intra-op thread count of the live (query) sessions
	// together, shared out among the lanes (embed.threads). Default 0:
	// one per CPU.
	Threads int `mapstructure:"threads"`
	// LiveLanes is how many live sessions run question batches side by
	// side, each on its share of Threads (embed.live_lanes). A question
	// that arrives while one lane runs a batch starts at once on an idle
	// lane instead of waiting for that batch. Default 0: one lane per
	// thread, at most MaxAutoLanes.
	LiveLanes int `mapstructure:"live_lanes"`
	// BulkThreads is the intra-op thread count of the bulk (indexing)
	// session (embed.bulk_threads). Default 0: one per CPU.
	BulkThreads int `mapstructure:"bulk_threads"`
	// MaxBatch caps how many live texts run in one forward pass (embed.max_batch). Default 32.
	MaxBatch int `mapstructure:"max_batch"`
	// MaxWait is how long the live batcher waits for more callers once it
	// has work (embed.max_wait). Default 1ms; 0 runs whatever is queued at once.
	MaxWait time.Duration `mapstructure:"max_wait"`
	// BulkBatch is the forward-pass batch size for passages (embed.bulk_batch). Default 32.
	BulkBatch int `mapstructure:"bulk_batch"`
	// CacheSize is the number of query vectors kept in the LRU cache
	// (embed.cache_size). Default 10000; 0 disables the cache.
	CacheSize int `mapstructure:"cache_size"`
	// MaxRunes is the normalizer's length limit in characters (embed.max_runes). Default 4096.
	MaxRunes int `mapstructure:"max_runes"`
	// Sparse configures the lexical encoder (embed.sparse.*).
	Sparse SparseConfig `mapstructure:"sparse"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		MaxBatch:  32,
		MaxWait:   time.Millisecond,
		BulkBatch: 32,
		CacheSize: 10000,
		MaxRunes:  DefaultMaxRunes,
		Sparse:    DefaultSparseConfig(),
	}
}

// Validate checks every field and names the offending key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("embed.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.Threads < 0 || c.Threads > 1024 {
		bad("threads", "%d must be in [0, 1024]", c.Threads)
	}
	if c.LiveLanes < 0 || c.LiveLanes > 64 {
		bad("live_lanes", "%d must be in [0, 64]", c.LiveLanes)
	}
	if c.BulkThreads < 0 || c.BulkThreads > 1024 {
		bad("bulk_threads", "%d must be in [0, 1024]", c.BulkThreads)
	}
	if c.MaxBatch < 1 || c.MaxBatch > 1024 {
		bad("max_batch", "%d must be in [1, 1024]", c.MaxBatch)
	}
	if c.MaxWait < 0 || c.MaxWait > time.Second {
		bad("max_wait", "%s must be in [0, 1s]", c.MaxWait)
	}
	if c.BulkBatch < 1 || c.BulkBatch > 1024 {
		bad("bulk_batch", "%d must be in [1, 1024]", c.BulkBatch)
	}
	if c.CacheSize < 0 {
		bad("cache_size", "%d must not be negative", c.CacheSize)
	}
	if c.MaxRunes < 1 {
		bad("max_runes", "%d must be positive", c.MaxRunes)
	}
	if err := c.Sparse.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c Config) threads() int {
	if c.Threads > 0 {
		return c.Threads
	}
	return runtime.NumCPU()
}

// MaxAutoLanes caps the lanes embed.live_lanes: 0 picks. Each lane is a
// session of its own with its own copy of the model's weights.
const MaxAutoLanes = 4

// laneThreads is the intra-op thread count of each live lane: threads()
// shared out as evenly as it goes, at least one each.
func (c Config) laneThreads() []int {
	threads := c.threads()
	lanes := c.LiveLanes
	if lanes == 0 {
		lanes = min(threads, MaxAutoLanes)
	}
	out := make([]int, lanes)
	for i := range out {
		out[i] = 1
		if threads > lanes {
			out[i] = threads / lanes
			if i < threads%lanes {
				out[i]++
			}
		}
	}
	return out
}

func (c Config) bulkThreads() int {
	if c.BulkThreads > 0 {
		return c.BulkThreads
	}
	return runtime.NumCPU()
}
