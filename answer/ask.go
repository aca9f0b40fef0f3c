package answer

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Decision is what jieda does with a question.
type Decision string

// Decisions.
const (
	DecisionAnswer  Decision = "answer"
	DecisionClarify Decision = "clarify"
	DecisionHandoff Decision = "handoff"
)

// AskRequest is one customer question.
type AskRequest struct {
	KB           string            `json:"kb"`
	Question     string            `json:"question"`
	Conversation *Conversation     `json:"conversation,omitempty"`
	Customer     *Customer         `json:"customer,omitempty"`
	Locale       string            `json:"locale,omitempty"`
	Scope        map[string]string `json:"scope,omitempty"`
}

// AnswerBody is the article returned verbatim.
type AnswerBody struct {
	ArticleID  string  `json:"article_id"`
	Question   string  `json:"question"`
	Answer     string  `json:"answer"`
	Category   string  `json:"category,omitempty"`
	Version    int     `json:"version"`
	Confidence float64 `json:"confidence"`
}

// ClarifyOption is one "did you mean" choice.
type ClarifyOption struct {
	ArticleID string `json:"article_id"`
	Question  string `json:"question"`
}

// HandoffRef names the handoff a question went to.
type HandoffRef struct {
	ID     string        `json:"id"`
	Reason HandoffReason `json:"reason"`
}

// ContextUse says whether an earlier turn helped read the question.
type ContextUse struct {
	// Used: the question was read together with PreviousQuestion.
	Used             bool   `json:"used"`
	PreviousQuestion string `json:"previous_question,omitempty"`
	// Resolved is the question as searched.
	Resolved string `json:"resolved,omitempty"`
}

// AskResponse is jieda's reply: exactly one of Answer, Clarify or Handoff is set.
type AskResponse struct {
	Decision       Decision        `json:"decision"`
	Answer         *AnswerBody     `json:"answer,omitempty"`
	ClarifyPrompt  string          `json:"clarify_prompt,omitempty"`
	Clarify        []ClarifyOption `json:"clarify,omitempty"`
	Handoff        *HandoffRef     `json:"handoff,omitempty"`
	Confidence     float64         `json:"confidence"`
	AnswerID       string          `json:"answer_id"`
	ConversationID string          `json:"conversation_id,omitempty"`
	Context        *ContextUse     `json:"context,omitempty"`
}

// Trace is what Ask saw, for evaluation and calibration.
type Trace struct {
	Normalized string
	Candidates []Candidate
	Features   Features
	Intent     Intent
	// TopActive reports whether the top candidate was inside its validity window.
	TopActive bool
}

// KnownKB reports whether kb has settings or articles; unknown KBs get ErrUnknownKB.
func (e *Engine) KnownKB(ctx context.Context, kb string) error {
	if err := ValidateID(kb); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidKB, err)
	}
	e.knownMu.Lock()
	seen, ok := e.known[kb]
	e.knownMu.Unlock()
	if ok && e.now().Sub(seen) < time.Minute {
		return nil
	}
	_, found, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return err
	}
	if !found {
		n, err := e.KB.Count(ctx, kb)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: %s", ErrUnknownKB, kb)
		}
	}
	e.knownMu.Lock()
	e.known[strings.Clone(kb)] = e.now()
	e.knownMu.Unlock()
	return nil
}

// Ask answers one question: an answer, a clarify or a handoff, never nothing.
func (e *Engine) Ask(ctx context.Context, req AskRequest) (*AskResponse, error) {
	resp, _, err := e.AskTrace(ctx, req)
	return resp, err
}

// clarifyPrompts are the "did you mean" lead-ins per language.
var clarifyPrompts = map[string]string{"zh": "您是想问以下哪个问题？", "zh-tw": "您是想問以下哪個問題？", "en": "Did you mean one of these?"}

// AskTrace is Ask that also returns what it saw (for eval and calibrate).
func (e *Engine) AskTrace(ctx context.Context, req AskRequest) (*AskResponse, *Trace, error) {
	if err := e.KnownKB(ctx, req.KB); err != nil {
		return nil, nil, err
	}
	st, _, err := e.Settings.Get(ctx, req.KB)
	if err != nil {
		return nil, nil, err
	}
	if err := validateQuestion(req.Question, st.MaxQuestionRunes); err != nil {
		return nil, nil, err
	}
	if err := validateConversation(req.Conversation, st.MaxQuestionRunes); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidQuestion, err)
	}
	if c := req.Customer; c != nil {
		for name, v := range map[string]string{"customer.id": c.ID, "customer.tier": c.Tier} {
			if !utf8.ValidString(v) || len(v) > 256 {
				return nil, nil, fmt.Errorf("%w: %s must be valid UTF-8 of at most 256 bytes", ErrInvalidQuestion, name)
			}
		}
	}
	norm, err := e.KB.emb.Normalize(req.Question)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidQuestion, err)
	}
	if norm == "" {
		return nil, nil, ErrEmptyQuery
	}
	now := e.now()
	var turns []Turn
	convID := ""
	if c := req.Conversation; c != nil {
		convID = c.ID
		turns = c.Turns
		if len(turns) == 0 && convID != "" {
			if turns, err = e.Conversations.Turns(ctx, req.KB, convID); err != nil {
				return nil, nil, err
			}
		}
	}
	cal := st.CalibrationOrDefault()
	so := e.search
	so.Scope, so.Limit = req.Scope, 10

	tr := &Trace{Normalized: norm, Intent: DetectIntent(req.Question, norm)}
	family := questionFamily(req.Locale, req.Question)
	cands, err := e.KB.Search(ctx, req.KB, req.Question, so)
	if err != nil {
		return nil, nil, err
	}
	cands = preferLocale(cands, family)
	conf := e.confidence(ctx, req.KB, norm, cands, cal, tr)
	var ctxUse *ContextUse
	if prev := lastCustomerQuestion(turns); prev != "" && isFollowUp(norm) {
		joined := prev + " " + req.Question
		jc, err := e.KB.Search(ctx, req.KB, joined, so)
		if err != nil {
			return nil, nil, err
		}
		jc = preferLocale(jc, family)
		jtr := &Trace{Intent: tr.Intent}
		jn, _ := e.KB.emb.Normalize(joined)
		jconf := e.confidence(ctx, req.KB, jn, jc, cal, jtr)
		ctxUse = &ContextUse{PreviousQuestion: prev}
		if jconf > conf {
			cands, conf, tr.Features = jc, jconf, jtr.Features
			ctxUse.Used, ctxUse.Resolved = true, joined
		}
	}
	tr.Candidates = cands

	resp := &AskResponse{AnswerID: NewAnswerID(), ConversationID: convID, Context: ctxUse, Confidence: conf}
	var reason HandoffReason
	var top *Article
	category := ""
	if len(cands) > 0 {
		category = cands[0].Category
	}
	th := st.ThresholdsFor(category)
	switch {
	case tr.Intent.WantsHuman:
		reason = ReasonCustomerRequest
	case tr.Intent.Complaint:
		reason = ReasonComplaint
	case len(cands) == 0:
		reason = ReasonOutOfScope
	default:
		art, err := e.KB.Article(ctx, req.KB, cands[0].ArticleID)
		if err != nil {
			return nil, nil, err
		}
		top = &art
		tr.TopActive = art.ActiveAt(now)
		switch {
		case !tr.TopActive && conf >= th.OutOfScope:
			reason = ReasonExpiredAnswer
		case (conf >= th.Answer || tr.Features["exact"] == 1) && tr.TopActive:
			// An exact match of one of the article's questions (an FAQ link,
			// a clarify choice sent back) is answered whatever the threshold.
			resp.Decision = DecisionAnswer
			resp.Answer = &AnswerBody{ArticleID: art.ID, Question: art.Question, Answer: art.Answer,
				Category: art.Category, Version: art.Version, Confidence: conf}
		case len(cands) > 1 && cands[1].Score >= th.ClarifyRatio*cands[0].Score && cal.ClarifyProbability(tr.Features) >= th.Clarify:
			if lastBotClarified(turns) {
				reason = ReasonAmbiguous
				break
			}
			opts, err := e.clarifyOptions(ctx, req.KB, cands, th, now)
			if err != nil {
				return nil, nil, err
			}
			if len(opts) < 2 {
				reason = ReasonLowConfidence
				break
			}
			resp.Decision = DecisionClarify
			resp.Clarify = opts
			resp.ClarifyPrompt = clarifyPrompt(req.Locale, norm, top.Locale)
		case conf < th.OutOfScope:
			reason = ReasonOutOfScope
		default:
			reason = ReasonLowConfidence
		}
	}
	if reason != "" {
		h := Handoff{
			KB: req.KB, ConversationID: convID, Question: req.Question, Normalized: norm, Locale: req.Locale,
			Category: category, Turns: turns, Candidates: head(cands, 5), Confidence: conf, Reason: reason,
			Sentiment: tr.Intent.Sentiment,
		}
		if req.Customer != nil {
			h.Customer = *req.Customer
		}
		if !isPreview(ctx) {
			if h, err = e.Handoffs.Create(ctx, h); err != nil {
				return nil, nil, fmt.Errorf("creating handoff: %w", err)
			}
			e.notify(h.ID)
		}
		resp.Decision = DecisionHandoff
		resp.Handoff = &HandoffRef{ID: h.ID, Reason: reason}
	}
	if isPreview(ctx) {
		return resp, tr, nil // nothing logged, no conversation saved
	}
	logged := e.scrub(norm)
	ev := Event{ID: resp.AnswerID, KB: req.KB, Normalized: logged, Decision: resp.Decision, Confidence: conf, CreatedAt: now}
	switch {
	case resp.Answer != nil:
		ev.ArticleID = resp.Answer.ArticleID
	case resp.Handoff != nil:
		ev.Reason, ev.HandoffID = string(resp.Handoff.Reason), resp.Handoff.ID
	}
	e.Events.Record(ev)
	if convID != "" {
		turns = append(turns, Turn{Role: "customer", Text: req.Question, At: now},
			Turn{Role: "bot", Text: botText(resp), Decision: resp.Decision, At: now})
		if err := e.Conversations.Save(ctx, req.KB, convID, turns); err != nil {
			return nil, nil, err
		}
	}
	return resp, tr, nil
}

// confidence computes the calibrated confidence of cands' top article.
func (e *Engine) confidence(ctx context.Context, kb, norm string, cands []Candidate, cal *Calibration, tr *Trace) float64 {
	fb := 0.0
	if len(cands) > 0 {
		if c, err := e.Events.Counts(ctx, kb, cands[0].ArticleID); err == nil {
			fb = c.Balance()
		} else {
			e.logger.Warn("reading feedback counts", "kb", kb, "article", cands[0].ArticleID, "err", err)
		}
	}
	tr.Features = ExtractFeatures(norm, cands, fb)
	if len(cands) == 0 {
		return 0
	}
	return cal.Probability(tr.Features)
}

// clarifyOptions are the 2-3 active candidates close to the top one.
func (e *Engine) clarifyOptions(ctx context.Context, kb string, cands []Candidate, th Thresholds, now time.Time) ([]ClarifyOption, error) {
	var opts []ClarifyOption
	for _, c := range head(cands, 3) {
		if c.Score < th.ClarifyRatio*cands[0].Score {
			break
		}
		art, err := e.KB.Article(ctx, kb, c.ArticleID)
		if err != nil {
			return nil, err
		}
		if art.ActiveAt(now) {
			opts = append(opts, ClarifyOption{ArticleID: art.ID, Question: art.Question})
		}
	}
	return opts, nil
}

func clarifyPrompt(locale, norm, articleLocale string) string {
	l := strings.ToLower(cmp.Or(locale, articleLocale))
	switch {
	case strings.HasPrefix(l, "zh-tw"), strings.HasPrefix(l, "zh-hk"), strings.HasPrefix(l, "zh-hant"):
		return clarifyPrompts["zh-tw"]
	case strings.HasPrefix(l, "zh"):
		return clarifyPrompts["zh"]
	case strings.HasPrefix(l, "en"):
		return clarifyPrompts["en"]
	}
	if strings.ContainsFunc(norm, isCJK) {
		return clarifyPrompts["zh"]
	}
	return clarifyPrompts["en"]
}

func isCJK(r rune) bool { return r >= 0x3400 && r <= 0x9fff }

func botText(r *AskResponse) string {
	switch r.Decision {
	case DecisionAnswer:
		return r.Answer.Answer
	case DecisionClarify:
		qs := make([]string, len(r.Clarify))
		for i, o := range r.Clarify {
			qs[i] = o.Question
		}
		return r.ClarifyPrompt + " " + strings.Join(qs, " / ")
	default:
		return "handoff: " + string(r.Handoff.Reason)
	}
}

func head[T any](s []T, n int) []T { return s[:min(n, len(s))] }

// validateQuestion rejects invalid UTF-8 and over-long questions.
func validateQuestion(q string, maxRunes int) error {
	if !utf8.ValidString(q) {
		return fmt.Errorf("%w: question is not valid UTF-8", ErrInvalidQuestion)
	}
	if maxRunes <= 0 {
		maxRunes = DefaultMaxQuestionRunes
	}
	if n := utf8.RuneCountInString(q); n > maxRunes {
		return fmt.Errorf("%w: %d characters, at most %d", ErrQuestionTooLong, n, maxRunes)
	}
	if strings.TrimSpace(q) == "" {
		return ErrEmptyQuery
	}
	return nil
}
