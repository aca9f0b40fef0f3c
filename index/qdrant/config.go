package qdrant

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"time"
)

// Config configures the Qdrant engine. Each field names its config key
// (under `store.qdrant.`) and default.
type Config struct {
	// Addr is the host:port of Qdrant's gRPC API (store.qdrant.addr).
	// Default "localhost:6334".
	Addr string `mapstructure:"addr"`
	// APIKey is sent as the api-key header (store.qdrant.api_key). Default "". Secret.
	APIKey Secret `mapstructure:"api_key"`
	// TLS dials with TLS 1.3 (store.qdrant.tls). Default false.
	TLS bool `mapstructure:"tls"`
	// CollectionPrefix is prepended to every collection name, so several
	// deployments can share one Qdrant (store.qdrant.collection_prefix).
	// Default "jieda_".
	CollectionPrefix string `mapstructure:"collection_prefix"`
	// ShardNumber is the number of shards of new collections
	// (store.qdrant.shard_number). Default 1.
	ShardNumber int `mapstructure:"shard_number"`
	// ReplicationFactor is the number of replicas of each shard of new
	// collections (store.qdrant.replication_factor). Default 1.
	ReplicationFactor int `mapstructure:"replication_factor"`
	// WriteConsistencyFactor is how many replicas must apply a write before
	// it is acknowledged (store.qdrant.write_consistency_factor). Default 1.
	WriteConsistencyFactor int `mapstructure:"write_consistency_factor"`
	// WriteOrdering is Qdrant's write ordering for point writes: weak,
	// medium or strong (store.qdrant.write_ordering). Default "weak".
	WriteOrdering string `mapstructure:"write_ordering"`
	// OnDiskPayload keeps payloads on disk instead of in RAM
	// (store.qdrant.on_disk_payload). Default false.
	OnDiskPayload bool `mapstructure:"on_disk_payload"`
	// Quantization is "" (none) or "int8" (scalar quantization of dense
	// vectors) for new collections (store.qdrant.quantization). Default "".
	Quantization string `mapstructure:"quantization"`
	// HNSWM is the HNSW graph degree of new collections (store.qdrant.hnsw_m).
	// Default 16; 0 builds no graph.
	HNSWM int `mapstructure:"hnsw_m"`
	// HNSWEfConstruct is the HNSW build beam width of new collections
	// (store.qdrant.hnsw_ef_construct). Default 100.
	HNSWEfConstruct int `mapstructure:"hnsw_ef_construct"`
	// Timeout bounds each gRPC call attempt (store.qdrant.timeout). Default 10s.
	Timeout time.Duration `mapstructure:"timeout"`
	// Retries is how many times a call failing with a transient gRPC code
	// (Unavailable, DeadlineExceeded, ResourceExhausted, Aborted) is retried,
	// with exponential backoff (store.qdrant.retries). Default 3.
	Retries int `mapstructure:"retries"`
}

// Secret is a string that never prints: fmt and slog redact it.
type Secret string

func (Secret) String() string { return "[redacted]" }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Addr:                   "localhost:6334",
		CollectionPrefix:       "jieda_",
		ShardNumber:            1,
		ReplicationFactor:      1,
		WriteConsistencyFactor: 1,
		WriteOrdering:          "weak",
		HNSWM:                  16,
		HNSWEfConstruct:        100,
		Timeout:                10 * time.Second,
		Retries:                3,
	}
}

var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{0,64}$`)

// Validate checks every field and names the offending key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("store.qdrant.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, _, err := splitAddr(c.Addr); err != nil {
		bad("addr", "%v", err)
	}
	if !prefixPattern.MatchString(c.CollectionPrefix) {
		bad("collection_prefix", "%q must be at most 64 characters of [A-Za-z0-9_-]", c.CollectionPrefix)
	}
	if c.ShardNumber < 1 || c.ShardNumber > 1024 {
		bad("shard_number", "%d must be in [1, 1024]", c.ShardNumber)
	}
	if c.ReplicationFactor < 1 || c.ReplicationFactor > 64 {
		bad("replication_factor", "%d must be in [1, 64]", c.ReplicationFactor)
	}
	if c.WriteConsistencyFactor < 1 || c.WriteConsistencyFactor > c.ReplicationFactor {
		bad("write_consistency_factor", "%d must be in [1, replication_factor=%d]", c.WriteConsistencyFactor, c.ReplicationFactor)
	}
	if _, ok := writeOrderings[c.WriteOrdering]; !ok {
		bad("write_ordering", "%q must be weak, medium or strong", c.WriteOrdering)
	}
	if c.Quantization != "" && c.Quantization != "int8" {
		bad("quantization", "%q must be \"\" or \"int8\"", c.Quantization)
	}
	if c.HNSWM < 0 || c.HNSWM > 512 {
		bad("hnsw_m", "%d must be in [0, 512]", c.HNSWM)
	}
	if c.HNSWEfConstruct < 4 || c.HNSWEfConstruct > 4096 {
		bad("hnsw_ef_construct", "%d must be in [4, 4096]", c.HNSWEfConstruct)
	}
	if c.Timeout <= 0 {
		bad("timeout", "%s must be positive", c.Timeout)
	}
	if c.Retries < 0 || c.Retries > 10 {
		bad("retries", "%d must be in [0, 10]", c.Retries)
	}
	return errors.Join(errs...)
}

// splitAddr parses host:port.
func splitAddr(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if host == "" {
		return "", 0, fmt.Errorf("%q has no host", addr)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("%q: port must be in [1, 65535]", addr)
	}
	return host, port, nil
}
