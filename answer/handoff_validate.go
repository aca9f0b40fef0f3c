package answer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// validate checks what a caller gives Create.
func (h *Handoff) validate() error {
	var errs []error
	if err := ValidateID(h.KB); err != nil {
		errs = append(errs, fmt.Errorf("kb: %w", err))
	}
	if strings.TrimSpace(h.Question) == "" {
		errs = append(errs, errors.New("question must not be empty"))
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"question", h.Question, maxHandoffText},
		{"normalized", h.Normalized, maxHandoffText},
		{"conversation_id", h.ConversationID, maxHandoffField},
		{"locale", h.Locale, maxHandoffField},
		{"category", h.Category, maxHandoffField},
		{"customer.id", h.Customer.ID, maxHandoffField},
		{"customer.tier", h.Customer.Tier, maxHandoffField},
	} {
		if err := checkText(f.v, f.max); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	if len(h.Turns) > maxHandoffTurns {
		errs = append(errs, fmt.Errorf("%d turns, at most %d", len(h.Turns), maxHandoffTurns))
	} else {
		for i, t := range h.Turns {
			switch t.Role {
			case RoleCustomer, RoleBot, RoleAgent:
			default:
				errs = append(errs, fmt.Errorf("turn %d: role %q must be customer, bot or agent", i, t.Role))
			}
			if err := checkText(t.Text, maxHandoffText); err != nil {
				errs = append(errs, fmt.Errorf("turn %d: %w", i, err))
			}
		}
	}
	if len(h.Candidates) > maxHandoffCandidates {
		errs = append(errs, fmt.Errorf("%d candidates, at most %d", len(h.Candidates), maxHandoffCandidates))
	}
	if !(h.Confidence >= 0 && h.Confidence <= 1) {
		errs = append(errs, fmt.Errorf("confidence %v must lie in [0, 1]", h.Confidence))
	}
	if !(h.Sentiment >= -1 && h.Sentiment <= 1) {
		errs = append(errs, fmt.Errorf("sentiment %v must lie in [-1, 1]", h.Sentiment))
	}
	if !slices.Contains(HandoffReasons, h.Reason) {
		errs = append(errs, fmt.Errorf("unknown reason %q", h.Reason))
	}
	if h.Priority < 0 || h.Priority > MaxHandoffPriority {
		errs = append(errs, fmt.Errorf("priority %d must lie in [0, %d]", h.Priority, MaxHandoffPriority))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidHandoff, errors.Join(errs...))
	}
	return nil
}

// validate checks what a caller gives Resolve.
func (r *Resolution) validate() error {
	var errs []error
	if strings.TrimSpace(r.Reply) == "" {
		errs = append(errs, errors.New("reply must not be empty"))
	}
	if err := checkText(r.Reply, maxHandoffText); err != nil {
		errs = append(errs, fmt.Errorf("reply: %w", err))
	} else if n := utf8.RuneCountInString(r.Reply); n > MaxAnswerRunes {
		// A reply may become an article's answer: it is held to that limit.
		errs = append(errs, fmt.Errorf("reply: %d characters, at most %d", n, MaxAnswerRunes))
	}
	if err := checkText(r.Agent, maxHandoffField); err != nil {
		errs = append(errs, fmt.Errorf("agent: %w", err))
	}
	if r.CSAT != nil && (*r.CSAT < 1 || *r.CSAT > 5) {
		errs = append(errs, fmt.Errorf("csat %d must lie in [1, 5]", *r.CSAT))
	}
	switch r.Suggestion {
	case "", SuggestionAccepted, SuggestionEdited, SuggestionRejected:
	default:
		errs = append(errs, fmt.Errorf("suggestion %q must be accepted, edited or rejected", r.Suggestion))
	}
	if r.ArticleID != "" {
		if r.NoAnswer {
			errs = append(errs, errors.New("article_id and no_answer exclude each other"))
		}
		if err := ValidateID(r.ArticleID); err != nil {
			errs = append(errs, fmt.Errorf("article_id: %w", err))
		}
	}
	if err := checkText(r.By, maxHandoffField); err != nil {
		errs = append(errs, fmt.Errorf("by: %w", err))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidHandoff, errors.Join(errs...))
	}
	return nil
}

// checkText requires valid UTF-8 of at most max bytes.
func checkText(s string, max int) error {
	if !utf8.ValidString(s) {
		return errors.New("invalid UTF-8")
	}
	if len(s) > max {
		return fmt.Errorf("%d bytes, at most %d", len(s), max)
	}
	return nil
}
