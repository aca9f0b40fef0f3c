package qdrant

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
}

func TestConfigValidateNamesKeys(t *testing.T) {
	for _, tc := range []struct {
		key    string
		mutate func(*Config)
	}{
		{"addr", func(c *Config) { c.Addr = "" }},
		{"addr", func(c *Config) { c.Addr = "localhost" }},
		{"addr", func(c *Config) { c.Addr = "localhost:0" }},
		{"addr", func(c *Config) { c.Addr = "localhost:70000" }},
		{"addr", func(c *Config) { c.Addr = ":6334" }},
		{"collection_prefix", func(c *Config) { c.CollectionPrefix = "bad prefix" }},
		{"collection_prefix", func(c *Config) { c.CollectionPrefix = strings.Repeat("p", 65) }},
		{"shard_number", func(c *Config) { c.ShardNumber = 0 }},
		{"replication_factor", func(c *Config) { c.ReplicationFactor = 0 }},
		{"write_consistency_factor", func(c *Config) { c.WriteConsistencyFactor = 0 }},
		{"write_consistency_factor", func(c *Config) { c.ReplicationFactor, c.WriteConsistencyFactor = 2, 3 }},
		{"write_ordering", func(c *Config) { c.WriteOrdering = "eventual" }},
		{"quantization", func(c *Config) { c.Quantization = "binary" }},
		{"hnsw_m", func(c *Config) { c.HNSWM = -1 }},
		{"hnsw_ef_construct", func(c *Config) { c.HNSWEfConstruct = 3 }},
		{"timeout", func(c *Config) { c.Timeout = 0 }},
		{"retries", func(c *Config) { c.Retries = -1 }},
		{"retries", func(c *Config) { c.Retries = 11 }},
	} {
		c := DefaultConfig()
		tc.mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "store.qdrant."+tc.key+":") {
			t.Errorf("%s: Validate() = %v, want an error naming store.qdrant.%s", tc.key, err, tc.key)
		}
	}
}

func TestConfigValidateAccepts(t *testing.T) {
	for _, mutate := range []func(*Config){
		func(c *Config) { c.Addr = "[::1]:6334" },
		func(c *Config) { c.Addr = "qdrant.internal:443"; c.TLS = true; c.APIKey = "k" },
		func(c *Config) { c.CollectionPrefix = "" },
		func(c *Config) { c.Quantization = "int8"; c.OnDiskPayload = true },
		func(c *Config) { c.ShardNumber, c.ReplicationFactor, c.WriteConsistencyFactor = 6, 3, 2 },
		func(c *Config) { c.WriteOrdering = "strong" },
		func(c *Config) { c.HNSWM = 0 },
		func(c *Config) { c.Retries = 0; c.Timeout = time.Millisecond },
	} {
		c := DefaultConfig()
		mutate(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", c, err)
		}
	}
}

func TestSecretRedacted(t *testing.T) {
	c := DefaultConfig()
	c.APIKey = "s3cret"
	if s := fmt.Sprintf("%v %+v %s", c, c, c.APIKey); strings.Contains(s, "s3cret") {
		t.Errorf("fmt printed the API key: %s", s)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "api_key", c.APIKey, "cfg", c)
	if strings.Contains(buf.String(), "s3cret") {
		t.Errorf("slog printed the API key: %s", buf.String())
	}
}
