package answer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

func TestHandoffClaim(t *testing.T) {
	ctx := context.Background()
	hs, clock := newTestHandoffStore(t)
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	type step struct {
		name    string
		advance time.Duration
		do      func() (Handoff, error)
		wantErr error
		// wantClaim is the claim stored after the step (nil: none).
		wantClaim *Claim
	}
	claimA := &Claim{Owner: "keyA", Name: "小王", At: start, Until: start.Add(DefaultClaimTTL)}
	renewA := &Claim{Owner: "keyA", Name: "小王", At: start.Add(time.Minute), Until: start.Add(time.Minute + 5*time.Minute)}
	claimB := &Claim{Owner: "keyB", At: start.Add(7 * time.Minute), Until: start.Add(7*time.Minute + DefaultClaimTTL)}
	for _, s := range []step{
		{"A claims", 0, func() (Handoff, error) { return hs.Claim(ctx, h.ID, "keyA", "小王", 0) }, nil, claimA},
		{"B cannot claim A's", 0, func() (Handoff, error) { return hs.Claim(ctx, h.ID, "keyB", "", 0) }, ErrHandoffClaimed, claimA},
		{"B cannot release A's", 0, func() (Handoff, error) { return hs.Release(ctx, h.ID, "keyB") }, ErrHandoffClaimed, claimA},
		{"B cannot resolve A's", 0, func() (Handoff, error) { return hs.Resolve(ctx, h.ID, Resolution{Reply: "ok", By: "keyB"}) }, ErrHandoffClaimed, claimA},
		{"A renews for 5 min", time.Minute, func() (Handoff, error) { return hs.Claim(ctx, h.ID, "keyA", "小王", 5*time.Minute) }, nil, renewA},
		{"after expiry B takes over", 6 * time.Minute, func() (Handoff, error) { return hs.Claim(ctx, h.ID, "keyB", "", 0) }, nil, claimB},
		{"B releases", 0, func() (Handoff, error) { return hs.Release(ctx, h.ID, "keyB") }, nil, nil},
		{"releasing again is a no-op", 0, func() (Handoff, error) { return hs.Release(ctx, h.ID, "keyB") }, nil, nil},
	} {
		clock.Advance(s.advance)
		got, err := s.do()
		if !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.wantErr)
		}
		if err == nil {
			if diff := gocmp.Diff(s.wantClaim, got.Claim); diff != "" {
				t.Errorf("%s: returned claim (-want +got):\n%s", s.name, diff)
			}
		}
		stored, err := hs.Get(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(s.wantClaim, stored.Claim); diff != "" {
			t.Errorf("%s: stored claim (-want +got):\n%s", s.name, diff)
		}
	}
	if _, err := hs.Claim(ctx, h.ID, "keyA", "", 0); err != nil {
		t.Fatal(err)
	}
	r, err := hs.Resolve(ctx, h.ID, Resolution{Reply: "已处理", By: "keyA", NoAnswer: true})
	if err != nil {
		t.Fatalf("the claim's owner resolves: %v", err)
	}
	if !r.Resolution.NoAnswer || r.Resolution.By != "keyA" {
		t.Errorf("resolution %+v lost its label or resolver", r.Resolution)
	}
	if _, err := hs.Claim(ctx, h.ID, "keyA", "", 0); !errors.Is(err, ErrHandoffResolved) {
		t.Errorf("claiming a resolved handoff: err = %v, want ErrHandoffResolved", err)
	}
}

func TestHandoffClaimInvalid(t *testing.T) {
	ctx := context.Background()
	hs, _ := newTestHandoffStore(t)
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, id, owner string
		ttl             time.Duration
		want            error
	}{
		{"no owner", h.ID, " ", 0, ErrInvalidHandoff},
		{"bad owner", h.ID, "\xff", 0, ErrInvalidHandoff},
		{"negative ttl", h.ID, "k", -time.Second, ErrInvalidHandoff},
		{"ttl too long", h.ID, "k", MaxClaimTTL + time.Second, ErrInvalidHandoff},
		{"malformed id", "nope", "k", 0, ErrInvalidHandoff},
		{"unknown id", "6f1c1bde-8b9e-4a47-9a40-6b1a3b1f9a10", "k", 0, ErrHandoffNotFound},
	} {
		if _, err := hs.Claim(ctx, tc.id, tc.owner, "", tc.ttl); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestHandoffClaimConcurrent: of many agents claiming at once, one wins.
func TestHandoffClaimConcurrent(t *testing.T) {
	ctx := context.Background()
	hs, _ := newTestHandoffStore(t)
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = hs.Claim(ctx, h.ID, fmt.Sprintf("key%d", i), "", 0) })
	}
	wg.Wait()
	winner := ""
	for i, err := range errs {
		switch {
		case err == nil:
			if winner != "" {
				t.Errorf("%s and key%d both claimed", winner, i)
			}
			winner = fmt.Sprintf("key%d", i)
		case !errors.Is(err, ErrHandoffClaimed):
			t.Errorf("claim %d: %v", i, err)
		}
	}
	got, err := hs.Get(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Claim == nil || got.Claim.Owner != winner {
		t.Errorf("stored claim %+v, want the winner %s", got.Claim, winner)
	}
}

func TestHandoffFeed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	hs, clock := newTestHandoffStore(t)
	events := hs.Subscribe(ctx)
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hs.Claim(ctx, h.ID, "keyA", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.Release(ctx, h.ID, "keyA"); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.Release(ctx, h.ID, "keyA"); err != nil { // nothing held: no event
		t.Fatal(err)
	}
	if _, err := hs.Resolve(ctx, h.ID, Resolution{Reply: "ok"}); err != nil {
		t.Fatal(err)
	}
	cancel()
	var got []HandoffEvent
	for ev := range events { // closed once ctx ends
		got = append(got, ev)
	}
	at := clock.Now()
	want := []HandoffEvent{
		{Type: HandoffEventCreated, ID: h.ID, KB: "shop", Priority: h.Priority, At: at},
		{Type: HandoffEventClaimed, ID: h.ID, KB: "shop", Priority: h.Priority, At: at},
		{Type: HandoffEventReleased, ID: h.ID, KB: "shop", Priority: h.Priority, At: at},
		{Type: HandoffEventResolved, ID: h.ID, KB: "shop", Priority: h.Priority, At: at},
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// A subscriber that never reads does not block the store.
	_ = hs.Subscribe(context.Background())
	for range feedBuffer + 5 {
		if _, err := hs.Create(context.Background(), sampleHandoff("shop")); err != nil {
			t.Fatal(err)
		}
	}
}

func TestResolutionLabels(t *testing.T) {
	ctx := context.Background()
	hs, _ := newTestHandoffStore(t)
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]Resolution{
		"article and no answer": {Reply: "ok", ArticleID: "ship-1", NoAnswer: true},
		"article id with space": {Reply: "ok", ArticleID: "ship 1"},
	} {
		if _, err := hs.Resolve(ctx, h.ID, r); !errors.Is(err, ErrInvalidHandoff) {
			t.Errorf("%s: err = %v, want ErrInvalidHandoff", name, err)
		}
	}
	got, err := hs.Resolve(ctx, h.ID, Resolution{Reply: "ok", ArticleID: "ship-1"})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := hs.Get(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(got, stored); diff != "" || stored.Resolution.ArticleID != "ship-1" {
		t.Errorf("stored resolution (-resolved +stored):\n%s", diff)
	}
}
