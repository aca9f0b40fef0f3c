// Package qdrant is the Qdrant engine: an index.Store that speaks to Qdrant
// over gRPC (github.com/qdrant/go-client) for deployments that outgrow one
// machine. No Qdrant type leaves this package.
//
// # Basics
//
// Open connects and checks health; Config holds the store.qdrant.* keys.
// Every index collection is a Qdrant collection named CollectionPrefix +
// name, with a named dense vector "dense" (cosine, HNSW, optional int8
// scalar quantization) and a named sparse vector "lexical" with the idf
// modifier. Points use UUID ids and JSON payloads. Hybrid queries use the
// Query API: two prefetches under the same filter, fused by RRF (with k
// passed explicitly, see Store.Query) or DBSF; QueryGroups uses Qdrant's
// group-by, Scroll its order_by.
//
// Requests are validated locally with the same rules and sentinels as the
// embedded engine before anything is sent; gRPC errors map to index's
// sentinels (NotFound on a collection: index.ErrCollectionNotFound,
// InvalidArgument: index.ErrInvalidArgument, Unavailable:
// index.ErrUnavailable). Calls failing with a transient code (Unavailable,
// DeadlineExceeded, ResourceExhausted, Aborted) are retried with
// exponential backoff; each attempt is bounded by Config.Timeout.
//
// # Matching the contract where Qdrant leaves things open
//
//   - Equal scores order by id: Query fetches from the top with one result
//     more than it returns, wider while the cut falls inside a tie.
//   - Scroll by field orders ties by id and returns a multi-valued point
//     once, at its smallest value ascending (largest descending), where
//     Qdrant yields a point once per value; the cursor is (last value, ids
//     returned at it) and the next page excludes those ids with must_not
//     has_id.
//   - SetPayload and OverwritePayload select points with a has_id filter,
//     so missing ids are ignored instead of failing the call.
//
// # Caveats
//
// Collection settings are cached per Store; a collection recreated with
// other settings by another process is noticed when Qdrant reports it
// missing. Names longer than Qdrant's 255 characters once prefixed are
// shortened with a hash, the full name kept in the collection's metadata.
// DBSF in Qdrant normalizes with the sample standard deviation and does
// not clamp, so DBSF scores differ slightly from index.FuseDBSF.
//
// # Testing
//
// The package's tests run the index contract suite (index/indextest)
// against a real Qdrant when QDRANT_ADDR names its gRPC host:port (with
// QDRANT_API_KEY and QDRANT_TLS=1 if needed; collections get a random
// prefix and are deleted afterwards), and otherwise against package
// qdranttest, which serves Qdrant's gRPC protocol in process, backed by
// index/memstore.
package qdrant
