package answer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jieda/jieda/answer/egress"
	"github.com/jieda/jieda/index"
)

// SettingsCollection holds one payload-only point per knowledge base with its Settings.
const SettingsCollection = "kb_settings"

// Thresholds are the confidence cut-offs of the decision.
type Thresholds struct {
	// Answer is the least confidence at which the top article is returned.
	Answer float64 `json:"answer"`
	// Clarify is the least probability that the right article is among
	// the top three at which they are offered as "did you mean" instead
	// of a handoff.
	Clarify float64 `json:"clarify"`
	// OutOfScope: below it a handoff says out_of_scope, above it low_confidence.
	OutOfScope float64 `json:"out_of_scope"`
	// ClarifyRatio: the runner-up is "close" when its score is at least
	// this share of the top score.
	ClarifyRatio float64 `json:"clarify_ratio"`
}

// DefaultThresholds are what a new knowledge base starts with.
func DefaultThresholds() Thresholds {
	return Thresholds{Answer: 0.85, Clarify: 0.95, OutOfScope: 0.15, ClarifyRatio: 0.80}
}

// Validate checks the thresholds are probabilities in a sensible order.
func (t Thresholds) Validate() error {
	for _, v := range []struct {
		name string
		x    float64
	}{{"answer", t.Answer}, {"clarify", t.Clarify}, {"out_of_scope", t.OutOfScope}, {"clarify_ratio", t.ClarifyRatio}} {
		if math.IsNaN(v.x) || v.x < 0 || v.x > 1 {
			return fmt.Errorf("threshold %s = %v must lie in [0, 1]", v.name, v.x)
		}
	}
	if t.Answer == 0 {
		return errors.New("threshold answer must be above 0")
	}
	if t.OutOfScope > t.Answer {
		return fmt.Errorf("threshold out_of_scope (%v) must not exceed answer (%v)", t.OutOfScope, t.Answer)
	}
	return nil
}

// Webhook is where a KB's handoffs are delivered.
type Webhook struct {
	URL string `json:"url,omitempty"`
	// Secret signs each delivery (HMAC-SHA256); it is never returned by the API.
	Secret string `json:"secret,omitempty"`
}

// Settings are one knowledge base's own configuration.
type Settings struct {
	KB string `json:"kb"`
	// Thresholds apply to every category without its own.
	Thresholds Thresholds `json:"thresholds"`
	// Categories overrides thresholds per article category (stricter for
	// refunds, payments, promotions…).
	Categories map[string]Thresholds `json:"categories,omitempty"`
	// Calibration maps retrieval features to a probability; nil uses DefaultCalibration.
	Calibration *Calibration `json:"calibration,omitempty"`
	// SelfCalibration describes the KB's last self-calibration (what it
	// fitted on, its held-out ECE), which applies when Calibration is
	// nil. It is read-only: jieda keeps it apart (SettingsStore.PutSelf),
	// so that a calibration running in the background never overwrites
	// settings an editor saves meanwhile.
	SelfCalibration *SelfCalibration `json:"self_calibration,omitempty"`
	selfCal         *Calibration
	// Autonomy is how far the KB answers on its own (auto, suggest,
	// graduated; "" is DefaultAutonomy), CategoryAutonomy per category.
	Autonomy         Autonomy            `json:"autonomy,omitempty"`
	CategoryAutonomy map[string]Autonomy `json:"category_autonomy,omitempty"`
	// TargetPrecision is the precision a graduated category must prove
	// (0: DefaultTargetPrecision).
	TargetPrecision float64 `json:"target_precision,omitempty"`
	// evidence is each category's autonomy evidence, kept apart like the
	// self-calibration (see Engine.Autonomy).
	evidence map[string]Evidence
	Webhook  Webhook `json:"webhook,omitzero"`
	// HandoffMessages are what a handoff response tells the customer, by
	// locale (a BCP 47 tag such as zh-TW, or a family: zh-hans, zh-hant,
	// en); missing ones fall back to DefaultHandoffMessages.
	HandoffMessages map[string]string `json:"handoff_messages,omitempty"`
	// MaxQuestionRunes bounds a question's length (0: DefaultMaxQuestionRunes).
	MaxQuestionRunes int       `json:"max_question_runes,omitempty"`
	UpdatedAt        time.Time `json:"updated_at,omitzero"`
}

// DefaultMaxQuestionRunes is the longest question accepted unless a KB says otherwise.
const DefaultMaxQuestionRunes = 500

// DefaultSettings are the settings of a KB nobody configured.
func DefaultSettings(kb string) Settings {
	return Settings{KB: kb, Thresholds: DefaultThresholds(), MaxQuestionRunes: DefaultMaxQuestionRunes}
}

// ThresholdsFor returns the thresholds for an article category. A KB
// answering on its self-calibration whose answer threshold is the default
// answers at the self-calibrated one (SelfCalibration.AnswerThreshold).
func (s *Settings) ThresholdsFor(category string) Thresholds {
	if t, ok := s.Categories[category]; ok {
		return t
	}
	t := s.Thresholds
	if sc := s.SelfCalibration; sc != nil && sc.AnswerThreshold > 0 && t.Answer == DefaultThresholds().Answer &&
		s.Calibration == nil && s.selfCal != nil {
		t.Answer = sc.AnswerThreshold
		t.OutOfScope = min(t.OutOfScope, t.Answer)
	}
	return t
}

// MaxHandoffMessageRunes bounds a handoff message.
const MaxHandoffMessageRunes = 500

// DefaultHandoffMessages are the handoff messages by locale family.
var DefaultHandoffMessages = map[string]string{
	"zh-hans": "这个问题我们请人工客服为您解答，请稍候。",
	"zh-hant": "這個問題我們請人工客服為您解答，請稍候。",
	"en":      "A member of our team will answer this shortly.",
}

// HandoffMessage is the customer-facing message of a handoff for a
// question asked in locale (empty: the question's script decides): the
// KB's message for the locale, then for its family, then the default of
// the family (English when none is known).
func (s *Settings) HandoffMessage(locale, question string) string {
	family := questionFamily(locale, question)
	for _, want := range []string{locale, family} {
		for loc, m := range s.HandoffMessages {
			if want != "" && strings.EqualFold(loc, want) {
				return m
			}
		}
	}
	if m := DefaultHandoffMessages[family]; m != "" {
		return m
	}
	if m := s.HandoffMessages["en"]; m != "" {
		return m
	}
	return DefaultHandoffMessages["en"]
}

// CalibrationOrDefault returns the KB's calibration: the one set in its
// settings (fitted on labeled questions), else the one it fitted itself
// (self-calibration and outcomes), else the shipped default.
func (s *Settings) CalibrationOrDefault() *Calibration {
	if s.Calibration != nil {
		return s.Calibration
	}
	if s.selfCal != nil {
		return s.selfCal
	}
	return DefaultCalibration()
}

// SelfCalibrated returns the calibration the KB fitted itself (nil when none).
func (s *Settings) SelfCalibrated() *Calibration { return s.selfCal }

// Validate checks every field.
func (s *Settings) Validate() error {
	var errs []error
	if err := ValidateID(s.KB); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrInvalidKB, err))
	}
	if err := s.Thresholds.Validate(); err != nil {
		errs = append(errs, err)
	}
	for c, t := range s.Categories {
		if err := t.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("category %q: %w", c, err))
		}
	}
	if s.Calibration != nil {
		if err := s.Calibration.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("calibration: %w", err))
		}
	}
	if s.Webhook.URL != "" && (len(s.Webhook.Secret) < MinWebhookSecret || len(s.Webhook.Secret) > 256) {
		errs = append(errs, fmt.Errorf("webhook secret must be %d to 256 bytes (it signs every delivery)", MinWebhookSecret))
	}
	if s.Webhook.URL != "" {
		u, err := url.Parse(s.Webhook.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("webhook url %q must be an absolute http(s) URL", s.Webhook.URL))
		}
	}
	if !s.Autonomy.Valid() {
		errs = append(errs, fmt.Errorf("autonomy %q must be auto, suggest or graduated", s.Autonomy))
	}
	for c, a := range s.CategoryAutonomy {
		if a == "" || !a.Valid() {
			errs = append(errs, fmt.Errorf("category_autonomy[%q] %q must be auto, suggest or graduated", c, a))
		}
	}
	if math.IsNaN(s.TargetPrecision) || s.TargetPrecision < 0 || s.TargetPrecision >= 1 {
		errs = append(errs, fmt.Errorf("target_precision %v must lie in [0, 1)", s.TargetPrecision))
	}
	if !s.Autonomy.Valid() {
		errs = append(errs, fmt.Errorf("autonomy %q must be auto, suggest or graduated", s.Autonomy))
	}
	for c, a := range s.CategoryAutonomy {
		if a == "" || !a.Valid() {
			errs = append(errs, fmt.Errorf("category_autonomy[%q] %q must be auto, suggest or graduated", c, a))
		}
	}
	if math.IsNaN(s.TargetPrecision) || s.TargetPrecision < 0 || s.TargetPrecision >= 1 {
		errs = append(errs, fmt.Errorf("target_precision %v must lie in [0, 1)", s.TargetPrecision))
	}
	for loc, m := range s.HandoffMessages {
		if loc == "" || len(loc) > 35 || !utf8.ValidString(m) || strings.TrimSpace(m) == "" || utf8.RuneCountInString(m) > MaxHandoffMessageRunes {
			errs = append(errs, fmt.Errorf("handoff_messages[%q] must be a locale and a non-empty text of at most %d characters", loc, MaxHandoffMessageRunes))
		}
	}
	if s.MaxQuestionRunes < 0 || s.MaxQuestionRunes > 10000 {
		errs = append(errs, fmt.Errorf("max_question_runes %d must lie in [0, 10000]", s.MaxQuestionRunes))
	}
	return errors.Join(errs...)
}

// MinWebhookSecret is the shortest webhook secret a KB may set.
const MinWebhookSecret = 16

// SettingsStore keeps KB settings in the store, cached in memory for
// the hot path. The cache is refreshed after SettingsTTL so that replicas
// sharing a store see each other's changes.
type SettingsStore struct {
	store index.Store
	now   func() time.Time
	// egress checks webhook URLs (internal destinations are refused).
	egress *egress.Policy
	mu     sync.Mutex
	cache  map[string]cachedSettings
}

type cachedSettings struct {
	s      Settings
	found  bool
	loaded time.Time
}

// SettingsTTL is how long a cached KB setting is trusted.
const SettingsTTL = 5 * time.Second

// NewSettingsStore creates the settings collection when it is missing.
func NewSettingsStore(ctx context.Context, store index.Store) (*SettingsStore, error) {
	if err := index.Ensure(ctx, store, index.CollectionConfig{Name: SettingsCollection, Sparse: true}, map[string]index.FieldType{"kb": index.FieldKeyword}); err != nil {
		return nil, err
	}
	deny, _ := egress.New(nil)
	return &SettingsStore{store: store, now: time.Now, cache: map[string]cachedSettings{}, egress: deny}, nil
}

func settingsPointID(kb string) string {
	return uuid.NewSHA1(pointNamespace, []byte("settings\x00"+kb)).String()
}

// selfPointID is the id of the point holding kb's self-calibration.
func selfPointID(kb string) string {
	return uuid.NewSHA1(pointNamespace, []byte("selfcal\x00"+kb)).String()
}

// selfDoc is a KB's self-calibration as stored beside its settings.
type selfDoc struct {
	Report      *SelfCalibration `json:"report"`
	Calibration *Calibration     `json:"calibration,omitempty"`
}

// Get returns kb's settings and whether any were saved; a KB never
// configured gets DefaultSettings.
func (s *SettingsStore) Get(ctx context.Context, kb string) (Settings, bool, error) {
	s.mu.Lock()
	c, ok := s.cache[kb]
	s.mu.Unlock()
	if ok && s.now().Sub(c.loaded) < SettingsTTL {
		return c.s, c.found, nil
	}
	recs, err := s.store.Get(ctx, SettingsCollection, []string{settingsPointID(kb), selfPointID(kb), autonomyPointID(kb)}, index.With{Payload: true})
	if err != nil {
		return Settings{}, false, fmt.Errorf("reading settings of %s: %w", kb, err)
	}
	c = cachedSettings{s: DefaultSettings(kb), loaded: s.now()}
	var self selfDoc
	var evidence map[string]Evidence
	for _, r := range recs {
		if js, ok := r.Payload["autonomy"].(string); ok {
			if err := json.Unmarshal([]byte(js), &evidence); err != nil {
				return Settings{}, false, fmt.Errorf("decoding the autonomy evidence of %s: %w", kb, err)
			}
			continue
		}
		if js, ok := r.Payload["self"].(string); ok {
			if err := json.Unmarshal([]byte(js), &self); err != nil {
				return Settings{}, false, fmt.Errorf("decoding the self-calibration of %s: %w", kb, err)
			}
			continue
		}
		js, _ := r.Payload["settings"].(string)
		var st Settings
		if err := json.Unmarshal([]byte(js), &st); err != nil {
			return Settings{}, false, fmt.Errorf("decoding settings of %s: %w", kb, err)
		}
		c.s, c.found = st, true
	}
	kb = strings.Clone(kb) // the cache outlives a caller's string, which may alias a reused buffer
	c.s.KB = kb
	c.s.SelfCalibration, c.s.selfCal, c.s.evidence = self.Report, self.Calibration, evidence
	s.mu.Lock()
	s.cache[kb] = c
	s.mu.Unlock()
	return c.s, c.found, nil
}

// Fresh is Get read from the store now, past the cache, for a decision
// that must not rest on another replica's change not yet seen here.
func (s *SettingsStore) Fresh(ctx context.Context, kb string) (Settings, bool, error) {
	s.mu.Lock()
	delete(s.cache, kb)
	s.mu.Unlock()
	return s.Get(ctx, kb)
}

// FreshWebhook is kb's webhook read from the store now, past the cache
// and without touching it: whether a handoff is to be delivered must not
// rest on another replica's change not yet seen here, and asking must not
// cost every question a reload of the settings.
func (s *SettingsStore) FreshWebhook(ctx context.Context, kb string) (Webhook, error) {
	recs, err := s.store.Get(ctx, SettingsCollection, []string{settingsPointID(kb)}, index.With{Payload: true, Fields: []string{"settings"}})
	if err != nil {
		return Webhook{}, fmt.Errorf("reading settings of %s: %w", kb, err)
	}
	if len(recs) == 0 {
		return Webhook{}, nil // never configured
	}
	js, _ := recs[0].Payload["settings"].(string)
	var st struct {
		Webhook Webhook `json:"webhook"`
	}
	if err := json.Unmarshal([]byte(js), &st); err != nil {
		return Webhook{}, fmt.Errorf("decoding settings of %s: %w", kb, err)
	}
	return st.Webhook, nil
}

// PutSelf saves kb's self-calibration (report and calibration; a nil
// calibration leaves the KB on the default) beside its settings.
func (s *SettingsStore) PutSelf(ctx context.Context, kb string, rep *SelfCalibration, cal *Calibration) error {
	if cal != nil {
		if err := cal.Validate(); err != nil {
			return fmt.Errorf("%w: self-calibration: %w", ErrInvalidSettings, err)
		}
	}
	js, err := json.Marshal(selfDoc{Report: rep, Calibration: cal})
	if err != nil {
		return fmt.Errorf("encoding the self-calibration: %w", err)
	}
	p := index.Point{ID: selfPointID(kb), Payload: index.Payload{"self": string(js)}}
	if err := s.store.Upsert(ctx, SettingsCollection, []index.Point{p}); err != nil {
		return fmt.Errorf("saving the self-calibration of %s: %w", kb, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cache[kb]; ok {
		c.s.SelfCalibration, c.s.selfCal = rep, cal
		s.cache[kb] = c
	}
	return nil
}

// Put validates and saves kb's settings.
func (s *SettingsStore) Put(ctx context.Context, st Settings) (Settings, error) {
	st.KB = strings.Clone(st.KB)
	if st.MaxQuestionRunes == 0 {
		st.MaxQuestionRunes = DefaultMaxQuestionRunes
	}
	if err := st.Validate(); err != nil {
		return Settings{}, fmt.Errorf("%w: %w", ErrInvalidSettings, err)
	}
	if st.Webhook.URL != "" {
		if err := s.egress.CheckURL(st.Webhook.URL); err != nil {
			return Settings{}, fmt.Errorf("%w: webhook url: %w", ErrInvalidSettings, err)
		}
	}
	st.UpdatedAt = s.now().UTC().Truncate(time.Second)
	doc := st
	doc.SelfCalibration = nil // kept apart (PutSelf)
	js, err := json.Marshal(doc)
	if err != nil {
		return Settings{}, fmt.Errorf("encoding settings: %w", err)
	}
	p := index.Point{ID: settingsPointID(st.KB), Payload: index.Payload{"kb": st.KB, "settings": string(js)}}
	if err := s.store.Upsert(ctx, SettingsCollection, []index.Point{p}); err != nil {
		return Settings{}, fmt.Errorf("saving settings of %s: %w", st.KB, err)
	}
	s.mu.Lock()
	if c, ok := s.cache[st.KB]; ok {
		st.SelfCalibration, st.selfCal, st.evidence = c.s.SelfCalibration, c.s.selfCal, c.s.evidence
	}
	s.cache[strings.Clone(st.KB)] = cachedSettings{s: st, found: true, loaded: s.now()}
	s.mu.Unlock()
	return st, nil
}

// Ensure saves default settings for kb unless some exist (an import
// makes a KB known).
func (s *SettingsStore) Ensure(ctx context.Context, kb string) error {
	_, found, err := s.Get(ctx, kb)
	if err != nil || found {
		return err
	}
	_, err = s.Put(ctx, DefaultSettings(kb))
	return err
}

// List returns the names of every configured KB.
func (s *SettingsStore) List(ctx context.Context) ([]string, error) {
	var names []string
	cursor := ""
	for {
		page, err := s.store.Scroll(ctx, SettingsCollection, index.ScrollRequest{Limit: 256, Cursor: cursor, With: index.With{Payload: true}})
		if err != nil {
			return nil, fmt.Errorf("listing knowledge bases: %w", err)
		}
		for _, r := range page.Points {
			if kb, ok := r.Payload["kb"].(string); ok {
				names = append(names, kb)
			}
		}
		if page.Next == "" {
			return names, nil
		}
		cursor = page.Next
	}
}

// Replace saves st as kb's settings, keeping what a client cannot send
// back or left out: a webhook given without its secret keeps the stored
// secret; zero thresholds, autonomy, target precision and absent handoff
// messages keep the stored ones. The self-calibration is kept apart and
// never replaced here.
func (s *SettingsStore) Replace(ctx context.Context, st Settings) (Settings, error) {
	old, _, err := s.Get(ctx, st.KB)
	if err != nil {
		return Settings{}, err
	}
	if st.Webhook.Secret == "" && st.Webhook.URL != "" {
		st.Webhook.Secret = old.Webhook.Secret
	}
	if st.Thresholds == (Thresholds{}) {
		st.Thresholds = old.Thresholds
	}
	if st.Autonomy == "" {
		st.Autonomy = old.Autonomy
	}
	if st.CategoryAutonomy == nil {
		st.CategoryAutonomy = old.CategoryAutonomy
	}
	if st.TargetPrecision == 0 {
		st.TargetPrecision = old.TargetPrecision
	}
	if st.HandoffMessages == nil {
		st.HandoffMessages = old.HandoffMessages
	}
	return s.Put(ctx, st)
}
