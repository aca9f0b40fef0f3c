package answer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer/answertest"
	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
)

// openHandoffStore opens a real embedded store in dir and a HandoffStore
// over it; the store is closed at cleanup unless the test closed it.
func openHandoffStore(t *testing.T, dir string) (*HandoffStore, index.Store) {
	t.Helper()
	ctx := context.Background()
	cfg := embedded.DefaultConfig()
	cfg.Path = dir
	cfg.NoSync = true
	s, err := embedded.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, index.ErrClosed) {
			t.Error(err)
		}
	})
	hs, err := NewHandoffStore(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	return hs, s
}

func newTestHandoffStore(t *testing.T) (*HandoffStore, *answertest.Clock) {
	t.Helper()
	hs, _ := openHandoffStore(t, t.TempDir())
	clock := answertest.NewClock()
	hs.now = clock.Now
	return hs, clock
}

func sampleHandoff(kb string) Handoff {
	return Handoff{
		KB:             kb,
		ConversationID: "conv-1",
		Question:       "我的快递三天了还没到，怎么回事？",
		Normalized:     "我的快递三天了还没到 怎么回事",
		Locale:         "zh-CN",
		Category:       "shipping",
		Turns: []Turn{
			{Role: RoleCustomer, Text: "你好", At: time.Date(2025, 3, 1, 8, 59, 0, 0, time.UTC)},
			{Role: RoleBot, Text: "您好，请问有什么可以帮您？"},
			{Role: RoleCustomer, Text: "我的快递三天了还没到，怎么回事？"},
		},
		Candidates: []Candidate{{ArticleID: "ship-1", Question: "快递多久能到？", Kind: KindQuestion, Score: 0.42, DenseScore: 0.61}},
		Confidence: 0.31,
		Reason:     ReasonLowConfidence,
		Customer:   Customer{ID: "c-42", Tier: "gold"},
		Sentiment:  -0.4,
	}
}

func TestHandoffPriority(t *testing.T) {
	for _, tc := range []struct {
		reason    HandoffReason
		tier      string
		sentiment float64
		want      int
	}{
		{ReasonOutOfScope, "", 0, 5},
		{ReasonLowConfidence, "regular", 0.5, 10},
		{ReasonAmbiguous, "", 0, 10},
		{ReasonExpiredAnswer, "", 0, 20},
		{ReasonCustomerRequest, "", 0, 30},
		{ReasonComplaint, "", 0, 40},
		{ReasonLowConfidence, "silver", 0, 15},
		{ReasonLowConfidence, " Gold ", 0, 25},
		{ReasonLowConfidence, "VIP", 0, 40},
		{ReasonLowConfidence, "platinum", -0.3, 50},
		{ReasonLowConfidence, "", -0.29, 10},
		{ReasonLowConfidence, "", -0.6, 35},
		{ReasonComplaint, "svip", -1, 95},
		{ReasonLowConfidence, "", math.NaN(), 10},
		{"bogus", "", 0, 0},
	} {
		if got := HandoffPriority(tc.reason, tc.tier, tc.sentiment); got != tc.want {
			t.Errorf("HandoffPriority(%q, %q, %v) = %d, want %d", tc.reason, tc.tier, tc.sentiment, got, tc.want)
		}
	}
}

func TestHandoffCreateGet(t *testing.T) {
	ctx := context.Background()
	hs, clock := newTestHandoffStore(t)
	in := sampleHandoff("shop")
	h, err := hs.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := index.CanonicalID(h.ID); err != nil {
		t.Errorf("id %q: %v", h.ID, err)
	}
	want := in
	want.ID = h.ID
	want.Priority = 10 + 15 + 10 // low confidence, gold, sentiment -0.4
	want.Status = HandoffOpen
	want.CreatedAt, want.UpdatedAt = clock.Now(), clock.Now()
	want.Delivery = Delivery{State: DeliveryPending, Event: EventHandoffCreated, NextAttemptAt: clock.Now()}
	if diff := gocmp.Diff(want, h); diff != "" {
		t.Errorf("Create (-want +got):\n%s", diff)
	}
	got, err := hs.Get(ctx, strings.ToUpper(h.ID))
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}

	// A priority the caller sets is kept.
	in.Priority = 77
	h2, err := hs.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if h2.Priority != 77 || h2.ID == h.ID {
		t.Errorf("second handoff: priority %d id %s (first %s)", h2.Priority, h2.ID, h.ID)
	}
}

func TestHandoffCreateInvalid(t *testing.T) {
	ctx := context.Background()
	hs, _ := newTestHandoffStore(t)
	for name, mutate := range map[string]func(h *Handoff){
		"no kb":              func(h *Handoff) { h.KB = "" },
		"bad kb":             func(h *Handoff) { h.KB = "a b" },
		"empty question":     func(h *Handoff) { h.Question = "  " },
		"invalid utf8":       func(h *Handoff) { h.Question = "bad \xff" },
		"huge question":      func(h *Handoff) { h.Question = strings.Repeat("问", maxHandoffText) },
		"bad turn role":      func(h *Handoff) { h.Turns[0].Role = "robot" },
		"bad turn text":      func(h *Handoff) { h.Turns[1].Text = "\xc3" },
		"bad tier":           func(h *Handoff) { h.Customer.Tier = "\xff" },
		"unknown reason":     func(h *Handoff) { h.Reason = "bored" },
		"no reason":          func(h *Handoff) { h.Reason = "" },
		"confidence above 1": func(h *Handoff) { h.Confidence = 1.5 },
		"confidence NaN":     func(h *Handoff) { h.Confidence = math.NaN() },
		"sentiment below -1": func(h *Handoff) { h.Sentiment = -2 },
		"priority too high":  func(h *Handoff) { h.Priority = MaxHandoffPriority + 1 },
		"negative priority":  func(h *Handoff) { h.Priority = -3 },
		"NaN candidate":      func(h *Handoff) { h.Candidates[0].Score = math.NaN() },
	} {
		t.Run(name, func(t *testing.T) {
			h := sampleHandoff("shop")
			mutate(&h)
			if _, err := hs.Create(ctx, h); !errors.Is(err, ErrInvalidHandoff) {
				t.Errorf("Create: err = %v, want ErrInvalidHandoff", err)
			}
		})
	}
	page, err := hs.List(ctx, HandoffQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Handoffs) != 0 {
		t.Errorf("invalid handoffs were stored: %d", len(page.Handoffs))
	}
}

func TestHandoffGetUnknown(t *testing.T) {
	ctx := context.Background()
	hs, _ := newTestHandoffStore(t)
	for _, id := range []string{"", "nope", "0e6f1c52-3b7d-4f4e-8a0b-9d2c7e5a1f34", "0e6f1c523b7d4f4e8a0b9d2c7e5a1f34", "../../etc"} {
		want := ErrInvalidHandoff // not a UUID: the caller's mistake
		if id == "0e6f1c52-3b7d-4f4e-8a0b-9d2c7e5a1f34" {
			want = ErrHandoffNotFound
		}
		if _, err := hs.Get(ctx, id); !errors.Is(err, want) {
			t.Errorf("Get(%q): err = %v, want %v", id, err, want)
		}
		if _, err := hs.Resolve(ctx, id, Resolution{Reply: "ok"}); !errors.Is(err, want) {
			t.Errorf("Resolve(%q): err = %v, want %v", id, err, want)
		}
	}
}

// listAll pages through q with the given page size.
func listAll(t *testing.T, hs *HandoffStore, q HandoffQuery) []Handoff {
	t.Helper()
	var all []Handoff
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		page, err := hs.List(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Handoffs) > q.Limit && q.Limit > 0 {
			t.Fatalf("page of %d, limit %d", len(page.Handoffs), q.Limit)
		}
		all = append(all, page.Handoffs...)
		if page.Next == "" {
			return all
		}
		q.Cursor = page.Next
	}
}

func handoffIDs(hs []Handoff) []string {
	ids := make([]string, len(hs))
	for i, h := range hs {
		ids[i] = h.ID
	}
	return ids
}

func TestHandoffListOrderAndPaging(t *testing.T) {
	ctx := context.Background()
	hs, clock := newTestHandoffStore(t)
	prios := []int{10, 40, 70, 40, 10, 70, 40}
	var created []Handoff
	for i := range 35 {
		h := sampleHandoff([]string{"shop", "brand"}[i%2])
		h.Priority = prios[i%len(prios)]
		// Every third handoff shares its millisecond with the one before.
		if i%3 != 1 {
			clock.Advance(time.Millisecond)
		}
		c, err := hs.Create(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, c)
	}

	ordered := func(t *testing.T, got []Handoff) {
		t.Helper()
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			if c := cmp.Or(cmp.Compare(b.Priority, a.Priority), a.CreatedAt.Compare(b.CreatedAt)); c > 0 {
				t.Errorf("position %d: (priority %d, created %v) listed before (priority %d, created %v)",
					i, a.Priority, a.CreatedAt, b.Priority, b.CreatedAt)
			}
		}
	}

	whole := listAll(t, hs, HandoffQuery{Limit: 500})
	ordered(t, whole)
	wantSet := slices.Sorted(slices.Values(handoffIDs(created)))
	if diff := gocmp.Diff(wantSet, slices.Sorted(slices.Values(handoffIDs(whole)))); diff != "" {
		t.Fatalf("one page lists other handoffs (-want +got):\n%s", diff)
	}
	if whole[0].Priority != 70 || whole[len(whole)-1].Priority != 10 {
		t.Errorf("first priority %d, last %d", whole[0].Priority, whole[len(whole)-1].Priority)
	}
	for _, limit := range []int{1, 2, 4, 7, 34, 35, 36} {
		got := listAll(t, hs, HandoffQuery{Limit: limit})
		if diff := gocmp.Diff(handoffIDs(whole), handoffIDs(got)); diff != "" {
			t.Errorf("limit %d: pages differ from one page (-want +got):\n%s", limit, diff)
		}
	}
	// The default page size is 50.
	page, err := hs.List(ctx, HandoffQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Handoffs) != 35 || page.Next != "" {
		t.Errorf("default page: %d handoffs, next %q", len(page.Handoffs), page.Next)
	}

	// Filtered by KB.
	brand := listAll(t, hs, HandoffQuery{KBs: []string{"brand"}, Limit: 3})
	ordered(t, brand)
	if len(brand) != 17 {
		t.Errorf("brand: %d handoffs, want 17", len(brand))
	}
	for _, h := range brand {
		if h.KB != "brand" {
			t.Errorf("brand listing has %s of kb %s", h.ID, h.KB)
		}
	}
	if both := listAll(t, hs, HandoffQuery{KBs: []string{"brand", "shop"}, Limit: 4}); len(both) != 35 {
		t.Errorf("brand+shop: %d handoffs, want 35", len(both))
	}
	if none := listAll(t, hs, HandoffQuery{KBs: []string{"other"}}); len(none) != 0 {
		t.Errorf("other kb: %d handoffs", len(none))
	}

	// Resolving handoffs between pages of open ones drops them without
	// skipping or repeating the others.
	q := HandoffQuery{Status: HandoffOpen, Limit: 5}
	first, err := hs.List(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var resolved []string
	for _, i := range []int{2, 9, 20, 30} { // one on this page, three ahead
		id := whole[i].ID
		if _, err := hs.Resolve(ctx, id, Resolution{Reply: "done"}); err != nil {
			t.Fatal(err)
		}
		resolved = append(resolved, id)
	}
	q.Cursor = first.Next
	rest := listAll(t, hs, q)
	got := append(handoffIDs(first.Handoffs), handoffIDs(rest)...)
	var want []string
	for i, h := range whole {
		if i < 5 || !slices.Contains(resolved, h.ID) {
			want = append(want, h.ID)
		}
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("open handoffs paged across resolutions (-want +got):\n%s", diff)
	}
	res := listAll(t, hs, HandoffQuery{Status: HandoffResolved, Limit: 2})
	if diff := gocmp.Diff(slices.Sorted(slices.Values(resolved)), slices.Sorted(slices.Values(handoffIDs(res)))); diff != "" {
		t.Errorf("resolved handoffs (-want +got):\n%s", diff)
	}
}

func TestHandoffListInvalid(t *testing.T) {
	ctx := context.Background()
	hs, _ := newTestHandoffStore(t)
	for name, q := range map[string]HandoffQuery{
		"limit too high": {Limit: 501},
		"negative limit": {Limit: -1},
		"bad status":     {Status: "closed"},
		"bad kb":         {KBs: []string{"ok", "not ok"}},
		"bad cursor":     {Cursor: "garbage!"},
	} {
		if _, err := hs.List(ctx, q); !errors.Is(err, ErrInvalidHandoff) {
			t.Errorf("%s: err = %v, want ErrInvalidHandoff", name, err)
		}
	}
}

func TestHandoffResolve(t *testing.T) {
	ctx := context.Background()
	hs, clock := newTestHandoffStore(t)
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	csat := 4
	got, err := hs.Resolve(ctx, h.ID, Resolution{Reply: "已为您催件，预计明天送达。", Agent: "小王", CSAT: &csat, ResolvedAt: time.Unix(1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	want := h
	want.Status = HandoffResolved
	want.UpdatedAt = clock.Now()
	want.Resolution = &Resolution{Reply: "已为您催件，预计明天送达。", Agent: "小王", CSAT: &csat, ResolvedAt: clock.Now()}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("Resolve (-want +got):\n%s", diff)
	}
	stored, err := hs.Get(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(want, stored); diff != "" {
		t.Errorf("Get after Resolve (-want +got):\n%s", diff)
	}
	if _, err := hs.Resolve(ctx, h.ID, Resolution{Reply: "again"}); !errors.Is(err, ErrHandoffResolved) {
		t.Errorf("second Resolve: err = %v, want ErrHandoffResolved", err)
	}
	if stored, _ := hs.Get(ctx, h.ID); stored.Resolution.Reply != want.Resolution.Reply {
		t.Errorf("second Resolve changed the reply to %q", stored.Resolution.Reply)
	}
}

func TestHandoffResolveInvalid(t *testing.T) {
	ctx := context.Background()
	hs, _ := newTestHandoffStore(t)
	h, err := hs.Create(ctx, sampleHandoff("shop"))
	if err != nil {
		t.Fatal(err)
	}
	zero, six := 0, 6
	for name, r := range map[string]Resolution{
		"empty reply":      {},
		"blank reply":      {Reply: " \n\t"},
		"invalid utf8":     {Reply: "ok \xff"},
		"invalid agent":    {Reply: "ok", Agent: "\xfe"},
		"csat 0":           {Reply: "ok", CSAT: &zero},
		"csat 6":           {Reply: "ok", CSAT: &six},
		"reply over limit": {Reply: strings.Repeat("x", maxHandoffText+1)},
		"agent over limit": {Reply: "ok", Agent: strings.Repeat("a", maxHandoffField+1)},
	} {
		if _, err := hs.Resolve(ctx, h.ID, r); !errors.Is(err, ErrInvalidHandoff) {
			t.Errorf("%s: err = %v, want ErrInvalidHandoff", name, err)
		}
	}
	got, err := hs.Get(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != HandoffOpen || got.Resolution != nil {
		t.Errorf("after rejected resolutions: status %s, resolution %+v", got.Status, got.Resolution)
	}
}

func TestHandoffResolveConcurrent(t *testing.T) {
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
		wg.Go(func() {
			_, errs[i] = hs.Resolve(ctx, h.ID, Resolution{Reply: fmt.Sprintf("reply %d", i)})
		})
	}
	wg.Wait()
	wins := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if wins >= 0 {
				t.Errorf("Resolve %d and %d both succeeded", wins, i)
			}
			wins = i
		case !errors.Is(err, ErrHandoffResolved):
			t.Errorf("Resolve %d: %v", i, err)
		}
	}
	if wins < 0 {
		t.Fatal("no Resolve succeeded")
	}
	got, err := hs.Get(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("reply %d", wins); got.Resolution == nil || got.Resolution.Reply != want {
		t.Errorf("stored resolution %+v, want the winner's %q", got.Resolution, want)
	}
}
