package intake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Resolved is one resolved exchange: a customer's question and the human
// agent's reply that resolved it, with what the help desk knows about it.
// It is the raw material of a knowledge candidate.
type Resolved struct {
	// Question is what the customer asked. Required.
	Question string `json:"question"`
	// Reply is the agent's answer. Required.
	Reply string `json:"reply"`
	// Agent names the agent who replied; empty when unknown.
	Agent string `json:"agent,omitempty"`
	// CSAT is the customer's satisfaction score, 1..5; nil when not rated.
	CSAT *int `json:"csat,omitempty"`
	// ResolvedAt is when the conversation was resolved; zero when unknown.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// Ticket is the help desk's ticket or conversation id; empty when unknown.
	Ticket string `json:"ticket,omitempty"`
	// Source names where the item came from ("chatwoot", an import file,
	// a webhook source); empty when unknown.
	Source string `json:"source,omitempty"`
	// Reusable is the agent's own mark: false means "this reply is specific
	// to one customer, do not learn from it"; nil when not marked.
	Reusable *bool `json:"reusable,omitempty"`
}

// wireResolved is the JSON form of Resolved as sent by people: csat and
// ticket may be numbers or strings, resolved_at an RFC 3339 datetime, a
// date (YYYY-MM-DD) or unix seconds.
type wireResolved struct {
	Question   string          `json:"question"`
	Reply      string          `json:"reply"`
	Agent      string          `json:"agent"`
	CSAT       json.RawMessage `json:"csat"`
	ResolvedAt json.RawMessage `json:"resolved_at"`
	Ticket     json.RawMessage `json:"ticket"`
	Source     string          `json:"source"`
	Reusable   *bool           `json:"reusable"`
}

// UnmarshalJSON decodes the forms documented on ParseGeneric. It checks
// field types and formats but not the required fields: call Validate.
func (r *Resolved) UnmarshalJSON(b []byte) error {
	var w wireResolved
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	item, err := w.resolved()
	if err != nil {
		return err
	}
	*r = item
	return nil
}

// resolved converts w, joining one error per bad field.
func (w *wireResolved) resolved() (Resolved, error) {
	item := Resolved{
		Question: w.Question,
		Reply:    w.Reply,
		Agent:    strings.TrimSpace(w.Agent),
		Source:   strings.TrimSpace(w.Source),
		Reusable: w.Reusable,
	}
	var errs []error
	csat, err := csatJSON(w.CSAT)
	if err != nil {
		errs = append(errs, err)
	}
	item.CSAT = csat
	if item.ResolvedAt, err = timeJSON(w.ResolvedAt); err != nil {
		errs = append(errs, err)
	}
	if item.Ticket, err = ticketJSON(w.Ticket); err != nil {
		errs = append(errs, err)
	}
	return item, errors.Join(errs...)
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

func csatJSON(raw json.RawMessage) (*int, error) {
	if isNull(raw) {
		return nil, nil
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("%w: csat: %w", ErrInvalidResolved, err)
		}
	} else {
		s = string(raw)
	}
	return parseCSAT(s)
}

// parseCSAT reads a score 1..5 from a number or numeric string; "" is nil.
func parseCSAT(s string) (*int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < 1 || f > 5 {
		return nil, fmt.Errorf("%w: csat: %q is not a whole number from 1 to 5", ErrInvalidResolved, s)
	}
	n := int(f)
	return &n, nil
}

func timeJSON(raw json.RawMessage) (time.Time, error) {
	if isNull(raw) {
		return time.Time{}, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, fmt.Errorf("%w: resolved_at: %w", ErrInvalidResolved, err)
		}
		return parseResolvedAt(s)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f < 0 || f > 1e11 {
		return time.Time{}, fmt.Errorf("%w: resolved_at: %s is not an RFC 3339 datetime, a date (YYYY-MM-DD) or unix seconds", ErrInvalidResolved, raw)
	}
	return unixTime(f), nil
}

func unixTime(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// parseResolvedAt reads an RFC 3339 datetime or a date (YYYY-MM-DD, taken
// as UTC midnight); "" is the zero time.
func parseResolvedAt(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: resolved_at: %q is not an RFC 3339 datetime or a date (YYYY-MM-DD)", ErrInvalidResolved, s)
}

func ticketJSON(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("%w: ticket: %w", ErrInvalidResolved, err)
		}
		return strings.TrimSpace(s), nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", fmt.Errorf("%w: ticket: %s is not a string or a number", ErrInvalidResolved, raw)
	}
	return n.String(), nil
}

// Size limits of a resolved reply's fields, in characters. A reply can
// become an article's answer, so it is held to the answer's limit
// (answer.MaxAnswerRunes; a test keeps the two equal).
const (
	MaxQuestionRunes = 500
	MaxReplyRunes    = 20000
	MaxFieldRunes    = 256 // agent, ticket, source
)

// Validate reports every problem of r, each wrapping ErrInvalidResolved:
// an empty question or reply, invalid UTF-8 in any text field, a field
// over its size limit, a CSAT outside 1..5.
func (r Resolved) Validate() error {
	var errs []error
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"question", r.Question, MaxQuestionRunes}, {"reply", r.Reply, MaxReplyRunes},
		{"agent", r.Agent, MaxFieldRunes}, {"ticket", r.Ticket, MaxFieldRunes}, {"source", r.Source, MaxFieldRunes},
	} {
		if !utf8.ValidString(f.v) {
			errs = append(errs, fmt.Errorf("%w: %s: invalid UTF-8", ErrInvalidResolved, f.name))
		} else if n := utf8.RuneCountInString(f.v); n > f.max {
			errs = append(errs, fmt.Errorf("%w: %s: %d characters, at most %d", ErrInvalidResolved, f.name, n, f.max))
		}
	}
	if strings.TrimSpace(r.Question) == "" {
		errs = append(errs, fmt.Errorf("%w: empty question", ErrInvalidResolved))
	}
	if strings.TrimSpace(r.Reply) == "" {
		errs = append(errs, fmt.Errorf("%w: empty reply", ErrInvalidResolved))
	}
	if r.CSAT != nil && (*r.CSAT < 1 || *r.CSAT > 5) {
		errs = append(errs, fmt.Errorf("%w: csat: %d is not from 1 to 5", ErrInvalidResolved, *r.CSAT))
	}
	return errors.Join(errs...)
}

// Key is a stable idempotency key for r, so that importing the same
// history twice, or receiving the same webhook twice, yields one
// candidate: "ticket:<ticket>" (or "ticket:<source>:<ticket>" when the
// source is known) when r has a ticket, else "sha256:<hex>" of the
// normalized question and reply (NFKC, lower case, runs of white space
// as one space, trimmed), so that differences in width, case and
// spacing do not make a second key.
func (r Resolved) Key() string {
	if t := strings.TrimSpace(r.Ticket); t != "" {
		if s := strings.TrimSpace(r.Source); s != "" {
			return "ticket:" + s + ":" + t
		}
		return "ticket:" + t
	}
	h := sha256.New()
	h.Write([]byte(keyText(r.Question)))
	h.Write([]byte{0})
	h.Write([]byte(keyText(r.Reply)))
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func keyText(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFKC.String(s))), " ")
}
