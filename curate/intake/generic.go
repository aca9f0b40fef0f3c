package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ParseGeneric parses the generic webhook form, one resolved exchange per
// request, for help desks without a dedicated parser:
//
//	{
//	  "question":    "怎么退货？",              // required
//	  "reply":       "在订单页点击申请售后…",   // required
//	  "agent":       "小美",                    // optional
//	  "csat":        5,                         // optional, 1..5 (number or numeric string)
//	  "resolved_at": "2025-03-01T10:00:00Z",    // optional: RFC 3339, YYYY-MM-DD or unix seconds
//	  "ticket":      "T-1042",                  // optional, string or number; makes Key stable
//	  "reusable":    true                       // optional; false means "do not learn from this"
//	}
//
// Unknown fields are ignored, so senders may add their own. A body that
// is not one JSON object (or not UTF-8) wraps ErrInvalidPayload; a missing
// question or reply, or a bad field, wraps ErrInvalidResolved. Source is
// left as sent (usually empty): the caller sets it from the endpoint.
func ParseGeneric(body []byte) (Resolved, error) {
	if !utf8.Valid(body) {
		return Resolved{}, fmt.Errorf("%w: invalid UTF-8", ErrInvalidPayload)
	}
	var w wireResolved
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return Resolved{}, fmt.Errorf("%w: %w", ErrInvalidPayload, err)
	}
	if dec.More() {
		return Resolved{}, fmt.Errorf("%w: more than one JSON value", ErrInvalidPayload)
	}
	item, err := w.resolved()
	if err = errors.Join(err, item.Validate()); err != nil {
		return Resolved{}, err
	}
	return item, nil
}
