// Package answer owns articles and knowledge bases, retrieval, ranking,
// calibrated confidence, the answer / clarify / handoff decision, handoff
// packets, feedback, evaluation and calibration.
//
// It never imports fiber, viper or Qdrant types. The domain code lands with
// its own issue; this package fixes the layout.
package answer
