package curate

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// SettingsCollection holds each KB's curation thresholds.
const SettingsCollection = "curate_settings"

// Thresholds are the matching and clustering cut-offs of one KB; a zero
// value falls back to the server's Config. VariantConfidence is on the
// scale of the KB's calibrated answer confidence, so it follows the KB's
// calibration (jieda calibrate).
type Thresholds struct {
	VariantConfidence  float64 `json:"variant_confidence,omitempty"`
	ReplyMatch         float64 `json:"reply_match,omitempty"`
	ClusterSimilarity  float64 `json:"cluster_similarity,omitempty"`
	SuppressSimilarity float64 `json:"suppress_similarity,omitempty"`
}

// Validate checks each set value lies in (0, 1].
func (t Thresholds) Validate() error {
	for name, x := range map[string]float64{"variant_confidence": t.VariantConfidence, "reply_match": t.ReplyMatch,
		"cluster_similarity": t.ClusterSimilarity, "suppress_similarity": t.SuppressSimilarity} {
		if math.IsNaN(x) || x < 0 || x > 1 {
			return fmt.Errorf("%w: %s = %v must lie in (0, 1] (0: the server default)", ErrInvalidAction, name, x)
		}
	}
	return nil
}

// over fills t's zero values from cfg.
func (t Thresholds) over(cfg Config) Thresholds {
	pick := func(v, d float64) float64 {
		if v > 0 {
			return v
		}
		return d
	}
	return Thresholds{
		VariantConfidence:  pick(t.VariantConfidence, cfg.VariantConfidence),
		ReplyMatch:         pick(t.ReplyMatch, cfg.ReplyMatch),
		ClusterSimilarity:  pick(t.ClusterSimilarity, cfg.ClusterSimilarity),
		SuppressSimilarity: pick(t.SuppressSimilarity, cfg.SuppressSimilarity),
	}
}

// kbThresholds caches per-KB thresholds for a few seconds (replicas see
// each other's changes after that).
type kbThresholds struct {
	mu    sync.Mutex
	cache map[string]cachedThresholds
}

type cachedThresholds struct {
	t  Thresholds
	at time.Time
}

func thresholdsPointID(kb string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("curate-settings\x00"+kb)).String()
}

// Thresholds returns kb's stored thresholds (zero values: the defaults).
func (c *Curator) Thresholds(ctx context.Context, kb string) (Thresholds, error) {
	c.kbt.mu.Lock()
	ct, ok := c.kbt.cache[kb]
	c.kbt.mu.Unlock()
	if ok && c.now().Sub(ct.at) < 5*time.Second {
		return ct.t, nil
	}
	recs, err := c.store.Get(ctx, SettingsCollection, []string{thresholdsPointID(kb)}, index.With{Payload: true})
	if err != nil {
		return Thresholds{}, fmt.Errorf("reading curation thresholds: %w", err)
	}
	var t Thresholds
	if len(recs) == 1 {
		js, _ := recs[0].Payload["thresholds"].(string)
		if err := json.Unmarshal([]byte(js), &t); err != nil {
			return Thresholds{}, fmt.Errorf("decoding curation thresholds of %s: %w", kb, err)
		}
	}
	c.kbt.mu.Lock()
	c.kbt.cache[strings.Clone(kb)] = cachedThresholds{t: t, at: c.now()}
	c.kbt.mu.Unlock()
	return t, nil
}

// SetThresholds stores kb's thresholds.
func (c *Curator) SetThresholds(ctx context.Context, kb string, t Thresholds) error {
	if err := t.Validate(); err != nil {
		return err
	}
	js, err := json.Marshal(t)
	if err != nil {
		return err
	}
	p := index.Point{ID: thresholdsPointID(kb), Payload: index.Payload{"kb": kb, "thresholds": string(js)}}
	if err := c.store.Upsert(ctx, SettingsCollection, []index.Point{p}); err != nil {
		return fmt.Errorf("saving curation thresholds: %w", err)
	}
	c.kbt.mu.Lock()
	c.kbt.cache[strings.Clone(kb)] = cachedThresholds{t: t, at: c.now()}
	c.kbt.mu.Unlock()
	return nil
}

// effective is kb's thresholds with the defaults filled in.
func (c *Curator) effective(ctx context.Context, kb string) (Thresholds, error) {
	t, err := c.Thresholds(ctx, kb)
	if err != nil {
		return Thresholds{}, err
	}
	return t.over(c.cfg), nil
}

// Defaults are the server-wide thresholds a KB's zero values fall back to.
func (c *Curator) Defaults() Thresholds { return Thresholds{}.over(c.cfg) }
