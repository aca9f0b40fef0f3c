// Package embed turns text into vectors, in-process.
//
// # Basics
//
// Text is first normalized (Normalize): NFKC, traditional → simplified
// Chinese, lowercase Latin, whitespace and control characters collapsed,
// length-limited. The same normalization runs at index and query time.
//
// An Embedder runs a BERT-family sentence encoder from a model directory
// (model.onnx, tokenizer.json, manifest.json) on ONNX Runtime through
// yalue/onnxruntime_go, and returns L2-normalized float32 vectors pooled
// per the manifest (CLS or mean). Live queries (RoleQuery) are cached in an
// LRU and micro-batched across concurrent callers by one batcher, which
// hands each batch to the first idle live lane (a session of its own, on
// its share of the threads), so a question need not wait for the batch
// in progress; passages (RolePassage) run in their own session, sorted by
// length, and only while no live query waits, so indexing never starves
// questions.
//
// The SparseEncoder produces the lexical leg of hybrid retrieval: CJK
// unigrams and bigrams, Latin words, numbers and identifiers kept whole,
// hashed to uint32 term ids with BM25 term-frequency weights; the store
// applies IDF.
//
// The catalog (models/catalog.json) lists downloadable models and their
// variants (the publishers' int8 exports); Pull fetches one with resume and
// checksum verification. Package quant (embed/quant) quantizes a float32
// model directory to int8 in Go; CompareBench measures two models in
// alternating rounds of one run.
//
// # Caveats
//
// ONNX Runtime's environment is process-global: InitRuntime loads one
// library per process. A cancelled context terminates a forward pass
// through RunOptions.Terminate; tensors are released only after Run returns.
package embed
