package answer

import (
	"context"
	"fmt"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
)

// Encoded is a text's dense and lexical vectors, as the KB indexes them.
type Encoded struct {
	Normalized string
	Dense      []float32
	Sparse     *index.Sparse // nil when the text has no lexical terms
}

// Encode embeds texts with the KB's model and lexical encoder (role says
// whether they are questions asked or passages stored).
func (k *Library) Encode(ctx context.Context, texts []string, role embed.Role) ([]Encoded, error) {
	vecs, err := k.emb.Embed(ctx, texts, role)
	if err != nil {
		return nil, fmt.Errorf("embedding: %w", err)
	}
	out := make([]Encoded, len(texts))
	for i, t := range texts {
		norm, err := k.emb.Normalize(t)
		if err != nil {
			return nil, fmt.Errorf("normalizing %q: %w", t, err)
		}
		out[i] = Encoded{Normalized: norm, Dense: vecs[i]}
		sv := k.sparse.EncodeDocument(norm)
		if role == embed.RoleQuery {
			sv = k.sparse.EncodeQuery(norm)
		}
		if len(sv.Indices) > 0 {
			out[i].Sparse = &index.Sparse{Indices: sv.Indices, Values: sv.Values}
		}
	}
	return out, nil
}

// Dimension is the dense vector length.
func (k *Library) Dimension() int { return k.emb.Dimension() }

// Store is the store the KB lives in (curation keeps its records there too).
func (k *Library) Store() index.Store { return k.store }

// AnswerHit is an article whose answer body matches a text.
type AnswerHit struct {
	ArticleID string  `json:"article_id"`
	Answer    string  `json:"answer"`
	Score     float64 `json:"score"`
}

// SearchAnswers finds kb's published articles whose answer body best
// matches text lexically (an agent's reply against the KB's answers).
func (k *Library) SearchAnswers(ctx context.Context, kb, text string, limit int) ([]AnswerHit, error) {
	norm, err := k.emb.Normalize(text)
	if err != nil {
		return nil, err
	}
	sv := k.sparse.EncodeQuery(norm)
	if len(sv.Indices) == 0 {
		return nil, nil
	}
	f := &index.Filter{Must: []index.Condition{
		index.MatchKeyword("kb", kb), index.MatchKeyword("kind", KindAnswer), index.MatchKeyword("status", string(StatusPublished)),
	}}
	pts, err := k.store.Query(ctx, PointsCollection, index.QueryRequest{
		Sparse: &index.Sparse{Indices: sv.Indices, Values: sv.Values}, Filter: f, Limit: limit, With: index.With{Payload: true}})
	if err != nil {
		return nil, fmt.Errorf("searching answers: %w", err)
	}
	out := make([]AnswerHit, 0, len(pts))
	for _, p := range pts {
		id, _ := p.Payload["article_id"].(string)
		txt, _ := p.Payload["text"].(string)
		out = append(out, AnswerHit{ArticleID: id, Answer: txt, Score: float64(p.Score)})
	}
	return out, nil
}
