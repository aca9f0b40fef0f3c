package answer

import "time"

// DecisionInput is everything the decision looks at: what retrieval and
// confidence made of the question, what the question says about the
// customer, the KB's settings and the conversation so far. Decide reads
// nothing else: no store, no clock.
type DecisionInput struct {
	// Intent is what the question says about the customer (DetectIntent).
	Intent Intent
	// Candidates are the articles retrieval found, best first.
	Candidates []Candidate
	// Articles holds the stored articles of the first candidates (at least
	// the top one and those a clarify may offer, up to three), by id.
	Articles map[string]Article
	// Features are the ranking's features (ExtractFeatures).
	Features Features
	// Confidence is the calibrated probability that the top candidate
	// answers the question; Top3 that the right article is among the top
	// three (Calibration.ClarifyProbability).
	Confidence, Top3 float64
	// Settings are the KB's: thresholds and autonomy per category (with
	// its autonomy evidence).
	Settings *Settings
	// Conversation is what the earlier turns say.
	Conversation ConversationState
	// Now is when the question is asked (validity windows).
	Now time.Time
}

// ConversationState is what the decision needs from a conversation's turns.
type ConversationState struct {
	// LastBotClarified: the bot's latest turn was a clarify, so this
	// question answers (or ignores) a "did you mean".
	LastBotClarified bool
}

// StateOf reads a conversation's turns.
func StateOf(turns []Turn) ConversationState {
	return ConversationState{LastBotClarified: lastBotClarified(turns)}
}

// Reason is the machine-readable why of a decision: for an answer
// exact_match or confident, for a clarify close_candidates, for a handoff
// its HandoffReason.
type Reason string

// Reasons of answers and clarifies (a handoff's reason is its HandoffReason).
const (
	// ReasonExactMatch: the question is one of the article's own questions
	// (punctuation, width and spaces aside), and of no other candidate's.
	ReasonExactMatch Reason = "exact_match"
	// ReasonConfident: the confidence reached the answer threshold.
	ReasonConfident Reason = "confident"
	// ReasonCloseCandidates: a clarify between close candidates.
	ReasonCloseCandidates Reason = "close_candidates"
)

// ExactMatchConfidence is the least confidence an exact match is answered
// with: the question is one an editor wrote (or approved) for this
// article and for no other, so the article answers it unless the article
// itself is wrong.
const ExactMatchConfidence = 0.99

// Verdict is the decision on one question.
type Verdict struct {
	Decision Decision
	// Reason says why (for a handoff, string(Handoff)).
	Reason Reason
	// Handoff is why, when Decision is DecisionHandoff.
	Handoff HandoffReason
	// Confidence is the confidence to report.
	Confidence float64
	// Category is the top candidate's category ("" without candidates):
	// the one whose thresholds applied.
	Category string
	// Article is the article answered, or suggested (reason suggest).
	Article *Article
	// Clarify are the "did you mean" options (2-3) of a clarify.
	Clarify []ClarifyOption
}

// Decide is the answer / clarify / handoff decision: a pure function of
// its input. In order:
//
//   - a request for a person hands off (customer_request), then a
//     complaint (complaint), then no candidate at all (out_of_scope);
//   - a top article outside its validity window hands off as
//     expired_answer unless confidence is below the out-of-scope threshold;
//   - an active top article is answered when confidence reaches the answer
//     threshold of its category (confident), or when the question is
//     exactly one of its questions and of no other candidate's (an FAQ
//     link, a clarify choice sent back: exact_match, with a confidence of
//     at least ExactMatchConfidence);
//   - when the runner-up is close (score at least ClarifyRatio of the top)
//     and the right article is probably among the top three (Top3 at or
//     above the clarify threshold), the 2-3 close active candidates are
//     offered, unless the bot's last turn was already a clarify
//     (ambiguous) or fewer than two are active (low_confidence);
//   - otherwise a handoff: out_of_scope below the out-of-scope threshold,
//     low_confidence above it.
//
// An answer or a clarify in a category that only suggests (Autonomy:
// suggest, or graduated and not yet graduated) becomes a handoff with
// reason suggest, carrying the top article as the suggested answer.
func Decide(in DecisionInput) Verdict {
	v := decide(in)
	if (v.Decision == DecisionAnswer || v.Decision == DecisionClarify) && in.Settings.Suggests(v.Category) {
		top := in.Articles[in.Candidates[0].ArticleID]
		v = Verdict{Decision: DecisionHandoff, Handoff: ReasonSuggest, Confidence: v.Confidence, Category: v.Category, Article: &top}
	}
	if v.Decision == DecisionHandoff {
		v.Reason = Reason(v.Handoff)
	}
	return v
}

func decide(in DecisionInput) Verdict {
	v := Verdict{Decision: DecisionHandoff, Confidence: in.Confidence}
	cands := in.Candidates
	if len(cands) > 0 {
		v.Category = cands[0].Category
	}
	switch {
	case in.Intent.WantsHuman:
		v.Handoff = ReasonCustomerRequest
		return v
	case in.Intent.Complaint:
		v.Handoff = ReasonComplaint
		return v
	case len(cands) == 0:
		v.Handoff = ReasonOutOfScope
		return v
	}
	th := in.Settings.ThresholdsFor(v.Category)
	top, ok := in.Articles[cands[0].ArticleID]
	active := ok && top.ActiveAt(in.Now)
	conf := in.Confidence
	shared := len(cands) > 1 && matchKey(cands[1].Question) == matchKey(cands[0].Question)
	exact := in.Features["exact"] == 1 && !shared
	switch {
	case !active && conf >= th.OutOfScope:
		v.Handoff = ReasonExpiredAnswer
	case active && exact:
		v.Decision, v.Reason, v.Article = DecisionAnswer, ReasonExactMatch, &top
		v.Confidence = max(conf, ExactMatchConfidence)
	case active && conf >= th.Answer:
		v.Decision, v.Reason, v.Article = DecisionAnswer, ReasonConfident, &top
	case len(cands) > 1 && cands[1].Score >= th.ClarifyRatio*cands[0].Score && in.Top3 >= th.Clarify:
		if in.Conversation.LastBotClarified {
			v.Handoff = ReasonAmbiguous
			break
		}
		opts := clarifyOptions(cands, in.Articles, th, in.Now)
		if len(opts) < 2 {
			v.Handoff = ReasonLowConfidence
			break
		}
		v.Decision, v.Reason, v.Clarify = DecisionClarify, ReasonCloseCandidates, opts
	case conf < th.OutOfScope:
		v.Handoff = ReasonOutOfScope
	default:
		v.Handoff = ReasonLowConfidence
	}
	return v
}

// clarifyOptions are the active candidates among the top three whose
// score is at least ClarifyRatio of the top one's.
func clarifyOptions(cands []Candidate, arts map[string]Article, th Thresholds, now time.Time) []ClarifyOption {
	var opts []ClarifyOption
	for _, c := range head(cands, 3) {
		if c.Score < th.ClarifyRatio*cands[0].Score {
			break
		}
		if a, ok := arts[c.ArticleID]; ok && a.ActiveAt(now) {
			opts = append(opts, ClarifyOption{ArticleID: a.ID, Question: a.Question})
		}
	}
	return opts
}
