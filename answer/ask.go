package answer

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
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
	// Principal names who asks (the API key's id), set by the HTTP layer:
	// the labels one principal gives (a clarify option sent back) are
	// capped (MaxLabelsPerCustomer).
	Principal string `json:"-"`
	// HandoffBucket is what this question's new handoff counts against
	// (Options.HandoffsPerMinute), set by the HTTP layer: "" uses the
	// Principal (a widget key, shared by a site's visitors, counts per
	// client address instead).
	HandoffBucket string `json:"-"`
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
	// Continued: the conversation's open handoff took the question (the
	// agents see it in its turns) rather than a new one.
	Continued bool `json:"continued,omitempty"`
	// Message is what a client shows the customer meanwhile, in their
	// locale (Settings.HandoffMessage).
	Message string `json:"message,omitempty"`
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
	Decision Decision `json:"decision"`
	// Reason is why, machine-readable: exact_match or confident for an
	// answer, close_candidates for a clarify, the handoff's reason.
	Reason         Reason          `json:"reason"`
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
		n, err := e.Library.Count(ctx, kb)
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

// AskTrace is Ask that also returns what it saw (for eval and calibrate):
// the question is checked, its candidates retrieved and scored (retrieve),
// decided on (Decide, a pure function), and the reply recorded: a handoff
// packet, the answer log and the conversation's turns (respond).
func (e *Engine) AskTrace(ctx context.Context, req AskRequest) (*AskResponse, *Trace, error) {
	q, err := e.prepare(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	r, err := e.retrieve(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	v := Decide(DecisionInput{
		Intent: r.tr.Intent, Candidates: r.tr.Candidates, Articles: r.arts, Features: r.tr.Features,
		Confidence: r.conf, Top3: r.top3, Settings: &q.st, Conversation: StateOf(q.turns), Now: q.now,
	})
	if top, ok := r.arts[r.topID()]; ok {
		r.tr.TopActive = top.ActiveAt(q.now)
	}
	resp, err := e.respond(ctx, q, r, v)
	if err != nil {
		return nil, nil, err
	}
	return resp, r.tr, nil
}

// question is a checked question with what answering it needs.
type question struct {
	req AskRequest
	st  Settings
	// text is the question as searched (CanonicalQuestion), norm its
	// normalized form; intent is read from the question as typed.
	text, norm string
	intent     Intent
	turns      []Turn
	conv       ConversationRef // ID "" when the question has no conversation
	now        time.Time
}

// prepare checks a request and gathers the KB's settings and the
// conversation's earlier turns.
func (e *Engine) prepare(ctx context.Context, req AskRequest) (*question, error) {
	if err := e.KnownKB(ctx, req.KB); err != nil {
		return nil, err
	}
	st, _, err := e.Settings.Get(ctx, req.KB)
	if err != nil {
		return nil, err
	}
	if err := validateQuestion(req.Question, st.MaxQuestionRunes); err != nil {
		return nil, err
	}
	if err := validateConversation(req.Conversation, st.MaxQuestionRunes); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidQuestion, err)
	}
	if c := req.Customer; c != nil {
		for name, v := range map[string]string{"customer.id": c.ID, "customer.tier": c.Tier} {
			if !utf8.ValidString(v) || len(v) > 256 {
				return nil, fmt.Errorf("%w: %s must be valid UTF-8 of at most 256 bytes", ErrInvalidQuestion, name)
			}
		}
	}
	raw, err := e.Library.emb.Normalize(req.Question)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidQuestion, err)
	}
	if raw == "" {
		return nil, ErrEmptyQuery
	}
	text := CanonicalQuestion(req.Question)
	norm, err := e.Library.emb.Normalize(text)
	if err != nil || norm == "" {
		text, norm = req.Question, raw
	}
	q := &question{req: req, st: st, text: text, norm: norm, intent: DetectIntent(req.Question, raw), now: e.now()}
	if c := req.Conversation; c != nil {
		q.conv = ConversationRef{KB: req.KB, Owner: ConversationOwner(req.Principal, req.Customer), ID: c.ID}
		q.turns = c.Turns
		switch {
		case q.conv.ID == "" && len(q.turns) == 0:
			q.conv.ID = NewConversationID()
		case q.conv.ID != "" && len(q.turns) == 0:
			if q.turns, err = e.Conversations.Turns(ctx, q.conv); err != nil {
				return nil, err
			}
		}
	}
	return q, nil
}

// retrieval is what retrieve found for a question.
type retrieval struct {
	tr         *Trace
	conf, top3 float64
	ctxUse     *ContextUse
	// arts are the stored articles of the first three candidates.
	arts map[string]Article
}

func (r *retrieval) topID() string {
	if len(r.tr.Candidates) == 0 {
		return ""
	}
	return r.tr.Candidates[0].ArticleID
}

// retrieve searches the KB in the customer's locale, reads a follow-up
// together with the previous customer turn when that is more confident,
// and computes the confidences and the top candidates' articles.
func (e *Engine) retrieve(ctx context.Context, q *question) (*retrieval, error) {
	req := q.req
	cal := q.st.CalibrationOrDefault()
	so := e.search
	so.Scope, so.Limit = req.Scope, 10
	tr := &Trace{Normalized: q.norm, Intent: q.intent}
	family := questionFamily(req.Locale, req.Question)
	cands, err := e.Library.Search(ctx, req.KB, q.text, so)
	if err != nil {
		return nil, err
	}
	cands = preferLocale(cands, family)
	conf := e.confidence(ctx, req.KB, q.norm, cands, cal, tr)
	r := &retrieval{tr: tr}
	// A short question may lean on the previous one ("那运费呢?"), but not
	// one that is exactly an article's question: it means what it says.
	if prev := lastCustomerQuestion(q.turns); prev != "" && isFollowUp(q.norm) && tr.Features["exact"] != 1 {
		joined := CanonicalQuestion(prev) + " " + q.text
		jc, err := e.Library.Search(ctx, req.KB, joined, so)
		if err != nil {
			return nil, err
		}
		jc = preferLocale(jc, family)
		jtr := &Trace{Intent: tr.Intent}
		jn, _ := e.Library.emb.Normalize(joined)
		jconf := e.confidence(ctx, req.KB, jn, jc, cal, jtr)
		// The client sees the earlier question scrubbed, like the log.
		r.ctxUse = &ContextUse{PreviousQuestion: e.scrub(prev)}
		if jconf > conf {
			cands, conf, tr.Features = jc, jconf, jtr.Features
			r.ctxUse.Used, r.ctxUse.Resolved = true, e.scrub(joined)
		}
	}
	tr.Candidates = cands
	r.conf = conf
	if len(cands) == 0 {
		return r, nil
	}
	r.top3 = cal.ClarifyProbability(tr.Features)
	ids := make([]string, 0, 3)
	for _, c := range head(cands, 3) {
		ids = append(ids, c.ArticleID)
	}
	if r.arts, err = e.Library.rankedArticles(ctx, req.KB, ids); err != nil {
		return nil, err
	}
	if _, ok := r.arts[ids[0]]; !ok {
		return nil, fmt.Errorf("%w: %s/%s", ErrArticleNotFound, req.KB, ids[0])
	}
	return r, nil
}

// respond turns a verdict into the reply: it creates the handoff packet
// (and notifies the webhook deliverer), logs the answer event and saves
// the conversation's turns.
func (e *Engine) respond(ctx context.Context, q *question, r *retrieval, v Verdict) (*AskResponse, error) {
	req := q.req
	resp := &AskResponse{Decision: v.Decision, Reason: v.Reason, AnswerID: NewAnswerID(), ConversationID: q.conv.ID, Context: r.ctxUse, Confidence: v.Confidence}
	switch v.Decision {
	case DecisionAnswer:
		a := v.Article
		resp.Answer = &AnswerBody{ArticleID: a.ID, Question: a.Question, Answer: a.Answer,
			Category: a.Category, Version: a.Version, Confidence: v.Confidence}
	case DecisionClarify:
		resp.Clarify = v.Clarify
		resp.ClarifyPrompt = clarifyPrompt(req.Locale, q.norm, r.arts[r.topID()].Locale)
	case DecisionHandoff:
		h := Handoff{
			KB: req.KB, ConversationID: q.conv.ID, Question: req.Question, Normalized: q.norm, Locale: req.Locale,
			Category: v.Category, Turns: q.turns, Candidates: head(r.tr.Candidates, 5), Confidence: v.Confidence,
			Reason: v.Handoff, Sentiment: r.tr.Intent.Sentiment,
		}
		if req.Customer != nil {
			h.Customer = *req.Customer
		}
		if a := v.Article; a != nil {
			h.Suggested = &AnswerBody{ArticleID: a.ID, Question: a.Question, Answer: a.Answer,
				Category: a.Category, Version: a.Version, Confidence: v.Confidence}
		}
		var continued bool
		if !isPreview(ctx) {
			var err error
			if h, continued, err = e.handOff(ctx, q, h); err != nil {
				return nil, err
			}
		}
		resp.Handoff = &HandoffRef{ID: h.ID, Reason: v.Handoff, Continued: continued, Message: q.st.HandoffMessage(req.Locale, req.Question)}
	}
	if isPreview(ctx) {
		return resp, nil // nothing logged, learned or saved
	}
	logged := e.scrub(q.norm)
	ev := Event{ID: resp.AnswerID, KB: req.KB, Normalized: logged, Decision: resp.Decision, Confidence: v.Confidence, CreatedAt: q.now, Asker: req.Principal}
	switch {
	case resp.Answer != nil:
		ev.ArticleID = resp.Answer.ArticleID
	case resp.Handoff != nil:
		ev.Reason, ev.HandoffID = string(resp.Handoff.Reason), resp.Handoff.ID
	}
	e.Events.Record(ev)
	e.learnClarifyPick(ctx, q, v)
	if q.conv.ID != "" {
		turns := append(q.turns, Turn{Role: "customer", Text: req.Question, At: q.now},
			Turn{Role: "bot", Text: botText(resp), Decision: resp.Decision, At: q.now})
		if err := e.Conversations.Save(ctx, q.conv, turns); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// learnClarifyPick records, in the background, the outcome of a clarify:
// the customer sent back one of the options offered (an exact match of
// its question), so that article answers the question that got the
// clarify.
func (e *Engine) learnClarifyPick(ctx context.Context, q *question, v Verdict) {
	if v.Reason != ReasonExactMatch || !StateOf(q.turns).LastBotClarified {
		return
	}
	var asked, offered string
	for i := len(q.turns) - 1; i >= 0; i-- {
		t := q.turns[i]
		if offered == "" && t.Role == RoleBot {
			offered = t.Text
			continue
		}
		if offered != "" && t.Role == RoleCustomer {
			asked = t.Text
			break
		}
	}
	if asked == "" || !strings.Contains(offered, v.Article.Question) {
		return
	}
	o := Outcome{KB: q.req.KB, Kind: OutcomeClarify, Question: asked, Locale: q.req.Locale, ArticleID: v.Article.ID,
		Key: "clarify:" + q.conv.pointID() + ":" + strconv.Itoa(len(q.turns))}
	if o.Customer = q.req.Principal; o.Customer == "" && q.req.Customer != nil {
		o.Customer = q.req.Customer.ID
	}
	e.cal.wg.Add(1)
	ctx, cancel := e.background(ctx)
	go func() {
		defer e.cal.wg.Done()
		defer cancel()
		if _, err := e.RecordOutcome(ctx, o); err != nil {
			e.logger.Warn("recording a clarify pick", "kb", o.KB, "err", err)
		}
	}()
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
