// Package memstore is a simple, in-memory index.Store: brute force
// everything, no persistence. It is the executable reference for the
// index contract (the contract suite in index/indextest runs against it)
// and the backing store of test fakes, such as the fake Qdrant server the
// Qdrant engine's tests talk to.
//
// # Basics
//
// Each collection is a map from canonical point id to point. Dense vectors
// are L2-normalized on upsert (as Qdrant's cosine collections do) and scored
// by dot product with the normalized query; sparse vectors are scored
// Σ q_t·d_t·index.IDF(n_t, N) with document frequencies counted live over the
// collection (N = points with a non-empty sparse vector). Filters are
// evaluated with index.Filter.Match, hybrid queries fuse the two prefetched
// legs with index.FuseRRF or index.FuseDBSF, and results tie-break by id
// (index.SortScored). Every read returns copies: callers can never mutate
// the store.
//
// # Choices where the index contract is silent
//
//   - Get returns each existing id once, at its first position in the
//     request; duplicates and missing ids are skipped.
//   - Empty vectors (a nil or zero-length Dense, a Sparse with no indices)
//     count as absent. A point without a dense vector in a collection with
//     Dim > 0 is ErrInvalidArgument; a non-empty vector of the wrong length
//     is ErrDimensionMismatch. A query with neither vector is
//     ErrInvalidArgument.
//   - The sparse leg returns only points sharing at least one index with the
//     query; the dense leg returns every point that matches the filter.
//   - ScoreThreshold keeps scores >= the threshold.
//   - QueryGroups ignores req.Limit and req.Offset (group.Limit and
//     group.Size bound the result); hybrid legs prefetch req.PrefetchLimit,
//     default max(4·group.Limit·group.Size, 100). Groups are ordered by
//     their best hit's score, then that hit's id, then the key (integers
//     before strings).
//   - Scroll ordered by a field uses, for points with several values, the
//     smallest value ascending and the largest descending. Numbers compare
//     as float64. Ties break by id ascending in both directions.
//   - CreatePayloadIndex with another type replaces the index's type.
//   - Close is idempotent; every other call after it returns index.ErrClosed.
//
// # Caveats
//
// Every query is a full scan: use it for tests and small data only.
package memstore
