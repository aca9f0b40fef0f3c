package curate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jieda/jieda/index"
)

// Candidate statuses.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRejected = "rejected"
	StatusMerged   = "merged"
)

// Reply is one agent wording of a cluster's answer.
type Reply struct {
	Text string `json:"text"`
	// Support is how many members gave it; CSATSum/CSATCount their ratings.
	Support   int       `json:"support"`
	CSATSum   int       `json:"csat_sum,omitempty"`
	CSATCount int       `json:"csat_count,omitempty"`
	Last      time.Time `json:"last"`
}

// score orders replies: customer satisfaction, then support, then recency.
func (r Reply) score() (float64, int, int64) {
	csat := 3.0 // unrated counts as neutral
	if r.CSATCount > 0 {
		csat = float64(r.CSATSum) / float64(r.CSATCount)
	}
	return csat, r.Support, r.Last.UnixNano()
}

// Candidate is one review item: candidate questions that ask the same
// thing, either as variants of an existing article or as a new article.
type Candidate struct {
	ID     string `json:"id"`
	KB     string `json:"kb"`
	Status string `json:"status"`
	Kind   string `json:"kind"`
	// ArticleID is the article a variant suggestion extends (its question in ArticleQuestion).
	ArticleID       string `json:"article_id,omitempty"`
	ArticleQuestion string `json:"article_question,omitempty"`
	// Representative is the question shown for the cluster.
	Representative string `json:"representative"`
	// Questions are the distinct member questions (scrubbed), first seen first.
	Questions []string `json:"questions"`
	// Replies are the distinct agent replies, best first (BestReply is the first).
	Replies   []Reply `json:"replies"`
	BestReply string  `json:"best_reply"`
	// Members counts the conversations that asked it; Handoffs those that
	// were handoffs it would have answered.
	Members  int `json:"members"`
	Handoffs int `json:"handoffs"`
	// Run is the import run that created the candidate, if any.
	Run string `json:"run,omitempty"`
	// Impact orders the review queue: Members + Handoffs.
	Impact    int       `json:"impact"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Decision records what an editor did.
	Decision *Decision `json:"decision,omitempty"`

	dense  []float32
	sparse *index.Sparse
	isNew  bool
}

// Decision is an editor's verdict on a cluster.
type Decision struct {
	Action    string    `json:"action"` // approve, reject, merge
	By        string    `json:"by,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	At        time.Time `json:"at"`
	ArticleID string    `json:"article_id,omitempty"`
	Version   int       `json:"version,omitempty"`
	// Added counts variant questions added to the article.
	Added int `json:"added,omitempty"`
}

// maxReplies bounds the distinct replies a cluster keeps.
const maxReplies = 10

// addMember adds an item's question and reply.
func (cl *Candidate) addMember(p *pending, src Source, maxQuestions int, now time.Time) {
	cl.Members++
	if src.HandoffID != "" {
		cl.Handoffs++
	}
	cl.Impact = cl.Members + cl.Handoffs
	cl.UpdatedAt = now
	if len(cl.Questions) < maxQuestions && !slices.ContainsFunc(cl.Questions, func(q string) bool { return sameText(q, p.question) }) {
		cl.Questions = append(cl.Questions, p.question)
	}
	i := slices.IndexFunc(cl.Replies, func(r Reply) bool { return sameText(r.Text, p.reply) })
	if i < 0 {
		cl.Replies = append(cl.Replies, Reply{Text: p.reply})
		i = len(cl.Replies) - 1
	}
	r := &cl.Replies[i]
	r.Support++
	r.Last = now
	if p.item.CSAT != nil {
		r.CSATSum += *p.item.CSAT
		r.CSATCount++
	}
	slices.SortStableFunc(cl.Replies, func(a, b Reply) int {
		ac, as, al := a.score()
		bc, bs, bl := b.score()
		return cmp.Or(cmp.Compare(bc, ac), cmp.Compare(bs, as), cmp.Compare(bl, al))
	})
	if len(cl.Replies) > maxReplies {
		cl.Replies = cl.Replies[:maxReplies]
	}
	cl.BestReply = cl.Replies[0].Text
}

// point is the cluster's stored form.
func (cl *Candidate) point() (index.Point, error) {
	js, err := json.Marshal(cl)
	if err != nil {
		return index.Point{}, fmt.Errorf("encoding candidate %s: %w", cl.ID, err)
	}
	p := index.Payload{
		"kb": cl.KB, "status": cl.Status, "kind": cl.Kind, "impact": int64(cl.Impact),
		"updated_at": cl.UpdatedAt.UTC().Format(time.RFC3339Nano), "cluster": string(js),
	}
	if cl.ArticleID != "" {
		p["article_id"] = cl.ArticleID
	}
	if cl.Run != "" {
		p["run"] = cl.Run
	}
	return index.Point{ID: cl.ID, Payload: p, Dense: cl.dense, Sparse: cl.sparse}, nil
}

func decodeCluster(r index.Record) (*Candidate, error) {
	js, _ := r.Payload["cluster"].(string)
	var cl Candidate
	if err := json.Unmarshal([]byte(js), &cl); err != nil {
		return nil, fmt.Errorf("decoding candidate %s: %w", r.ID, err)
	}
	cl.dense, cl.sparse = r.Dense, r.Sparse
	return &cl, nil
}
