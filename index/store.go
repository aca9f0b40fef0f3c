package index

import "context"

// Store is jieda's system of record: named collections of points, each with
// a UUID, a JSON payload, a dense vector and/or a sparse vector. Every
// engine (embedded, Qdrant) implements the same semantics, proven by the
// contract suite in index/indextest.
//
// Writes are durable when they return. All methods are safe for concurrent use.
type Store interface {
	// CreateCollection creates a collection, or does nothing if one with the
	// same vector settings exists. Different settings are an error
	// (ErrDimensionMismatch for another dense dimension).
	CreateCollection(ctx context.Context, cfg CollectionConfig) error
	// DeleteCollection removes a collection and its points. Unknown: ErrCollectionNotFound.
	DeleteCollection(ctx context.Context, name string) error
	// Collections lists every collection's info, sorted by name.
	Collections(ctx context.Context) ([]CollectionInfo, error)
	// Collection returns one collection's settings, point count and payload indexes.
	Collection(ctx context.Context, name string) (CollectionInfo, error)
	// CreatePayloadIndex indexes a payload field for filtering and ordering;
	// idempotent for the same type.
	CreatePayloadIndex(ctx context.Context, collection, field string, typ FieldType) error

	// Upsert inserts or replaces points by id.
	Upsert(ctx context.Context, collection string, points []Point) error
	// Get returns the points with the given ids that exist, in the order asked.
	Get(ctx context.Context, collection string, ids []string, with With) ([]Record, error)
	// Delete removes points by id; unknown ids are ignored.
	Delete(ctx context.Context, collection string, ids []string) error
	// DeleteByFilter removes every point matching f (f must not be nil).
	DeleteByFilter(ctx context.Context, collection string, f *Filter) error
	// SetPayload merges keys into the payload of each point (existing ids only).
	SetPayload(ctx context.Context, collection string, ids []string, payload Payload) error
	// SetPayloadWhere merges keys into the payload of every point matching
	// f (f must not be nil), as one write: the filter is evaluated against
	// the points as they are when the write applies, so of two calls whose
	// payloads each falsify the other's filter only one applies (Qdrant
	// applies a shard's updates in order). TakeLease builds on it.
	SetPayloadWhere(ctx context.Context, collection string, f *Filter, payload Payload) error
	// OverwritePayload replaces the payload of each point (existing ids only).
	OverwritePayload(ctx context.Context, collection string, ids []string, payload Payload) error
	// Count counts the points matching f (nil: all).
	Count(ctx context.Context, collection string, f *Filter) (int, error)
	// Scroll pages through points matching a filter, by id or by a payload field.
	Scroll(ctx context.Context, collection string, req ScrollRequest) (ScrollPage, error)
	// Query searches by dense vector, sparse vector or both fused.
	Query(ctx context.Context, collection string, req QueryRequest) ([]ScoredPoint, error)
	// QueryGroups is Query grouped by a payload field: the best points per
	// group, groups ordered by their best point.
	QueryGroups(ctx context.Context, collection string, req QueryRequest, group GroupBy) ([]Group, error)

	// Close releases the store. Other calls after Close return ErrClosed; a
	// second Close returns nil or ErrClosed. A cancelled ctx makes a call
	// return ctx's error; a write cancelled mid-way is applied all or not at all.
	Close() error
}
