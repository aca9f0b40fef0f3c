package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Many collections hold one JSON document per point: payload-only
// points whose payload carries the document under one key ("doc") next to
// the few fields filters and ordering use. These helpers write, read and
// page through such documents the same way everywhere.

// ErrBadCursor reports a page cursor the store does not recognize (a
// client's mistake, so it also matches ErrInvalidArgument).
var ErrBadCursor = fmt.Errorf("%w: bad page cursor", ErrInvalidArgument)

// DocKey is the payload key documents are stored under.
const DocKey = "doc"

// DocPayload returns fields (which it may modify) with v encoded as JSON under DocKey.
func DocPayload(v any, fields Payload) (Payload, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding document: %w", err)
	}
	if fields == nil {
		fields = Payload{}
	}
	fields[DocKey] = string(js)
	return fields, nil
}

// DecodeDoc reads the JSON document a record carries under key.
func DecodeDoc[T any](r Record, key string) (T, error) {
	var v T
	js, _ := r.Payload[key].(string)
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		return v, fmt.Errorf("decoding stored document %s: %w", r.ID, err)
	}
	return v, nil
}

// DocPage is one page of documents and the cursor of the next ("" at the end).
type DocPage[T any] struct {
	Docs []T
	Next string
}

// ScrollDocs reads one page of the documents stored under DocKey in
// collection (see ScrollDecoded).
func ScrollDocs[T any](ctx context.Context, s Store, collection string, req ScrollRequest) (DocPage[T], error) {
	return ScrollDecoded(ctx, s, collection, req, func(r Record) (T, error) { return DecodeDoc[T](r, DocKey) })
}

// ScrollDecoded reads one page of collection and decodes each record
// (req.With.Payload is set for the caller). A cursor the store refuses is
// ErrBadCursor.
func ScrollDecoded[T any](ctx context.Context, s Store, collection string, req ScrollRequest, decode func(Record) (T, error)) (DocPage[T], error) {
	req.With.Payload = true
	page, err := s.Scroll(ctx, collection, req)
	if err != nil {
		if req.Cursor != "" && errors.Is(err, ErrInvalidArgument) {
			return DocPage[T]{}, fmt.Errorf("%w: %w", ErrBadCursor, err)
		}
		return DocPage[T]{}, fmt.Errorf("reading %s: %w", collection, err)
	}
	out := DocPage[T]{Docs: make([]T, 0, len(page.Points)), Next: page.Next}
	for _, r := range page.Points {
		d, err := decode(r)
		if err != nil {
			return DocPage[T]{}, err
		}
		out.Docs = append(out.Docs, d)
	}
	return out, nil
}

// ScrollAll calls fn with every record that req selects, page after page;
// an error from fn stops the walk and is returned.
func ScrollAll(ctx context.Context, s Store, collection string, req ScrollRequest, fn func(Record) error) error {
	for {
		page, err := s.Scroll(ctx, collection, req)
		if err != nil {
			return err
		}
		for _, r := range page.Points {
			if err := fn(r); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		req.Cursor = page.Next
	}
}
