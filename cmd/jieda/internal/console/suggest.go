package console

import (
	"errors"
	"slices"
	"strings"

	"github.com/jieda/jieda/answer"
)

// A handoff of a category in suggest or graduated autonomy carries the
// answer jieda would have sent (answer.Handoff.Suggested). The handoff
// page prefills the reply with it and offers three actions: accept (one
// form: the suggestion as is, from its article), edit (the prefilled
// reply box) and reject (the page again with an empty reply, the agent
// then names the right article or says the KB had none). The verdict
// recorded (answer.Resolution.Suggestion, the label the KB learns from)
// is read from what the agent sends, compared with the stored
// suggestion: the forms' "suggestion" field only says which action was
// clicked and can never make a changed reply count as accepted.

// Values of the resolve forms' "suggestion" field.
const (
	// suggestAccept: the one-click accept form; the server sends the
	// stored suggestion, not anything posted with it.
	suggestAccept = "accept"
	// suggestReject: the resolve form after the agent said the
	// suggestion is wrong (GET ?suggestion=reject).
	suggestReject = "reject"
)

// sourceNone is the resolve form's source for "the KB had no answer".
const sourceNone = "none"

// resolveForm is what the resolve form holds: the reply, its source ("",
// an article id or sourceNone), whether it may become knowledge, and
// whether the agent rejected jieda's suggestion.
type resolveForm struct {
	Reply, Source      string
	Reusable, Rejected bool
}

// sameText reports whether a reply is the suggested answer as is:
// browsers send a textarea's line breaks as CRLF and drop its first
// newline, so line endings and surrounding space do not count.
func sameText(reply, suggested string) bool {
	norm := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }
	return norm(reply) == norm(suggested)
}

// suggestionVerdict is the agent's verdict on the suggestion s, read from
// the reply and source they send: another article or "the KB had no
// answer" rejects it; its own article (or no source) with its answer
// unchanged accepts it, with the answer changed edits it. An agent who
// rejected it (rejected) and then sends it unchanged, or names its
// article, contradicts themselves: that is an input error, not a label.
// Without a source an edit and a rejection look alike; rejected tells
// them apart.
func suggestionVerdict(s *answer.AnswerBody, f resolveForm) (string, error) {
	switch {
	case f.Source == sourceNone || (f.Source != "" && f.Source != s.ArticleID):
		return answer.SuggestionRejected, nil
	case f.Rejected && f.Source == s.ArticleID:
		return "", badInput("err.suggestion.rejected.article")
	case sameText(f.Reply, s.Answer):
		if f.Rejected {
			return "", badInput("err.suggestion.rejected.same")
		}
		return answer.SuggestionAccepted, nil
	case f.Rejected:
		return answer.SuggestionRejected, nil
	}
	return answer.SuggestionEdited, nil
}

// resolution is the answer.Resolution of a resolve form for handoff ho:
// the source as ArticleID or NoAnswer, and the verdict on ho's
// suggestion when it has one (an accepted suggestion is sent exactly as
// it was suggested).
func resolution(ho answer.Handoff, f resolveForm) (answer.Resolution, error) {
	res := answer.Resolution{Reply: f.Reply, Reusable: &f.Reusable}
	switch f.Source {
	case "":
	case sourceNone:
		res.NoAnswer = true
	default:
		res.ArticleID = f.Source
	}
	if s := ho.Suggested; s != nil && ho.Status == answer.HandoffOpen {
		v, err := suggestionVerdict(s, f)
		if err != nil {
			return res, err
		}
		res.Suggestion = v
		if v == answer.SuggestionAccepted {
			res.Reply = s.Answer
		}
	}
	return res, nil
}

// suggestedState fills in the handoff page's suggestion: the reply box
// prefilled with it and its article as the source, and whether that
// article has changed or gone since it was suggested (then there is no
// one-click accept: the engine refuses a source that is not an article).
func suggestedState(r *request, e *answer.Engine, hv *handoffView) error {
	s := hv.H.Suggested
	if s == nil || hv.H.Status != answer.HandoffOpen {
		return nil
	}
	art, err := e.Library.Article(r.c.UserContext(), hv.H.KB, s.ArticleID)
	switch {
	case errors.Is(err, answer.ErrArticleNotFound):
		hv.SuggestedGone = true
	case err != nil:
		return err
	case art.Version != s.Version:
		hv.SuggestedNow = art.Version
	}
	hv.Reply = s.Answer
	if !hv.SuggestedGone {
		hv.Source = s.ArticleID
	}
	return nil
}

// rejectSuggestion puts the page in the state after the agent rejected
// the suggestion: an empty reply, no source, and the suggested article
// no longer offered, neither as a source nor as a search hit to use
// (its answer would be the rejected one, from a source not in the list).
func (hv *handoffView) rejectSuggestion() {
	if hv.H.Suggested == nil || hv.H.Status != answer.HandoffOpen {
		return
	}
	id := hv.H.Suggested.ArticleID
	hv.Rejected, hv.Reply, hv.Source = true, "", ""
	hv.Sources = slices.DeleteFunc(hv.Sources, func(o sourceOption) bool { return o.Value == id })
	hv.Suggestions = slices.DeleteFunc(hv.Suggestions, func(h answer.SearchHit) bool { return h.ArticleID == id })
}
