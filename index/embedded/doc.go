// Package embedded is jieda's default, one-machine index.Store: durable
// storage in one bbolt file plus in-memory dense (exact or HNSW), sparse
// and payload indexes.
//
// # Basics
//
// Open a store on a data directory, use it through index.Store, close it:
//
//	s, err := embedded.Open(ctx, embedded.DefaultConfig(), logger)
//	...
//	defer s.Close()
//
// The directory holds jieda.db (bbolt) and saved HNSW graphs, one per
// collection (<uid>.hnsw). The database holds, per collection, a meta
// bucket (config, payload indexes, a random uid and a generation counter
// bumped by every write that changes vectors), a points bucket mapping
// the 16 bytes of each canonical UUID to a compact record (the point's
// slot, the generation that wrote it, the canonical payload JSON), and
// dense and sparse buckets mapping each slot to its L2-normalized dense
// vector (float32) and its sparse vector. A meta bucket at the top
// records the format version (2). A slot's vectors never change while a
// point holds it: a write that changes a point's vectors gives it a fresh
// slot, and the vectors of freed slots are deleted by the next write, so
// readers can fetch a live slot's vectors from the database while a
// writer commits. A format-1 database (vectors inside the point records)
// is migrated in place at Open, a few thousand points per transaction; a
// migration cut short is finished by the next Open.
//
// Every write is one bbolt transaction committed with fsync before the call
// returns (a batch upsert is one transaction: all or nothing). Only after
// the commit succeeds do the in-memory indexes change, all at once under
// the store's write lock, so a failed commit never leaves memory ahead of
// disk and readers never see half a write. Writers are serialized; readers
// run in parallel with each other and with a writer's disk commit.
//
// The dense index (vecindex.Dense) holds each vector quantized to int8;
// the full vectors are read back from the dense bucket, in a read
// transaction per query, for the few candidates that can still make the
// top k, so scores and results are exact. A collection whose full
// vectors fit Config.FloatCacheMB also keeps them in memory
// (vecindex.Floats, changed only under the write lock): rescoring then
// reads them there, and below ExactBelow a search scans them instead of
// the int8 codes. A hybrid query of 50,000 points or more runs its two
// legs on two goroutines. The sparse index keeps only its
// postings: a write that takes a vector out reads its terms from the
// sparse bucket. Get and Scroll with vectors read both kinds there.
//
// At Open every collection is read back into memory: slot tables, the
// sparse index with live document frequencies, the payload indexes, and
// the dense index. The dense index comes from the saved graph when its
// uid matches and its generation is not newer than the database's; the
// points written since (their records carry a later generation) are then
// added, pending, and the ones deleted since removed, so even after a
// crash only the writes after the last save are re-indexed, in the
// background. Without a usable graph every vector is added pending: the
// store opens at once and the indexer rebuilds the graph while queries
// scan what is not linked yet. Graphs are saved at Close, and in the
// background once the graph work since the last save (vectors linked,
// vectors removed) reaches half the collection, checked after each write
// and whenever the indexer has linked everything pending.
//
// Filters are answered from the payload indexes when every condition is on
// an indexed field of a matching type; otherwise the indexed must clauses
// narrow the candidates and index.Filter.Match decides, so results are
// always exactly the reference semantics. A numeric or datetime index
// keeps its values in sorted slices that each write changes in place: a
// point found by binary search and removed, the added ones merged from
// the back, so appending the latest time (handoffs, events, audit
// entries) costs the same at any size.
//
// Backup streams a consistent snapshot (one bbolt read transaction) while
// the store serves, framed by a header (magic, format version, each
// collection's settings) and a SHA-256 checksum; Restore checks all of
// that and swaps the database in atomically (temp file, fsync, rename).
//
// RunBench measures the engine (latency, recall, throughput, open time,
// memory) for `jieda bench index`.
//
// # Background indexing
//
// Inserting into an HNSW graph costs far more than the durable write (at
// 512 dimensions and ef_construction 200, about 0.5 ms of CPU a vector), so
// as in Qdrant's optimizer the graph is built in the background: an
// upserted dense vector is visible at once, like the rest of the write,
// but enters the dense index pending (vecindex.Dense.AddPending), and
// every dense search scans the pending vectors exactly and merges them
// with the graph's results under the same filter. One indexer goroutine
// per store links pending vectors into the graphs in batches on all CPUs
// (vecindex.Dense.IndexPending), collections in turn, each batch sized to
// take about 20 ms, since searches of that collection wait for it. A
// replaced or deleted point's old vector leaves the index (pending or
// graph) before its slot is reused, and is never returned meanwhile: its
// slot is no longer live.
//
// Backpressure: while a collection has max(max_pending, exact_below)
// vectors pending (Config.MaxPending, default 50,000), Upsert waits for the
// indexer before writing, so a query never scans more than about that many
// vectors exactly (at 50,000 × 512 dimensions, about 5 ms on one CPU) and
// the pending vectors' memory stays bounded. WaitIndexed waits until nothing
// is pending (RunBench uses it; queries never need it).
//
// Close stops the indexer after the batch in progress (a graph is never
// left half-linked) and saves the graphs with their pending vectors, which
// the next Open finds pending again.
//
// # Caveats
//
//   - One process owns a data directory: a second Open fails with
//     ErrLocked after about a second rather than waiting.
//   - Everything but the full dense vectors is held in memory: about dim
//     bytes per dense vector plus graph links, payloads (as stored JSON,
//     decoded when read: a filter on a field without a payload index
//     decodes each candidate's, about a microsecond each) and indexes
//     (RunBench reports bytes per point), plus the full vectors of
//     collections within Config.FloatCacheMB; the others are read from
//     the memory-mapped database as queries need them. On Linux the whole
//     file is mapped at Open (MAP_POPULATE, unless Config.NoPopulate), so
//     it counts in the process's resident memory from the start.
//   - After a crash, the points written since the last graph save are
//     re-linked in the background after the next Open; with no saved graph
//     the whole graph is: 100,000 × 512 dimensions opens in about 1.5 s
//     either way, but without a graph its dense queries scan what is not
//     linked yet exactly (about 20 ms at first, beside the indexer) for
//     the 25-30 s the indexer takes on two CPUs.
//   - Sustained upsert throughput is bound by HNSW insertion
//     (ef_construction), not by the disk: on two CPUs 512-dimensional
//     points are linked at about 3,000-4,500/s, so a bulk load is
//     acknowledged at about 8,000/s until max_pending vectors wait, then
//     at the indexer's pace. Searches wait for the indexer's batch in
//     progress (about 20 ms at most).
//   - Config.NoSync trades durability for speed; use it only for
//     benchmarks.
//   - A long Backup keeps old pages alive, so the file can grow while it
//     runs; a writer that must grow bbolt's memory map waits for it.
package embedded
