// Package vecindex holds the in-memory vector indexes of the embedded
// engine (index/embedded): Dense, a cosine index over L2-normalized float32
// vectors, and Sparse, an inverted index scored with Qdrant's `idf`
// modifier. Both speak in engine-internal uint32 slots, never point ids or
// payloads; the engine owns durability and maps slots to points.
//
// # Dense
//
// Scores are dot products (callers normalize, so they equal cosine
// similarity). Below DenseOptions.ExactBelow live vectors a search scans
// every vector exactly; at or above it uses an HNSW graph (Malkov &
// Yashunin: heuristic neighbor selection, M links per node on upper layers
// and 2M on the bottom one, a beam of max(EfSearch, k) per query). The
// graph is maintained from the first vector, so crossing the threshold is
// free.
//
// The index keeps each vector quantized to int8 (a scale per vector and a
// byte per dimension: a quarter of the float32 vector) and walks the graph
// on those; the caller keeps the full vectors (the embedded engine in its
// database, or in a Floats when they fit in memory) and passes an Exact
// source to each search. Each quantized
// vector carries a bound on how far any query's score against it can be
// from the exact float32 score (the quantization error by Cauchy-Schwarz,
// plus the float32 rounding of both dot products, with room to spare).
// A search keeps every candidate whose upper bound reaches the k-th best
// lower bound, then computes exact scores from the highest upper bound
// down until the next cannot reach the k-th exact score: results and
// scores are those of the exact float32 scan over the same candidates,
// and an exact scan (SearchExact, small collections, selective filters)
// is exactly the float32 brute force, ties included. Graph searches read
// 4× less memory at random, and the index holds 4× less. The graph is
// built on the quantized vectors too, each insert searching with its
// vector in full.
//
// Search guarantees min(k, allowed slots) results under any filter: a
// filter estimated (from a 256-node sample) to admit under 10% of the
// points, or fewer than ExactBelow, is answered by an exact scan of the
// admitted points; a graph search that comes back short (few admitted
// points, or a region cut off by removals) falls back to the exact scan.
//
// AddPending stores vectors (in full) without linking them into the
// graph: searches find them at once by an exact scan, merged with the
// graph search's results (same filter, same order), and IndexPending
// links them later, a batch at a time on all CPUs. This moves the cost of
// HNSW insertion out of the writer's way (the embedded engine runs
// IndexPending in a background goroutine). A slot is either linked or
// pending, never both; Len and Has count and find pending vectors too,
// and Save keeps them pending (by slot: LoadDense asks Exact for them).
//
// Removal marks the node a tombstone (walked through, never returned) and
// at once relinks the live neighbors that pointed back at it; once
// tombstones are a tenth of the nodes, a sweep relinks whatever still
// points at one and frees their ids for reuse. A replacement is a removal
// plus an insert. Removed slots are never returned, from the moment Remove
// returns.
//
// The dot products are AVX-512F or AVX2+FMA assembly kernels on amd64
// (dot_amd64.s: float32 × float32 about 35 ns for 512 dimensions against
// 150-240 ns for the best pure-Go loop, which Go does not vectorize, and
// float32 × int8 about the same), and pure-Go loops unrolled by 8
// elsewhere or with the purego build tag. Quantized vectors live in chunks
// of at least 8 MiB that Linux is asked to back with huge pages: graph
// searches read them at random, and fewer TLB misses made them 12-15%
// faster.
//
// The graph is this package's own rather than github.com/coder/hnsw's,
// measured side by side on the same clustered data (coder_eval_test.go,
// build tag hnsweval): coder/hnsw reached recall@10 of 0.06 at 10k × 512
// and 0.28-0.36 at 5k × 128 even with its own defaults, against 0.98 here,
// because its bottom-layer search keeps only k results and stops at the
// first expansion that does not improve the best, from a random entry
// point. It also has no filtered search, panics on a dimension mismatch,
// keeps links and visited sets in maps (about 1.1 KiB a point before
// vectors, against about 190 bytes here), and repairs deletes with a
// hard-coded cosine distance.
//
// # Sparse
//
//	score(doc) = Σ_t q_t × d_t × IDF(n_t, N),  IDF = index.IDF
//
// N and n_t are the live counts, so every add and removal changes IDF for
// the next search. Postings are kept in blocks of 128 with each block's
// largest and smallest value. A query whose terms have few postings is
// scored term at a time into a pooled dense score array; a longer one
// (over 4,096 postings) is pruned with block-max MaxScore, a window of
// 4,096 document ids at a time: a window whose block bounds cannot reach
// the k-th score so far is skipped, and in the others the terms that
// cannot reach it together are only looked up for the documents the rest
// bring. The bounds are padded by the worst float32 rounding of a sum and
// every survivor is scored term by term in query order, so results are
// those of scoring every document, to the bit, ties included (the tests
// compare the two on randomized data). On 1M documents of the bench's
// Zipf data the top 10 costs about a fifth of the exhaustive scan, the
// top 108 (a hybrid query's prefetch) about a third.
//
// # Building and persisting
//
// HNSW construction dominates the cost of opening a big collection: with
// the default EfConstruction of 200, each insert computes about 3,400
// distances over memory it cannot cache, so a million vectors take many
// minutes on two CPUs (batches of 32 or more use every CPU). For a fast
// cold open, persist the graph: Save writes the quantized vectors, the
// graph and the pending slots in a versioned, checksummed format (no
// full-precision vector: the caller holds those once); LoadDense reads it
// back in large blocks (about 670 MB for 1M × 512) and refuses anything
// inconsistent with ErrFormat or ErrCorrupt. It still reads versions 1
// and 2 (full vectors), quantizing them.
//
// # Concurrency
//
// Both types are safe for concurrent use: searches share a read lock and
// run in parallel; Add, AddBatch, IndexPending and the removal of a linked
// vector take the write lock, so searches wait for them. The pending set
// has a lock of its own: AddPending, the removal of a pending vector, Has
// and Len take only that one and do not wait for an IndexPending in
// progress (only for the searches reading the pending set). Save holds the
// read locks while it writes (about 0.1 s for 100k × 512 into memory): a
// write arriving meanwhile waits, and, as with any sync.RWMutex, so do
// searches arriving after that write.
//
// # Caveats
//
// Inputs are validated by the engine first; here a vector of the wrong
// dimension is ignored by Add and a query of the wrong dimension returns
// nil, and NaNs never panic but give meaningless order. Approximate search
// can miss true neighbors: recall@10 is 0.99+ at the defaults on clustered
// data up to a few hundred thousand vectors, but for k near or above
// EfSearch (k = 100: 0.87-0.99 depending on the data) raise EfSearch.
// The quantized vectors only choose candidates: a search without an
// Exact source returns quantized scores. Removing relinks the
// neighborhood (about 0.4 ms at 100k × 512) and a replacement is a
// removal plus an insert. The allow and Exact callbacks run under the
// read lock and must not call the index.
package vecindex
