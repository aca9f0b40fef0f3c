package curate

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jieda/jieda/curate/intake"
	"github.com/jieda/jieda/index"
)

// Another replica deciding a candidate holds its decision lease: a
// decision here is refused (ErrCandidateDecided, "being decided") until the
// lease ends or expires; once decided, every other decision is refused.
func TestDecisionLeaseAcrossReplicas(t *testing.T) {
	_, cur := gapsTestEngine(t)
	ctx := context.Background()
	if _, err := cur.Intake(ctx, "shop", []intake.Resolved{{Question: "可以寄到香港吗", Reply: "可以寄到香港，顺丰发货，运费20元。", Ticket: "t-1"}}, Source{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	page, err := cur.List(ctx, CandidateQuery{KB: "shop"})
	if err != nil || len(page.Candidates) != 1 {
		t.Fatalf("want one candidate, got %+v (%v)", page, err)
	}
	id := page.Candidates[0].ID

	// The other replica takes the lease, as claimDecision does there.
	other, ok, err := index.TakeLease(ctx, cur.store, CandidatesCollection, id, decideLease,
		[]index.Condition{index.MatchKeyword("status", StatusPending)}, gapsClock.Now(), decideTTL)
	if err != nil || !ok {
		t.Fatalf("other replica's lease: ok %v, err %v", ok, err)
	}
	for name, decide := range map[string]func() error{
		"approve": func() error { _, err := cur.Approve(ctx, id, Approval{By: "ed"}); return err },
		"reject":  func() error { _, err := cur.Reject(ctx, id, "no", "ed"); return err },
		"merge":   func() error { _, err := cur.Merge(ctx, id, "ship-fee", "ed"); return err },
	} {
		if err := decide(); !errors.Is(err, ErrCandidateDecided) || !strings.Contains(err.Error(), "being decided") {
			t.Errorf("%s while another replica decides: %v, want ErrCandidateDecided (being decided)", name, err)
		}
	}
	if cl, err := cur.Get(ctx, id); err != nil || cl.Status != StatusPending {
		t.Fatalf("after refused decisions: %+v, %v; want still pending", cl, err)
	}

	// The other replica fails and releases: a decision here goes through.
	if err := index.ReleaseLease(ctx, cur.store, CandidatesCollection, id, other); err != nil {
		t.Fatal(err)
	}
	if _, err := cur.Reject(ctx, id, "not ours", "ed"); err != nil {
		t.Fatalf("reject after the release: %v", err)
	}
	if _, err := cur.Approve(ctx, id, Approval{By: "ed"}); !errors.Is(err, ErrCandidateDecided) || !strings.Contains(err.Error(), "is rejected") {
		t.Errorf("approve after the rejection: %v, want ErrCandidateDecided (is rejected)", err)
	}
}

// A replica that died holding the lease keeps the candidate for decideTTL.
func TestDecisionLeaseExpires(t *testing.T) {
	_, cur := gapsTestEngine(t)
	ctx := context.Background()
	if _, err := cur.Intake(ctx, "shop", []intake.Resolved{{Question: "可以寄到香港吗", Reply: "可以寄到香港，顺丰发货，运费20元。", Ticket: "t-1"}}, Source{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	page, err := cur.List(ctx, CandidateQuery{KB: "shop"})
	if err != nil || len(page.Candidates) != 1 {
		t.Fatalf("want one candidate, got %+v (%v)", page, err)
	}
	id := page.Candidates[0].ID
	if _, ok, err := index.TakeLease(ctx, cur.store, CandidatesCollection, id, decideLease, nil, gapsClock.Now(), decideTTL); err != nil || !ok {
		t.Fatalf("dead replica's lease: ok %v, err %v", ok, err)
	}
	if _, err := cur.Reject(ctx, id, "no", "ed"); !errors.Is(err, ErrCandidateDecided) {
		t.Fatalf("reject under the lease: %v", err)
	}
	gapsClock.Advance(decideTTL + 1)
	if _, err := cur.Reject(ctx, id, "no", "ed"); err != nil {
		t.Fatalf("reject after the lease expired: %v", err)
	}
}
