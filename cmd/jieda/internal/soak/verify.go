package soak

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// verify checks, on a freshly started server, that what was acknowledged is there.
func (w *workers) verify(ctx context.Context, rep *Report) error {
	visible, err := w.articleIDs(ctx)
	if err != nil {
		return err
	}
	rep.Imports = Count{Acked: len(w.acked), Cut: len(w.cut)}
	for b := range w.acked {
		if n := batchVisible(visible, b); n != batchSize {
			rep.ImportsLost++
		}
	}
	for b := range w.cut {
		switch n := batchVisible(visible, b); n {
		case batchSize:
		case 0:
			// Invisible to editors: customers must not be answered from it either.
			id, q := batchArticle(b, 0)
			if r, ok := w.ask(ctx, q, ""); ok && r.Answer != nil && r.Answer.ArticleID == id {
				rep.CutAnswered++
			}
		default:
			rep.HalfImported++
		}
	}
	rep.Handoffs, rep.Resolutions, rep.Approvals = len(w.handoffs), len(w.resolved), len(w.approved)
	rep.Asks, rep.ConversationsX, rep.FeedbackAcked = w.asks, w.turns, w.feedback
	// Deliveries settle within a few backoff rounds.
	deadline := time.Now().Add(30 * time.Second)
	for {
		rep.Deliveries, rep.HandoffsLost, rep.ResolvedLost, rep.Undeliverable = map[string]int{}, 0, 0, 0
		pending := 0
		for id := range w.handoffs {
			var h struct {
				Status   string `json:"status"`
				Delivery struct {
					State         string `json:"state"`
					NextAttemptAt string `json:"next_attempt_at"`
				} `json:"delivery"`
			}
			if _, _, ok := w.c.do(ctx, "GET", "/v1/handoffs/"+url.PathEscape(id), w.agent, nil, "", &h); !ok {
				rep.HandoffsLost++
				continue
			}
			if w.resolved[id] && h.Status != "resolved" {
				rep.ResolvedLost++
			}
			rep.Deliveries[h.Delivery.State]++
			switch h.Delivery.State {
			case "delivered":
			case "pending", "retrying":
				pending++
			default:
				rep.Undeliverable++
			}
		}
		if pending == 0 || time.Now().After(deadline) {
			break
		}
		sleep(ctx, time.Second)
	}
	for id := range w.approved {
		var cl struct {
			Status string `json:"status"`
		}
		if _, _, ok := w.c.do(ctx, "GET", "/v1/candidates/"+url.PathEscape(id), w.editor, nil, "", &cl); !ok || cl.Status != "approved" {
			rep.ApprovalsLost++
		}
	}
	return ctx.Err()
}

// articleIDs lists the articles of the soak KB an editor sees.
func (w *workers) articleIDs(ctx context.Context) (map[string]bool, error) {
	ids := map[string]bool{}
	cursor := ""
	for {
		var page struct {
			Articles []struct {
				ID string `json:"id"`
			} `json:"articles"`
			Next string `json:"next"`
		}
		path := "/v1/articles?limit=500&kb=" + soakKB
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		if _, raw, ok := w.c.do(ctx, "GET", path, w.editor, nil, "", &page); !ok {
			return nil, fmt.Errorf("listing articles: %s", raw)
		}
		for _, a := range page.Articles {
			ids[a.ID] = true
		}
		if cursor = page.Next; cursor == "" {
			return ids, nil
		}
	}
}

func batchVisible(ids map[string]bool, b int) int {
	n := 0
	for i := range batchSize {
		if id, _ := batchArticle(b, i); ids[id] {
			n++
		}
	}
	return n
}
