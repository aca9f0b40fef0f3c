package embedded

import (
	"cmp"
	"errors"
	"fmt"
)

// Config configures the embedded engine. Keys live under store.embedded.
type Config struct {
	// Path is the data directory holding the database file and the saved
	// HNSW graphs. Key store.path (shared with the CLI's --data flag, so
	// not under store.embedded), default "data".
	Path string `mapstructure:"-"`
	// ExactBelow is the collection size under which dense search is an exact
	// scan; at and above it an HNSW graph answers (0: always the graph).
	// Key store.embedded.exact_below, default 5000.
	ExactBelow int `mapstructure:"exact_below"`
	// HNSWM is the graph's neighbours per node. Key store.embedded.hnsw_m,
	// default 16.
	HNSWM int `mapstructure:"hnsw_m"`
	// HNSWEfConstruction is the candidate list size while inserting. Key
	// store.embedded.hnsw_ef_construction, default 200.
	HNSWEfConstruction int `mapstructure:"hnsw_ef_construction"`
	// HNSWEfSearch is the candidate list size while searching (raised to the
	// result size when that is larger) in collections of up to 200,000
	// vectors; in larger ones it grows with the square root of the size
	// (2.24 times this at a million), as recall at a fixed size falls. It can
	// change without rebuilding a saved graph. Key
	// store.embedded.hnsw_ef_search, default 128.
	HNSWEfSearch int `mapstructure:"hnsw_ef_search"`
	// MaxPending bounds the dense vectors of a collection that wait for the
	// background indexer (upserted, visible to queries through an exact
	// scan, not yet linked into the HNSW graph). An Upsert arriving while
	// max(MaxPending, ExactBelow) or more are pending waits until the
	// indexer brings them below, so queries never scan more than about
	// that many vectors exactly (0: the default). Key
	// store.embedded.max_pending, default 50000.
	MaxPending int `mapstructure:"max_pending"`
	// FloatCacheMB is the memory, in MiB, up to which a collection also
	// keeps its dense vectors in full precision in memory (beside the
	// int8 index; on amd64 with a half copy for scans, 6 bytes a value
	// in all): exact scores then skip the database, and a collection
	// under exact_below is searched by scanning them. A collection that
	// grows past it drops them until it is opened again below it (0: never
	// keep them). Key store.embedded.float_cache_mb, default 192 (about
	// 87,000 vectors of 384 dimensions).
	FloatCacheMB int `mapstructure:"float_cache_mb"`
	// NoPopulate maps the database file's pages on first touch instead of
	// all at Open (Linux's MAP_POPULATE, which reads the whole file into
	// memory when it is not cached yet). Key store.embedded.no_populate,
	// default false.
	NoPopulate bool `mapstructure:"no_populate"`
	// NoSync skips fsync on commit: a crash can lose or corrupt acknowledged
	// writes. For benchmarks only. Key store.embedded.no_sync, default false.
	NoSync bool `mapstructure:"no_sync"`
}

// Defaults of Config fields whose zero value means something else.
const (
	DefaultMaxPending   = 50_000
	DefaultFloatCacheMB = 192
)

// mmapFlags are the database's mmap flags.
func (c Config) mmapFlags() int {
	if c.NoPopulate {
		return 0
	}
	return populateFlag
}

// floatBytes is the memory up to which a collection keeps full vectors.
func (c Config) floatBytes() int { return c.FloatCacheMB << 20 }

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Path:               "data",
		ExactBelow:         5000,
		HNSWM:              16,
		HNSWEfConstruction: 200,
		HNSWEfSearch:       128,
		MaxPending:         DefaultMaxPending,
		FloatCacheMB:       DefaultFloatCacheMB,
	}
}

// maxPending is the pending-vector count at which Upsert waits.
func (c Config) maxPending() int {
	return max(cmp.Or(c.MaxPending, DefaultMaxPending), c.ExactBelow, 1)
}

// Validate checks every field, naming the key of each bad value.
func (c Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("store.path must not be empty"))
	}
	if c.ExactBelow < 0 {
		errs = append(errs, fmt.Errorf("store.embedded.exact_below must be >= 0, got %d", c.ExactBelow))
	}
	if c.HNSWM < 2 || c.HNSWM > 256 {
		errs = append(errs, fmt.Errorf("store.embedded.hnsw_m must be in [2, 256], got %d", c.HNSWM))
	}
	if c.HNSWEfConstruction < 1 || c.HNSWEfConstruction > 10000 {
		errs = append(errs, fmt.Errorf("store.embedded.hnsw_ef_construction must be in [1, 10000], got %d", c.HNSWEfConstruction))
	}
	if c.HNSWEfSearch < 1 || c.HNSWEfSearch > 10000 {
		errs = append(errs, fmt.Errorf("store.embedded.hnsw_ef_search must be in [1, 10000], got %d", c.HNSWEfSearch))
	}
	if c.FloatCacheMB < 0 || c.FloatCacheMB > 1<<20 {
		errs = append(errs, fmt.Errorf("store.embedded.float_cache_mb must be in [0, %d], got %d", 1<<20, c.FloatCacheMB))
	}
	if c.MaxPending < 0 {
		errs = append(errs, fmt.Errorf("store.embedded.max_pending must be >= 0, got %d", c.MaxPending))
	}
	return errors.Join(errs...)
}
