// Tests of the audit log over a real embedded store: validation, ordering,
// gap-free paging across equal timestamps, and filters.

package curate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer/answertest"
	"github.com/jieda/jieda/index"
)

func newTestAudit(t *testing.T) (*Audit, *answertest.Clock, index.Store) {
	t.Helper()
	s := historyTestStore(t)
	a, err := NewAudit(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	clock := answertest.NewClock()
	a.now = clock.Now
	return a, clock, s
}

// auditListAll pages through List with q, checking each page's size.
func auditListAll(t *testing.T, a *Audit, q AuditQuery) []AuditEntry {
	t.Helper()
	var out []AuditEntry
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		page, err := a.List(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if q.Limit > 0 && len(page.Entries) > q.Limit {
			t.Fatalf("page of %d entries, limit %d", len(page.Entries), q.Limit)
		}
		out = append(out, page.Entries...)
		if page.Next == "" {
			return out
		}
		if len(page.Entries) == 0 {
			t.Fatal("empty page with a next cursor")
		}
		q.Cursor = page.Next
	}
}

func auditIDs(es []AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// auditOrder sorts entries as List does: newest first, then by id.
func auditOrder(es []AuditEntry) []AuditEntry {
	out := slices.Clone(es)
	slices.SortFunc(out, func(x, y AuditEntry) int {
		if c := y.At.Compare(x.At); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out
}

func TestAuditRecord(t *testing.T) {
	ctx := context.Background()
	a, clock, _ := newTestAudit(t)
	clock.Advance(1234567 * time.Nanosecond)
	e, err := a.Record(ctx, AuditEntry{
		ID: "caller-id", At: time.Unix(0, 0), Actor: "alice", Role: "editor", Action: "candidate.approve",
		KB: "shop", Target: "cand-1",
		Details: map[string]any{"article": "refund-how", "support": 3, "tags": []string{"退款"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := index.CanonicalID(e.ID); err != nil || e.ID == "caller-id" {
		t.Errorf("id %q is not an assigned UUID", e.ID)
	}
	if want := clock.Now().Truncate(time.Millisecond); !e.At.Equal(want) || e.At.Location() != time.UTC {
		t.Errorf("at = %s, want %s UTC", e.At, want)
	}
	wantDetails := map[string]any{"article": "refund-how", "support": float64(3), "tags": []any{"退款"}}
	if d := gocmp.Diff(wantDetails, e.Details); d != "" {
		t.Errorf("returned details (-want +got):\n%s", d)
	}
	page, err := a.List(ctx, AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 1 || page.Next != "" {
		t.Fatalf("list = %+v", page)
	}
	if d := gocmp.Diff(e, page.Entries[0]); d != "" {
		t.Errorf("listed entry (-want +got):\n%s", d)
	}
	// An entry of no KB, no details.
	g, err := a.Record(ctx, AuditEntry{Actor: "root", Role: "admin", Action: "apikey.create", Details: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if g.KB != "" || g.Details != nil {
		t.Errorf("global entry = %+v", g)
	}
}

func TestAuditRecordInvalid(t *testing.T) {
	ctx := context.Background()
	a, _, s := newTestAudit(t)
	ok := AuditEntry{Actor: "alice", Action: "article.edit", KB: "shop"}
	for _, tc := range []struct {
		name string
		edit func(e *AuditEntry)
	}{
		{"no actor", func(e *AuditEntry) { e.Actor = " " }},
		{"no action", func(e *AuditEntry) { e.Action = "" }},
		{"actor too long", func(e *AuditEntry) { e.Actor = strings.Repeat("a", maxAuditField+1) }},
		{"role bad utf-8", func(e *AuditEntry) { e.Role = "ed\xffitor" }},
		{"target too long", func(e *AuditEntry) { e.Target = strings.Repeat("t", maxAuditTarget+1) }},
		{"bad kb", func(e *AuditEntry) { e.KB = "no spaces" }},
		{"details bad utf-8", func(e *AuditEntry) { e.Details = map[string]any{"x": []any{"ok", "\xfe"}} }},
		{"details bad key", func(e *AuditEntry) { e.Details = map[string]any{"\xfe": 1} }},
		{"details too big", func(e *AuditEntry) { e.Details = map[string]any{"x": strings.Repeat("d", maxAuditDetails)} }},
		{"details NaN", func(e *AuditEntry) { e.Details = map[string]any{"x": math.NaN()} }},
		{"details unencodable", func(e *AuditEntry) { e.Details = map[string]any{"x": make(chan int)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ok
			tc.edit(&e)
			if _, err := a.Record(ctx, e); !errors.Is(err, ErrInvalidAudit) {
				t.Errorf("error %v, want ErrInvalidAudit", err)
			}
		})
	}
	if n, err := s.Count(ctx, AuditCollection, nil); err != nil || n != 0 {
		t.Errorf("%d entries stored after invalid records, %v", n, err)
	}
}

func TestAuditListPaging(t *testing.T) {
	ctx := context.Background()
	a, clock, _ := newTestAudit(t)
	var all []AuditEntry
	// Three bursts of entries recorded at the same instant.
	for burst := range 3 {
		for i := range 9 {
			e, err := a.Record(ctx, AuditEntry{Actor: "alice", Action: "candidate.reject", KB: "shop",
				Target: fmt.Sprintf("cand-%d-%d", burst, i)})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, e)
		}
		clock.Advance(time.Second)
	}
	want := auditIDs(auditOrder(all))
	for _, limit := range []int{1, 2, 4, 9, 10, 27, 500} {
		got := auditIDs(auditListAll(t, a, AuditQuery{Limit: limit}))
		if d := gocmp.Diff(want, got); d != "" {
			t.Errorf("limit %d (-want +got):\n%s", limit, d)
		}
	}
	if got := auditIDs(auditListAll(t, a, AuditQuery{})); !slices.Equal(got, want) {
		t.Errorf("default limit: %d entries, want %d in order", len(got), len(want))
	}

	// Entries recorded between pages, at an instant already listed and at
	// a newer one, neither repeat nor hide what existed.
	page, err := a.List(ctx, AuditQuery{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(-2 * time.Second) // the instant of the middle burst
	mid, err := a.Record(ctx, AuditEntry{Actor: "bob", Action: "candidate.approve", KB: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if _, err := a.Record(ctx, AuditEntry{Actor: "bob", Action: "candidate.approve", KB: "shop"}); err != nil {
		t.Fatal(err)
	}
	rest := auditListAll(t, a, AuditQuery{Limit: 5, Cursor: page.Next})
	got := append(auditIDs(page.Entries), auditIDs(rest)...)
	wantAfter := auditIDs(auditOrder(append(slices.Clone(all), mid)))
	if d := gocmp.Diff(wantAfter, got); d != "" {
		t.Errorf("paging across writes (-want +got):\n%s", d)
	}
}

func TestAuditListFilters(t *testing.T) {
	ctx := context.Background()
	a, clock, _ := newTestAudit(t)
	start := clock.Now()
	var all []AuditEntry
	actors := []string{"alice", "bob", "carol"}
	actions := []string{"candidate.approve", "candidate.reject", "article.rollback"}
	kbs := []string{"shop", "outlet", ""}
	for i := range 36 {
		e, err := a.Record(ctx, AuditEntry{Actor: actors[i%3], Action: actions[i/3%3], KB: kbs[i/9%3],
			Target: fmt.Sprintf("t%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
		if i%2 == 1 {
			clock.Advance(time.Minute)
		}
	}
	for _, tc := range []struct {
		name string
		q    AuditQuery
		keep func(e AuditEntry) bool
	}{
		{"kb", AuditQuery{KBs: []string{"shop"}}, func(e AuditEntry) bool { return e.KB == "shop" }},
		{"kbs", AuditQuery{KBs: []string{"shop", "outlet"}}, func(e AuditEntry) bool { return e.KB != "" }},
		{"unknown kb", AuditQuery{KBs: []string{"none"}}, func(AuditEntry) bool { return false }},
		{"actor", AuditQuery{Actor: "bob"}, func(e AuditEntry) bool { return e.Actor == "bob" }},
		{"action", AuditQuery{Action: "article.rollback"}, func(e AuditEntry) bool { return e.Action == "article.rollback" }},
		{"since", AuditQuery{Since: start.Add(5 * time.Minute)}, func(e AuditEntry) bool {
			return !e.At.Before(start.Add(5 * time.Minute))
		}},
		{"until", AuditQuery{Until: start.Add(5 * time.Minute)}, func(e AuditEntry) bool {
			return e.At.Before(start.Add(5 * time.Minute))
		}},
		{"all together", AuditQuery{KBs: []string{"outlet"}, Actor: "alice", Action: "candidate.reject",
			Since: start.Add(time.Minute), Until: start.Add(17 * time.Minute)}, func(e AuditEntry) bool {
			return e.KB == "outlet" && e.Actor == "alice" && e.Action == "candidate.reject" &&
				!e.At.Before(start.Add(time.Minute)) && e.At.Before(start.Add(17*time.Minute))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var kept []AuditEntry
			for _, e := range all {
				if tc.keep(e) {
					kept = append(kept, e)
				}
			}
			want := auditIDs(auditOrder(kept))
			q := tc.q
			q.Limit = 4
			got := auditIDs(auditListAll(t, a, q))
			if d := gocmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestAuditListInvalid(t *testing.T) {
	ctx := context.Background()
	a, _, _ := newTestAudit(t)
	now := time.Now()
	for _, tc := range []struct {
		name string
		q    AuditQuery
	}{
		{"negative limit", AuditQuery{Limit: -1}},
		{"limit too big", AuditQuery{Limit: 501}},
		{"bad kb", AuditQuery{KBs: []string{"a b"}}},
		{"bad actor", AuditQuery{Actor: "\xff"}},
		{"until before since", AuditQuery{Since: now, Until: now.Add(-time.Second)}},
		{"bad cursor", AuditQuery{Cursor: "not-a-cursor!"}},
	} {
		if _, err := a.List(ctx, tc.q); !errors.Is(err, ErrInvalidAudit) {
			t.Errorf("%s: error %v, want ErrInvalidAudit", tc.name, err)
		}
	}
}
