package answer

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// ExamplesCollection holds each KB's labeled calibration examples: those
// self-calibration made (in chunks) and those outcomes gave (one point each).
const ExamplesCollection = "calibration_examples"

// Example kinds (the "kind" payload field of ExamplesCollection).
const (
	exampleSelf    = "self"
	exampleOutcome = "outcome"
)

// selfChunk is how many self-calibration examples one point holds.
const selfChunk = 500

// exampleStore keeps labeled calibration examples in the store.
type exampleStore struct {
	store       index.Store
	now         func() time.Time
	maxOutcomes int // MaxOutcomes
}

func newExampleStore(ctx context.Context, store index.Store) (*exampleStore, error) {
	if err := index.Ensure(ctx, store, index.CollectionConfig{Name: ExamplesCollection, Sparse: true}, map[string]index.FieldType{
		"kb": index.FieldKeyword, "kind": index.FieldKeyword, "chunk": index.FieldInteger, "at": index.FieldDatetime,
		"source": index.FieldKeyword, "customer": index.FieldKeyword, "category": index.FieldKeyword,
	}); err != nil {
		return nil, err
	}
	return &exampleStore{store: store, now: time.Now, maxOutcomes: MaxOutcomes}, nil
}

func examplePointID(kb, kind, key string) string {
	return uuid.NewSHA1(pointNamespace, []byte("example\x00"+kb+"\x00"+kind+"\x00"+key)).String()
}

// storedExample is one example as stored: the features in FeatureNames
// order, the labels, and for a self example its article (the fold of the
// held-out ECE) and whether it was out of scope.
type storedExample struct {
	F      []float64 `json:"f"`
	Right  bool      `json:"r,omitempty"`
	Top3   bool      `json:"t,omitempty"`
	OOS    bool      `json:"o,omitempty"`
	Group  string    `json:"g,omitempty"`
	Weight float64   `json:"w,omitempty"`
}

func encodeFeatures(f Features) []float64 {
	out := make([]float64, len(FeatureNames))
	for i, n := range FeatureNames {
		out[i] = f[n]
	}
	return out
}

func decodeFeatures(names []string, v []float64) Features {
	f := make(Features, len(names)+1)
	for i, n := range names {
		if i < len(v) {
			f[n] = v[i]
		}
	}
	f["feedback"] = 0
	return f
}

// selfChunkDoc is one stored chunk of self examples.
type selfChunkDoc struct {
	Names    []string        `json:"names"`
	Examples []storedExample `json:"examples"`
}

// saveSelf replaces kb's self-calibration examples.
func (s *exampleStore) saveSelf(ctx context.Context, kb string, ex []probed) error {
	var pts []index.Point
	for c := 0; c*selfChunk < len(ex); c++ {
		doc := selfChunkDoc{Names: FeatureNames}
		for _, p := range ex[c*selfChunk : min(len(ex), (c+1)*selfChunk)] {
			doc.Examples = append(doc.Examples, storedExample{F: encodeFeatures(p.sample.Features), Right: p.sample.Correct,
				Top3: p.sample.InTop3, OOS: p.target == "", Group: p.group})
		}
		js, err := json.Marshal(doc)
		if err != nil {
			return fmt.Errorf("encoding examples: %w", err)
		}
		pts = append(pts, index.Point{ID: examplePointID(kb, exampleSelf, fmt.Sprint(c)), Payload: index.Payload{
			"kb": kb, "kind": exampleSelf, "chunk": int64(c), "at": s.now().UTC().Format(time.RFC3339), "data": string(js)}})
	}
	if len(pts) > 0 {
		if err := s.store.Upsert(ctx, ExamplesCollection, pts); err != nil {
			return fmt.Errorf("saving examples: %w", err)
		}
	}
	// drop the chunks of an earlier, larger set
	stale := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb), index.MatchKeyword("kind", exampleSelf),
		index.NumberRange("chunk", index.Range{Gte: index.F(float64(len(pts)))})}}
	ids, err := s.ids(ctx, stale)
	if err != nil || len(ids) == 0 {
		return err
	}
	if err := s.store.Delete(ctx, ExamplesCollection, ids); err != nil {
		return fmt.Errorf("deleting old examples: %w", err)
	}
	return nil
}

// loadSelf reads kb's self-calibration examples.
func (s *exampleStore) loadSelf(ctx context.Context, kb string) ([]probed, error) {
	var out []probed
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb), index.MatchKeyword("kind", exampleSelf)}}
	err := s.each(ctx, f, func(r index.Record) error {
		var doc selfChunkDoc
		js, _ := r.Payload["data"].(string)
		if err := json.Unmarshal([]byte(js), &doc); err != nil {
			return fmt.Errorf("decoding examples: %w", err)
		}
		for _, x := range doc.Examples {
			p := probed{probe: probe{group: x.Group, target: x.Group}, sample: Sample{Features: decodeFeatures(doc.Names, x.F), Correct: x.Right, InTop3: x.Top3}}
			if x.OOS {
				p.target = "" // out of scope
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// ids lists the ids of the points matching f.
func (s *exampleStore) ids(ctx context.Context, f *index.Filter) ([]string, error) {
	var ids []string
	err := s.each(ctx, f, func(r index.Record) error {
		ids = append(ids, r.ID)
		return nil
	})
	return ids, err
}

// each calls fn on every point matching f, with its payload.
func (s *exampleStore) each(ctx context.Context, f *index.Filter, fn func(index.Record) error) error {
	req := index.ScrollRequest{Filter: f, Limit: 256, With: index.With{Payload: true}}
	for {
		page, err := s.store.Scroll(ctx, ExamplesCollection, req)
		if err != nil {
			return fmt.Errorf("reading examples: %w", err)
		}
		for _, r := range page.Points {
			if err := fn(r); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		req.Cursor = page.Next
	}
}
