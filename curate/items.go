package curate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jieda/jieda/index"
)

// ClusterItem is one conversation a candidate came from: the scrubbed
// question and reply, who answered, and the handoff or ticket.
type ClusterItem struct {
	Question  string    `json:"question"`
	Reply     string    `json:"reply"`
	Agent     string    `json:"agent,omitempty"`
	CSAT      int       `json:"csat,omitempty"`
	HandoffID string    `json:"handoff_id,omitempty"`
	Ticket    string    `json:"ticket,omitempty"`
	Source    string    `json:"source,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// ClusterItems lists the conversations candidate id came from, newest
// first, at most limit (the review queue links them to their handoffs).
func (c *Curator) ClusterItems(ctx context.Context, id string, limit int) ([]ClusterItem, error) {
	var out []ClusterItem
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("cluster_id", id)}}
	err := index.ScrollAll(ctx, c.store, ItemsCollection, index.ScrollRequest{Filter: f, Limit: 500, With: index.With{Payload: true}}, func(r index.Record) error {
		p := r.Payload
		s := func(k string) string { v, _ := p[k].(string); return v }
		it := ClusterItem{Question: s("question"), Reply: s("reply"), Agent: s("agent"), HandoffID: s("handoff_id"),
			Ticket: s("ticket"), Source: s("source"), CreatedAt: payloadTime(p, "created_at")}
		switch v := p["csat"].(type) {
		case int64:
			it.CSAT = int(v)
		case float64:
			it.CSAT = int(v)
		}
		out = append(out, it)
		return nil
	})
	if err != nil && !errors.Is(err, index.ErrCollectionNotFound) {
		return nil, fmt.Errorf("listing a candidate's conversations: %w", err)
	}
	slices.SortFunc(out, func(a, b ClusterItem) int { return cmp.Compare(b.CreatedAt.UnixNano(), a.CreatedAt.UnixNano()) })
	return out[:min(len(out), limit)], nil
}
