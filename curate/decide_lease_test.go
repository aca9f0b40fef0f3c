package curate

import (
	"context"
	"errors"
	"slices"
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

// upsertHook runs before before each Upsert reaches the store.
type upsertHook struct {
	index.Store
	before func(collection string)
}

func (h *upsertHook) Upsert(ctx context.Context, collection string, points []index.Point) error {
	h.before(collection)
	return h.Store.Upsert(ctx, collection, points)
}

// A curation batch holds the candidates it adds to until it has written
// them: an editor deciding one between the batch's read and its write is
// refused (before, the write put an approved candidate back to pending).
// A candidate an editor is deciding is left alone by a batch, whose item
// starts a candidate of its own.
func TestCurationNeverOverwritesADecision(t *testing.T) {
	_, cur := gapsTestEngine(t)
	ctx := context.Background()
	const reply = "可以寄到香港，顺丰发货，运费20元。"
	intakeOne := func(question, ticket string) {
		t.Helper()
		if _, err := cur.Intake(ctx, "shop", []intake.Resolved{{Question: question, Reply: reply, Ticket: ticket}}, Source{Name: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	intakeOne("可以寄到香港吗", "t-1")
	page, err := cur.List(ctx, CandidateQuery{KB: "shop"})
	if err != nil || len(page.Candidates) != 1 {
		t.Fatalf("want one candidate, got %+v (%v)", page, err)
	}
	id := page.Candidates[0].ID

	// An editor approves while the next batch is about to write.
	var during error
	tried := false
	store := cur.store
	cur.store = &upsertHook{Store: store, before: func(collection string) {
		if collection == CandidatesCollection && !tried {
			tried = true
			_, during = cur.Approve(ctx, id, Approval{By: "ed"})
		}
	}}
	intakeOne("能寄到香港吗", "t-2") // the same reply: it joins the candidate
	cur.store = store
	if !tried || !errors.Is(during, ErrCandidateDecided) {
		t.Fatalf("approving while a batch adds to the candidate: tried %v, %v; want ErrCandidateDecided", tried, during)
	}
	cl, err := cur.Get(ctx, id)
	if err != nil || cl.Status != StatusPending || cl.Members != 2 {
		t.Fatalf("after the batch: %+v, %v; want pending with 2 members", cl, err)
	}

	// An editor holds the candidate while a batch runs: the batch's item
	// starts a candidate of its own, and the decision stands.
	release, err := cur.claimDecision(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	intakeOne("香港能不能寄", "t-3")
	release()
	if cl, err := cur.Get(ctx, id); err != nil || cl.Members != 2 {
		t.Fatalf("the batch added to a candidate an editor held: %+v, %v", cl, err)
	}
	if _, err := cur.Approve(ctx, id, Approval{By: "ed"}); err != nil {
		t.Fatal(err)
	}
	intakeOne("寄香港可以吗", "t-4")
	if cl, err := cur.Get(ctx, id); err != nil || cl.Status != StatusApproved {
		t.Fatalf("after another batch: %+v, %v; want approved", cl, err)
	}
	page, err = cur.List(ctx, CandidateQuery{KB: "shop", Status: StatusPending})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range page.Candidates {
		found = found || c.ID != id && slices.Contains(c.Questions, "香港能不能寄")
	}
	if !found {
		t.Fatalf("the item of the batch that found the candidate held has no candidate of its own: %+v", page.Candidates)
	}
}
