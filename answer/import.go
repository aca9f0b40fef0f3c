package answer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
)

// ImportOptions tunes Import.
type ImportOptions struct {
	// BatchSize is how many articles are embedded and written together (default 64).
	BatchSize int
	// Progress, when set, is called after each batch with the articles done so far.
	Progress func(done, total int)
	// NoSelfCalibration keeps Engine.ImportArticlesWith from starting the
	// KB's self-calibration (a caller that calibrates it otherwise, such as
	// jieda eval fitting on labeled questions).
	NoSelfCalibration bool
}

// ImportStats counts what Import did.
type ImportStats struct {
	Articles  int `json:"articles"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Points    int `json:"points"`
}

// maxPublish is the most article documents one store call publishes; a
// larger import is published in several calls (each all or nothing).
const maxPublish = 10000

// Import validates every article, then upserts them into kb by id: an
// article that exists is replaced (its version goes up when its content
// changed). Running the same import twice leaves the store as the first
// run did.
//
// An import is all or nothing as customers and editors see it: the new
// versions' points are written first under ids of their own, beside the
// live ones, and Search only uses points of an article's published
// version; then the articles' documents are written in one store call
// (the publication); then the old versions' points are deleted. A crash
// before the publication leaves points nobody sees, swept by the next
// import into the KB (or Sweep); running the import again completes it.
func (k *Library) Import(ctx context.Context, kb string, arts []Article, opts ImportOptions) (ImportStats, error) {
	var st ImportStats
	if err := ValidateID(kb); err != nil {
		return st, fmt.Errorf("%w: %w", ErrInvalidKB, err)
	}
	var errs []error
	for i := range arts {
		if arts[i].KB != "" && arts[i].KB != kb {
			errs = append(errs, fmt.Errorf("article %s: kb %q differs from %q", arts[i].ID, arts[i].KB, kb))
		}
		if err := arts[i].Validate(); err != nil {
			errs = append(errs, fmt.Errorf("article %s: %w", arts[i].ID, err))
		}
	}
	if len(errs) > 0 {
		return st, errors.Join(errs...)
	}
	if _, err := k.Sweep(ctx, kb); err != nil {
		return st, err
	}
	batch := opts.BatchSize
	if batch <= 0 {
		batch = 64
	}
	var docs []index.Point
	var retired []string // points of the versions the import replaces
	var written []Article
	for start := 0; start < len(arts); start += batch {
		end := min(start+batch, len(arts))
		b, err := k.stageBatch(ctx, kb, arts[start:end], &st)
		if err != nil {
			return st, err
		}
		docs, retired, written = append(docs, b.docs...), append(retired, b.retired...), append(written, b.arts...)
		if opts.Progress != nil {
			opts.Progress(end, len(arts))
		}
	}
	for start := 0; start < len(docs); start += maxPublish {
		if err := k.store.Upsert(ctx, ArticlesCollection, docs[start:min(start+maxPublish, len(docs))]); err != nil {
			return st, fmt.Errorf("publishing articles: %w", err)
		}
	}
	if err := k.lexiconUpdate(kb, written); err != nil {
		return st, err
	}
	if len(retired) > 0 {
		if err := k.store.Delete(ctx, PointsCollection, retired); err != nil {
			return st, fmt.Errorf("deleting replaced versions' points: %w", err)
		}
	}
	return st, nil
}

// staged is a batch written but not published.
type staged struct {
	docs    []index.Point
	retired []string
	arts    []Article // as published
}

// stageBatch writes the points of the new versions of arts and returns
// their documents, to be published by the caller.
func (k *Library) stageBatch(ctx context.Context, kb string, arts []Article, st *ImportStats) (staged, error) {
	var out staged
	ids := make([]string, len(arts))
	for i := range arts {
		ids[i] = arts[i].ID
	}
	old, err := k.getStored(ctx, kb, ids)
	if err != nil {
		return out, err
	}
	now := k.now().UTC().Truncate(time.Second)
	var texts []string
	var points []index.Point
	for i := range arts {
		a := arts[i]
		a.KB = kb
		a.applyDefaults()
		prev, exists := old[a.ID]
		rewrite := true
		switch {
		case !exists:
			a.CreatedAt, a.UpdatedAt = now, now
			st.Created++
		case sameContent(&prev.art, &a):
			a.CreatedAt, a.UpdatedAt, a.Version = prev.art.CreatedAt, prev.art.UpdatedAt, prev.art.Version
			rewrite = prev.legacy // unchanged: its points stay, unless they need their versioned ids
			st.Unchanged++
		default:
			a.CreatedAt, a.UpdatedAt = prev.art.CreatedAt, now
			a.Version = max(a.Version, prev.art.Version+1)
			st.Updated++
		}
		st.Articles++
		qs := a.Questions()
		if exists && rewrite {
			out.retired = append(out.retired, prev.pointIDs(kb)...)
		}
		if rewrite {
			base := a.pointPayload()
			base["written_at"] = now.Unix()
			for j, q := range qs {
				kind := KindVariant
				if j == 0 {
					kind = KindQuestion
				}
				points = append(points, index.Point{ID: questionPointID(kb, a.ID, a.Version, j), Payload: withKind(base, kind, q)})
				texts = append(texts, q)
			}
			points = append(points, index.Point{ID: questionPointID(kb, a.ID, a.Version, -1), Payload: withKind(base, KindAnswer, a.Answer)})
			texts = append(texts, a.Answer)
		}
		doc, err := articleDoc(kb, a, len(qs))
		if err != nil {
			return out, err
		}
		out.docs = append(out.docs, doc)
		out.arts = append(out.arts, a)
	}
	if len(points) == 0 {
		return out, nil
	}
	vecs, err := k.emb.Embed(ctx, texts, embed.RolePassage)
	if err != nil {
		return out, fmt.Errorf("embedding articles: %w", err)
	}
	for i := range points {
		points[i].Dense = vecs[i]
		norm, err := k.emb.Normalize(texts[i])
		if err != nil {
			return out, fmt.Errorf("normalizing %q: %w", texts[i], err)
		}
		sv := k.sparse.EncodeDocument(norm)
		if len(sv.Indices) > 0 {
			points[i].Sparse = &index.Sparse{Indices: sv.Indices, Values: sv.Values}
		}
	}
	if err := k.store.Upsert(ctx, PointsCollection, points); err != nil {
		return out, fmt.Errorf("writing question points: %w", err)
	}
	st.Points += len(points)
	return out, nil
}

// articleDoc is an article's document in ArticlesCollection.
func articleDoc(kb string, a Article, points int) (index.Point, error) {
	js, err := json.Marshal(a)
	if err != nil {
		return index.Point{}, fmt.Errorf("encoding article %s: %w", a.ID, err)
	}
	p := index.Point{ID: articlePointID(kb, a.ID), Payload: index.Payload{
		"kb": kb, "article_id": a.ID, "status": string(a.Status), "updated_at": a.UpdatedAt.Format(time.RFC3339),
		"version": int64(a.Version), "points": int64(points), "point_ids": int64(2), "article": string(js),
	}}
	if a.ReviewBy != nil {
		p.Payload["review_by"] = a.ReviewBy.UTC().Format(time.RFC3339)
	}
	return p, nil
}

// SweepGrace is how old an unpublished point must be before Sweep deletes
// it: an import running on another replica may still publish younger ones.
const SweepGrace = 10 * time.Minute

// Sweep deletes kb's points that no published article version owns, once
// SweepGrace old: those an interrupted import wrote and never published,
// and those of replaced versions an import did not get to delete. It
// returns how many it deleted.
func (k *Library) Sweep(ctx context.Context, kb string) (int, error) {
	live := map[string]storedArticle{}
	byKB := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb)}}
	err := index.ScrollAll(ctx, k.store, ArticlesCollection, index.ScrollRequest{Filter: byKB, Limit: 1000, With: index.With{Payload: true}}, func(r index.Record) error {
		sa, err := decodeStored(r.Payload)
		live[sa.art.ID] = sa
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sweeping %s: %w", kb, err)
	}
	owned := map[string]bool{}
	for _, sa := range live {
		for _, id := range sa.pointIDs(kb) {
			owned[id] = true
		}
	}
	var orphans []string
	young := k.now().Add(-SweepGrace).Unix()
	err = index.ScrollAll(ctx, k.store, PointsCollection, index.ScrollRequest{Filter: byKB, Limit: 1000, With: index.With{Payload: true}}, func(r index.Record) error {
		if at, _ := r.Payload["written_at"].(int64); !owned[r.ID] && at <= young {
			orphans = append(orphans, r.ID)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweeping %s: %w", kb, err)
	}
	if len(orphans) > 0 {
		if err := k.store.Delete(ctx, PointsCollection, orphans); err != nil {
			return 0, fmt.Errorf("sweeping %s: %w", kb, err)
		}
		k.logger.Info("swept points no published article owns", "kb", kb, "points", len(orphans))
	}
	return len(orphans), nil
}
