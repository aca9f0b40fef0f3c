package answer

import (
	"context"
	"encoding/json"
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

// legacyPointID is the id of the i-th question point of an article
// written before point ids named the version (i = -1: the answer point).
func legacyPointID(kb, id string, i int) string {
	return uuid.NewSHA1(pointNamespace, []byte("point\x00"+kb+"\x00"+id+"\x00"+strconv.Itoa(i))).String()
}

// questionPointID is the id of the i-th question point of version v of an
// article; i = -1 is its answer point. Versions have points of their own,
// so an import can write a new version beside the live one and publish
// it with the article's document (see Import).
func questionPointID(kb, id string, v, i int) string {
	return uuid.NewSHA1(pointNamespace, []byte("point2\x00"+kb+"\x00"+id+"\x00"+strconv.Itoa(v)+"\x00"+strconv.Itoa(i))).String()
}

// Library holds the articles of every knowledge base in an index.Store
// and searches them; methods take the KB's name (kb). It is safe for
// concurrent use; imports into the same KB should not run concurrently
// with each other.
type Library struct {
	store  index.Store
	emb    Embedder
	sparse *embed.SparseEncoder
	logger *slog.Logger
	now    func() time.Time
	lex    lexicons // per-KB term statistics for reranking (see lexicon.go)
	cache  articleCache
}

// NewLibrary returns a Library over store, creating its collections and payload
// indexes when they are missing.
func NewLibrary(ctx context.Context, store index.Store, emb Embedder, sparse *embed.SparseEncoder, logger *slog.Logger) (*Library, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if sparse == nil {
		var err error
		if sparse, err = embed.NewSparseEncoder(embed.DefaultSparseConfig()); err != nil {
			return nil, err
		}
	}
	k := &Library{store: store, emb: emb, sparse: sparse, logger: logger, now: time.Now}
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

// storedArticle is an article's document in ArticlesCollection.
type storedArticle struct {
	art    Article
	points int  // question points written (answer point not counted)
	legacy bool // its points have legacy ids (no version)
}

// pointIDs are the ids of the points of the stored version of an article.
func (sa storedArticle) pointIDs(kb string) []string {
	n := max(sa.points, len(sa.art.Questions()))
	ids := make([]string, 0, n+1)
	for j := -1; j < n; j++ {
		if sa.legacy {
			ids = append(ids, legacyPointID(kb, sa.art.ID, j))
		} else {
			ids = append(ids, questionPointID(kb, sa.art.ID, sa.art.Version, j))
		}
	}
	return ids
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
		"version": int64(a.Version),
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
func (k *Library) getStored(ctx context.Context, kb string, ids []string) (map[string]storedArticle, error) {
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
	scheme, _ := p["point_ids"].(int64)
	sa.legacy = scheme < 2
	return sa, nil
}

// Article returns one article of kb.
func (k *Library) Article(ctx context.Context, kb, id string) (Article, error) {
	if err := ValidateID(id); err != nil {
		return Article{}, fmt.Errorf("%w: article id %w", ErrInvalidArticle, err)
	}
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
func (k *Library) Count(ctx context.Context, kb string) (int, error) {
	return k.store.Count(ctx, ArticlesCollection, &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb)}})
}
