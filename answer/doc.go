// Package answer owns articles and knowledge bases, retrieval, ranking,
// calibrated confidence, the answer / clarify / handoff decision, handoff
// packets, feedback, evaluation and calibration.
//
// It never imports fiber, viper or Qdrant types.
//
// # Basics
//
// An [Article] is one piece of knowledge: a standard question, variant
// questions, an answer, and its metadata (KB, category, locale, scope,
// validity window, status). [ReadArticles] reads articles from JSONL or CSV
// and validates every line before anything is written.
//
// A [KB] stores articles in an [index.Store]: every question (the standard
// one and each variant) is one point of the "kb_points" collection, with a
// dense vector from the embedder and a lexical sparse vector, and the answer
// body is one more point of kind "answer". The article itself is kept as
// JSON in the payload-only "articles" collection. Import upserts by
// (KB, article id), so re-running it is safe.
//
// [KB.Search] runs the dense and lexical legs under the same filter (KB,
// status published, optionally locale, scope and validity), aggregates the
// hits per article and returns [Candidate]s, best first.
//
// [Evaluate] replays a labeled query set through Search and reports hit@k,
// MRR@10, nDCG@10 and latency.
//
// # Caveats
//
// Scores are not confidence: a calibrated confidence and the answer /
// clarify / handoff decision build on Candidate's features.
package answer
