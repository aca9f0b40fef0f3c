package curate

import (
	"context"
	"fmt"
	"strings"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
)

// PastReply is what agents answered to a question like one being asked:
// a review candidate's representative question and best reply (personal
// data already scrubbed, placeholders such as {order_number} left in).
type PastReply struct {
	CandidateID string `json:"candidate_id"`
	Question    string `json:"question"`
	Reply       string `json:"reply"`
	// Members counts the conversations that asked it; Status is the
	// candidate's (pending, approved or merged).
	Members int     `json:"members"`
	Status  string  `json:"status"`
	Score   float64 `json:"score"`
}

// pastReplyFloor is the least cosine similarity of a past reply's
// question to the one asked.
const pastReplyFloor = 0.5

// PastReplies finds the agents' replies to questions like question in kb,
// most similar first, at most limit: the best reply of each pending,
// approved or merged review candidate (rejected ones were judged not
// fit to reuse). It writes nothing.
func (c *Curator) PastReplies(ctx context.Context, kb, question string, limit int) ([]PastReply, error) {
	if strings.TrimSpace(question) == "" || limit < 1 {
		return nil, nil
	}
	encs, err := c.eng.Library.Encode(ctx, []string{c.Scrub(question)}, embed.RoleQuery)
	if err != nil {
		return nil, fmt.Errorf("embedding the question: %w", err)
	}
	hits, err := c.store.Query(ctx, CandidatesCollection, index.QueryRequest{
		Dense: encs[0].Dense, Limit: limit, With: index.With{Payload: true},
		Filter: &index.Filter{Must: []index.Condition{
			index.MatchKeyword("kb", kb), index.MatchAnyKeyword("status", StatusPending, StatusApproved, StatusMerged),
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("searching candidates: %w", err)
	}
	out := make([]PastReply, 0, len(hits))
	for _, h := range hits {
		if float64(h.Score) < pastReplyFloor {
			continue
		}
		cl, err := decodeCluster(h.Record)
		if err != nil {
			return nil, err
		}
		if cl.BestReply == "" {
			continue
		}
		out = append(out, PastReply{CandidateID: cl.ID, Question: cl.Representative, Reply: cl.BestReply,
			Members: cl.Members, Status: cl.Status, Score: float64(h.Score)})
	}
	return out, nil
}
