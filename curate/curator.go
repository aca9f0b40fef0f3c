package curate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate/pii"
	"github.com/jieda/jieda/index"
)

// Collections curation keeps in the store.
const (
	// ItemsCollection holds one payload-only point per resolved reply taken
	// in (scrubbed), kept or dropped, keyed by its idempotency key.
	ItemsCollection = "curate_items"
	// CandidatesCollection holds the review queue: one point per cluster of
	// candidates, with the dense and lexical vectors of its representative question.
	CandidatesCollection = "curate_clusters"
)

// Config tunes how candidates are matched to the KB and clustered.
type Config struct {
	// VariantConfidence: a candidate whose question the KB already answers
	// with this calibrated confidence becomes a suggested variant of that
	// article (key curate.variant_confidence, default 0.8).
	VariantConfidence float64 `mapstructure:"variant_confidence"`
	// ReplyMatch: an agent reply this similar (character-bigram Dice) to an
	// article's answer says the question belongs to that article
	// (curate.reply_match, default 0.6).
	ReplyMatch float64 `mapstructure:"reply_match"`
	// ClusterSimilarity: a new question joins the nearest pending cluster
	// when their cosine is at least this (curate.cluster_similarity, default 0.9).
	ClusterSimilarity float64 `mapstructure:"cluster_similarity"`
	// SuppressSimilarity: a candidate this close to a rejected cluster's
	// question is suppressed (curate.suppress_similarity, default 0.92).
	SuppressSimilarity float64 `mapstructure:"suppress_similarity"`
	// MaxQuestions bounds the member questions a cluster keeps (curate.max_questions, default 200).
	MaxQuestions int `mapstructure:"max_questions"`
	// PII configures the scrubber (curate.pii.*).
	PII pii.Config `mapstructure:"pii"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{VariantConfidence: 0.8, ReplyMatch: 0.6, ClusterSimilarity: 0.9, SuppressSimilarity: 0.92, MaxQuestions: 200, PII: pii.DefaultConfig()}
}

// Validate checks every value, naming its key.
func (c Config) Validate() error {
	var errs []error
	for _, v := range []struct {
		key string
		x   float64
	}{{"variant_confidence", c.VariantConfidence}, {"reply_match", c.ReplyMatch}, {"cluster_similarity", c.ClusterSimilarity}, {"suppress_similarity", c.SuppressSimilarity}} {
		if math.IsNaN(v.x) || v.x <= 0 || v.x > 1 {
			errs = append(errs, fmt.Errorf("%w: curate.%s = %v must lie in (0, 1]", ErrInvalidConfig, v.key, v.x))
		}
	}
	if c.MaxQuestions < 1 || c.MaxQuestions > answer.MaxVariants {
		errs = append(errs, fmt.Errorf("%w: curate.max_questions = %d must lie in [1, %d]", ErrInvalidConfig, c.MaxQuestions, answer.MaxVariants))
	}
	if err := c.PII.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("curate.pii: %w", err))
	}
	return errors.Join(errs...)
}

// Curator turns resolved agent replies into reviewed knowledge: intake
// (gates, PII scrubbing), matching against the KB, clustering, the review
// queue and promotion. It is safe for concurrent use.
type Curator struct {
	eng    *answer.Engine
	store  index.Store
	scrub  *pii.Scrubber
	cfg    Config
	logger *slog.Logger
	now    func() time.Time

	locksMu sync.Mutex
	locks   map[string]*sync.Mutex // per KB: cluster assignment

	// History records every article change as a revision (as the
	// engine's change observer); Audit records editor and admin actions.
	History *History
	Audit   *Audit

	kbt kbThresholds
}

// Options are a Curator's collaborators.
type Options struct {
	// Logger receives the curator's logs (nil: discarded).
	Logger *slog.Logger
	// History records article revisions. It should be the engine's
	// change observer (answer.Options.OnChange = History.RecordChanges),
	// so that every article write gets a revision; nil: New makes one.
	History *History
	// Scrubber removes personal data from what curation keeps; it should
	// be the engine's answer-log scrubber too. Nil: one from Config.PII.
	Scrubber *pii.Scrubber
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// New creates the collections curation needs and returns a Curator over eng.
func New(ctx context.Context, eng *answer.Engine, cfg Config, o Options) (*Curator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Scrubber == nil {
		var err error
		if o.Scrubber, err = pii.New(cfg.PII); err != nil {
			return nil, err
		}
	}
	store := eng.Library.Store()
	for _, c := range []struct {
		cfg    index.CollectionConfig
		fields map[string]index.FieldType
	}{
		{index.CollectionConfig{Name: ItemsCollection, Sparse: true}, map[string]index.FieldType{
			"kb": index.FieldKeyword, "status": index.FieldKeyword, "reason": index.FieldKeyword,
			"cluster_id": index.FieldKeyword, "created_at": index.FieldDatetime,
		}},
		{index.CollectionConfig{Name: SettingsCollection, Sparse: true}, nil},
		{index.CollectionConfig{Name: SourcesCollection, Sparse: true}, map[string]index.FieldType{"name": index.FieldKeyword}},
		{index.CollectionConfig{Name: RunsCollection, Sparse: true}, map[string]index.FieldType{"kb": index.FieldKeyword, "status": index.FieldKeyword}},
		{index.CollectionConfig{Name: CandidatesCollection, Dim: eng.Library.Dimension(), Sparse: true}, map[string]index.FieldType{
			"kb": index.FieldKeyword, "status": index.FieldKeyword, "kind": index.FieldKeyword, "article_id": index.FieldKeyword,
			"impact": index.FieldInteger, "updated_at": index.FieldDatetime, "run": index.FieldKeyword,
			decideLease + "_until": index.FieldDatetime, decideLease + "_by": index.FieldKeyword,
		}},
	} {
		if err := index.Ensure(ctx, store, c.cfg, c.fields); err != nil {
			return nil, err
		}
	}
	hist := o.History
	if hist == nil {
		var err error
		if hist, err = NewHistory(ctx, store); err != nil {
			return nil, err
		}
	}
	audit, err := NewAudit(ctx, store)
	if err != nil {
		return nil, err
	}
	audit.now = o.Now
	return &Curator{eng: eng, store: store, scrub: o.Scrubber, cfg: cfg, logger: o.Logger, now: o.Now,
		locks: map[string]*sync.Mutex{}, History: hist, Audit: audit, kbt: kbThresholds{cache: map[string]cachedThresholds{}}}, nil
}

// kbLock serializes cluster assignment within one KB.
func (c *Curator) kbLock(kb string) *sync.Mutex {
	c.locksMu.Lock()
	defer c.locksMu.Unlock()
	m := c.locks[kb]
	if m == nil {
		m = &sync.Mutex{}
		c.locks[strings.Clone(kb)] = m
	}
	return m
}

// Scrub replaces personal data in text with typed placeholders.
func (c *Curator) Scrub(text string) string { return c.scrub.Scrub(text).Text }
