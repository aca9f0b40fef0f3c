// Package index is jieda's system of record: the Store interface over
// collections of points, each with a UUID, a JSON payload, a named dense
// vector ("dense", cosine) and a named sparse vector ("lexical", scored with
// IDF), with filters, hybrid queries fused by RRF or DBSF, group-by, scroll
// and count.
//
// # Engines
//
// index/embedded is the default, one-machine engine: durable (bbolt, fsync
// on every acknowledged write) with in-memory dense (exact or HNSW), sparse
// and payload indexes. index/qdrant speaks to Qdrant over gRPC for scale-out.
// index/indextest holds the contract suite both must pass; this package
// holds the shared types and the reference semantics (Filter.Match, IDF,
// FuseRRF, FuseDBSF) engines implement.
//
// No Qdrant type appears outside index/qdrant.
package index
