package curate

import (
	"context"
	"testing"

	"github.com/jieda/jieda/curate/intake"
)

// CurateAll takes resolved replies in and approves every candidate: the
// KB gains the new article and nothing waits for review.
func TestCurateAll(t *testing.T) {
	eng, cur := gapsTestEngine(t)
	ctx := context.Background()
	reply := "可以寄到香港，顺丰发货，运费20元，3到5个工作日送达。"
	items := []intake.Resolved{
		{Question: "可以寄到香港吗", Reply: reply, Ticket: "t-1"},
		{Question: "香港能寄吗", Reply: reply, Ticket: "t-2"},
		{Question: "你好", Reply: "您好", Ticket: "t-3"}, // a greeting: dropped
	}
	var progress []int
	run, err := cur.CurateAll(ctx, "shop", items, "test", func(n int) { progress = append(progress, n) })
	if err != nil {
		t.Fatal(err)
	}
	if run.Resolved != 3 || run.DistinctReplies != 2 || run.Dropped != 1 || run.PromotedArticles != 1 || len(progress) != 1 || progress[0] != 3 {
		t.Errorf("run %+v, progress %v: want 3 resolved, 2 distinct replies, 1 dropped, 1 article promoted", run, progress)
	}
	page, err := cur.List(ctx, CandidateQuery{KB: "shop", Status: StatusPending})
	if err != nil || len(page.Candidates) != 0 {
		t.Errorf("pending after CurateAll: %+v, %v", page.Candidates, err)
	}
	n, err := eng.Library.Count(ctx, "shop")
	if err != nil || n != len(gapsArticles())+1 {
		t.Errorf("KB holds %d articles (%v), want %d", n, err, len(gapsArticles())+1)
	}
}
