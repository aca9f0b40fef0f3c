package answer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
)

// Collections the KB keeps in the store.
const (
	// PointsCollection holds one point per question (standard and variant)
	// and one per answer body, with dense and lexical vectors.
	PointsCollection = "kb_points"
	// ArticlesCollection holds each article as JSON, in payload-only points.
	ArticlesCollection = "articles"
)

// Point kinds (the "kind" payload field of PointsCollection).
const (
	KindQuestion = "question"
	KindVariant  = "variant"
	KindAnswer   = "answer"
)

// Embedder is what the KB needs from a sentence encoder; *embed.Embedder
// satisfies it.
type Embedder interface {
	Embed(ctx context.Context, texts []string, role embed.Role) ([][]float32, error)
	Dimension() int
	Normalize(text string) (string, error)
}

var _ Embedder = (*embed.Embedder)(nil)

// pointNamespace roots the deterministic point ids of articles and their points.
var pointNamespace = uuid.MustParse("5b3c1f0e-7a43-4d3e-9c4f-6a1e2b0d9c17")

// articlePointID is the id of an article's document in ArticlesCollection.
func articlePointID(kb, id string) string {
	return uuid.NewSHA1(pointNamespace, []byte("article\x00"+kb+"\x00"+id)).String()
}

// questionPointID is the id of the i-th question point of an article; i = -1 is its answer point.
func questionPointID(kb, id string, i int) string {
	return uuid.NewSHA1(pointNamespace, []byte("point\x00"+kb+"\x00"+id+"\x00"+strconv.Itoa(i))).String()
}

// KB stores knowledge base articles in an index.Store and searches them.
// It is safe for concurrent use; imports into the same KB should not run
// concurrently with each other.
type KB struct {
	store  index.Store
	emb    Embedder
	sparse *embed.SparseEncoder
	logger *slog.Logger
	now    func() time.Time
	lex    lexicons // per-KB term statistics for reranking (see lexicon.go)
}

// NewKB returns a KB over store, creating its collections and payload
// indexes when they are missing.
func NewKB(ctx context.Context, store index.Store, emb Embedder, sparse *embed.SparseEncoder, logger *slog.Logger) (*KB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if sparse == nil {
		var err error
		if sparse, err = embed.NewSparseEncoder(embed.DefaultSparseConfig()); err != nil {
			return nil, err
		}
	}
	k := &KB{store: store, emb: emb, sparse: sparse, logger: logger, now: time.Now}
	if err := index.Ensure(ctx, store, index.CollectionConfig{Name: PointsCollection, Dim: emb.Dimension(), Sparse: true}, map[string]index.FieldType{
		"kb": index.FieldKeyword, "article_id": index.FieldKeyword, "kind": index.FieldKeyword, "status": index.FieldKeyword,
		"locale": index.FieldKeyword, "category": index.FieldKeyword, "valid_from": index.FieldDatetime, "valid_to": index.FieldDatetime,
	}); err != nil {
		return nil, err
	}
	if err := index.Ensure(ctx, store, index.CollectionConfig{Name: ArticlesCollection, Sparse: true}, map[string]index.FieldType{
		"kb": index.FieldKeyword, "article_id": index.FieldKeyword, "status": index.FieldKeyword,
		"updated_at": index.FieldDatetime, "review_by": index.FieldDatetime,
	}); err != nil {
		return nil, err
	}
	return k, nil
}

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

// Import validates every article, then upserts them into kb by id: an
// article that exists is replaced (its version goes up when its content
// changed), its question points rewritten and stale ones deleted. Running
// the same import twice leaves the store as the first run did.
func (k *KB) Import(ctx context.Context, kb string, arts []Article, opts ImportOptions) (ImportStats, error) {
	var st ImportStats
	if err := ValidateID(kb); err != nil {
		return st, fmt.Errorf("%w: %w", ErrInvalidKB, err)
	}
	var errs []error
	for i := range arts {
		if arts[i].KB != "" && arts[i].KB != kb {
			errs = append(errs, fmt.Errorf("article %d (%s): kb %q differs from %q", i, arts[i].ID, arts[i].KB, kb))
		}
		if err := arts[i].Validate(); err != nil {
			errs = append(errs, fmt.Errorf("article %d (%s): %w", i, arts[i].ID, err))
		}
	}
	if len(errs) > 0 {
		return st, errors.Join(errs...)
	}
	batch := opts.BatchSize
	if batch <= 0 {
		batch = 64
	}
	for start := 0; start < len(arts); start += batch {
		end := min(start+batch, len(arts))
		if err := k.importBatch(ctx, kb, arts[start:end], &st); err != nil {
			return st, err
		}
		if opts.Progress != nil {
			opts.Progress(end, len(arts))
		}
	}
	return st, nil
}

// storedArticle is an article's document in ArticlesCollection.
type storedArticle struct {
	art    Article
	points int // question points written (answer point not counted)
}

func (k *KB) importBatch(ctx context.Context, kb string, arts []Article, st *ImportStats) error {
	ids := make([]string, len(arts))
	for i := range arts {
		ids[i] = arts[i].ID
	}
	old, err := k.getStored(ctx, kb, ids)
	if err != nil {
		return err
	}
	now := k.now().UTC().Truncate(time.Second)
	var (
		texts  []string
		points []index.Point
		docs   []index.Point
		stale  []string
	)
	for i := range arts {
		a := arts[i]
		a.KB = kb
		a.applyDefaults()
		prev, exists := old[a.ID]
		switch {
		case !exists:
			a.CreatedAt, a.UpdatedAt = now, now
			st.Created++
		case sameContent(&prev.art, &a):
			a.CreatedAt, a.UpdatedAt, a.Version = prev.art.CreatedAt, prev.art.UpdatedAt, prev.art.Version
			st.Unchanged++
		default:
			a.CreatedAt, a.UpdatedAt = prev.art.CreatedAt, now
			a.Version = max(a.Version, prev.art.Version+1)
			st.Updated++
		}
		st.Articles++
		qs := a.Questions()
		for j := len(qs); j < prev.points; j++ {
			stale = append(stale, questionPointID(kb, a.ID, j))
		}
		base := a.pointPayload()
		for j, q := range qs {
			kind := KindVariant
			if j == 0 {
				kind = KindQuestion
			}
			points = append(points, index.Point{ID: questionPointID(kb, a.ID, j), Payload: withKind(base, kind, q)})
			texts = append(texts, q)
		}
		points = append(points, index.Point{ID: questionPointID(kb, a.ID, -1), Payload: withKind(base, KindAnswer, a.Answer)})
		texts = append(texts, a.Answer)
		js, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("encoding article %s: %w", a.ID, err)
		}
		docs = append(docs, index.Point{ID: articlePointID(kb, a.ID), Payload: index.Payload{
			"kb": kb, "article_id": a.ID, "status": string(a.Status), "updated_at": a.UpdatedAt.Format(time.RFC3339),
			"points": int64(len(qs)), "article": string(js),
		}})
		if a.ReviewBy != nil {
			docs[len(docs)-1].Payload["review_by"] = a.ReviewBy.UTC().Format(time.RFC3339)
		}
	}
	vecs, err := k.emb.Embed(ctx, texts, embed.RolePassage)
	if err != nil {
		return fmt.Errorf("embedding articles: %w", err)
	}
	for i := range points {
		points[i].Dense = vecs[i]
		norm, err := k.emb.Normalize(texts[i])
		if err != nil {
			return fmt.Errorf("normalizing %q: %w", texts[i], err)
		}
		sv := k.sparse.EncodeDocument(norm)
		if len(sv.Indices) > 0 {
			points[i].Sparse = &index.Sparse{Indices: sv.Indices, Values: sv.Values}
		}
	}
	if len(stale) > 0 {
		if err := k.store.Delete(ctx, PointsCollection, stale); err != nil {
			return fmt.Errorf("deleting stale question points: %w", err)
		}
	}
	if err := k.store.Upsert(ctx, PointsCollection, points); err != nil {
		return fmt.Errorf("writing question points: %w", err)
	}
	if err := k.store.Upsert(ctx, ArticlesCollection, docs); err != nil {
		return fmt.Errorf("writing articles: %w", err)
	}
	if err := k.lexiconUpdate(kb, arts); err != nil {
		return err
	}
	st.Points += len(points)
	return nil
}

// sameContent reports whether two articles differ only in bookkeeping
// (version and timestamps).
func sameContent(a, b *Article) bool {
	x, y := *a, *b
	x.Version, y.Version = 0, 0
	x.CreatedAt, y.CreatedAt = time.Time{}, time.Time{}
	x.UpdatedAt, y.UpdatedAt = time.Time{}, time.Time{}
	jx, err1 := json.Marshal(x)
	jy, err2 := json.Marshal(y)
	return err1 == nil && err2 == nil && string(jx) == string(jy)
}

// pointPayload is the payload every point of the article shares.
func (a *Article) pointPayload() index.Payload {
	p := index.Payload{
		"kb": a.KB, "article_id": a.ID, "category": a.Category, "locale": a.Locale, "status": string(a.Status),
	}
	if a.ValidFrom != nil {
		p["valid_from"] = a.ValidFrom.Format(time.RFC3339)
	}
	if a.ValidTo != nil {
		p["valid_to"] = a.ValidTo.Format(time.RFC3339)
	}
	if len(a.Scope) > 0 {
		scope := make(map[string]any, len(a.Scope))
		for k, v := range a.Scope {
			scope[k] = v
		}
		p["scope"] = scope
	}
	return p
}

func withKind(base index.Payload, kind, text string) index.Payload {
	p := make(index.Payload, len(base)+2)
	for k, v := range base {
		p[k] = v
	}
	p["kind"], p["text"] = kind, text
	return p
}

// getStored reads the stored documents of the given article ids.
func (k *KB) getStored(ctx context.Context, kb string, ids []string) (map[string]storedArticle, error) {
	pids := make([]string, len(ids))
	for i, id := range ids {
		pids[i] = articlePointID(kb, id)
	}
	recs, err := k.store.Get(ctx, ArticlesCollection, pids, index.With{Payload: true})
	if err != nil {
		return nil, fmt.Errorf("reading articles: %w", err)
	}
	out := make(map[string]storedArticle, len(recs))
	for _, r := range recs {
		sa, err := decodeStored(r.Payload)
		if err != nil {
			return nil, err
		}
		out[sa.art.ID] = sa
	}
	return out, nil
}

func decodeStored(p index.Payload) (storedArticle, error) {
	var sa storedArticle
	js, _ := p["article"].(string)
	if err := json.Unmarshal([]byte(js), &sa.art); err != nil {
		return sa, fmt.Errorf("decoding stored article %v: %w", p["article_id"], err)
	}
	if n, ok := p["points"].(int64); ok {
		sa.points = int(n)
	}
	return sa, nil
}

// Article returns one article of kb.
func (k *KB) Article(ctx context.Context, kb, id string) (Article, error) {
	m, err := k.getStored(ctx, kb, []string{id})
	if err != nil {
		return Article{}, err
	}
	sa, ok := m[id]
	if !ok {
		return Article{}, fmt.Errorf("%w: %s/%s", ErrArticleNotFound, kb, id)
	}
	return sa.art, nil
}

// Count returns how many articles kb holds.
func (k *KB) Count(ctx context.Context, kb string) (int, error) {
	return k.store.Count(ctx, ArticlesCollection, &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb)}})
}
