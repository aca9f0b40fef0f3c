package curate

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/curate/intake"
)

func TestPastReplies(t *testing.T) {
	_, cur := gapsTestEngine(t)
	ctx := context.Background()
	items := []intake.Resolved{
		{Question: "可以寄到香港吗", Reply: "可以寄到香港，顺丰发货，运费20元，3到5个工作日送达。", Ticket: "t-1"},
		{Question: "能开增值税专用发票吗", Reply: "可以开专票，请在订单详情页填写公司税号后申请。", Ticket: "t-2"},
	}
	if _, err := cur.Intake(ctx, "shop", items, Source{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	page, err := cur.List(ctx, CandidateQuery{KB: "shop"})
	if err != nil || len(page.Candidates) != 2 {
		t.Fatalf("candidates: %+v, %v", page, err)
	}
	for _, cl := range page.Candidates {
		its, err := cur.ClusterItems(ctx, cl.ID, 10)
		if err != nil || len(its) != 1 || its[0].Question != cl.Representative || its[0].Ticket == "" || its[0].Source != "test" {
			t.Errorf("the conversations of %s: %+v, %v", cl.Representative, its, err)
		}
	}
	got, err := cur.PastReplies(ctx, "shop", "可以寄到香港吗？", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[0].Reply != items[0].Reply || got[0].Question != "可以寄到香港吗" {
		t.Fatalf("past replies for the Hong Kong question: %+v", got)
	}
	// Rejected candidates are not offered again; other KBs are not searched.
	if _, err := cur.Reject(ctx, got[0].CandidateID, "outdated", "editor"); err != nil {
		t.Fatal(err)
	}
	after, err := cur.PastReplies(ctx, "shop", "可以寄到香港吗？", 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range after {
		if r.CandidateID == got[0].CandidateID {
			t.Errorf("a rejected candidate's reply is offered: %+v", r)
		}
	}
	other, err := cur.PastReplies(ctx, "other", "可以寄到香港吗？", 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]PastReply{}, other); diff != "" {
		t.Errorf("another KB (-want +got):\n%s", diff)
	}
}
