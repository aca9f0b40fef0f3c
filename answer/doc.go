// Package answer owns articles and knowledge bases, retrieval, ranking,
// calibrated confidence, the answer / clarify / handoff decision, handoff
// packets, feedback, evaluation and calibration.
//
// It never imports fiber, viper or Qdrant types.
//
// # Knowledge
//
// An [Article] is one piece of knowledge: a standard question, variant
// questions, an answer, and its metadata (KB, category, locale, scope,
// validity window, status). [ReadArticles] reads articles from JSONL or CSV
// and validates every line before anything is written.
//
// A [Library] stores articles in an [index.Store]: every question (the standard
// one and each variant) is one point of the "kb_points" collection, with a
// dense vector from the embedder and a lexical sparse vector, and the answer
// body is one more point of kind "answer". The article itself is kept as
// JSON in the payload-only "articles" collection. Import upserts by
// (KB, article id), so re-running it is safe. [Library.Search] runs the dense and
// lexical legs under the same filter, aggregates the hits per article and
// returns [Candidate]s, best first.
//
// # Answering
//
// [Engine.Ask] is the path of every question (POST /v1/ask, jieda ask,
// jieda eval): intent ([DetectIntent]: a request for a person, a
// complaint), retrieval, the locale the customer writes in, a follow-up
// read with the previous turn of its [Conversation], [Features] of the
// ranking, a calibrated confidence ([Calibration], a logistic model fitted
// by [Fit] on labeled questions; [DefaultCalibration] ships), and the
// decision against the KB's [Thresholds] ([Settings], per category): answer
// verbatim, clarify with 2-3 close candidates, or hand off with a
// [HandoffReason]. Every question gets one of the three.
//
// A [Handoff] packet is stored in the "handoffs" collection ([HandoffStore]:
// listed by priority then age, resolved by agents) and delivered to the
// KB's webhook by a [WebhookDeliverer] with retries that never give up.
// Every question is logged with its answer id ([EventLog], batched writes);
// feedback on answers feeds the confidence of later questions.
//
// The decision itself is [Decide], a pure function of a [DecisionInput];
// every reply carries a [Reason].
//
// # Trust
//
// A KB calibrates itself from its own articles when it is imported or
// changes materially ([Engine.SelfCalibrate]: variant questions held out,
// articles held out as out of scope, pseudo-questions), fitted with the
// shipped calibration as the prior ([FitOptions.Prior]); it learns from
// outcomes ([Engine.RecordOutcome], [Engine.ResolveHandoff] with the right
// article, [Engine.Feedback], clarify picks), and per category it answers
// on its own or only suggests ([Autonomy], [Engine.Autonomy]).
//
// # Evaluation
//
// [Engine.Evaluate] asks a labeled query set through AskTrace and reports
// hit@k, MRR@10, nDCG@10, decision quality (answered, precision, coverage,
// clarify and handoff rates, out-of-scope handoff recall), ECE and a
// threshold sweep, optionally with a cross-fitted calibration;
// [Engine.Replay] replays labeled questions as live traffic to measure
// what outcomes teach.
// [Library.Evaluate] measures ranking alone.
package answer
