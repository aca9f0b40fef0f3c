package index_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/memstore"
)

type note struct {
	N    int    `json:"n"`
	Text string `json:"text"`
}

// Documents written with DocPayload come back, page by page and all at
// once, in the order the field index gives; a bad cursor is ErrBadCursor.
func TestDocs(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	if err := index.Ensure(ctx, s, index.CollectionConfig{Name: "notes", Sparse: true}, map[string]index.FieldType{"n": index.FieldInteger}); err != nil {
		t.Fatal(err)
	}
	var want []note
	for i := range 5 {
		n := note{N: i, Text: fmt.Sprintf("第%d条", i)}
		p, err := index.DocPayload(n, index.Payload{"n": int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Upsert(ctx, "notes", []index.Point{{ID: uuid.NewString(), Payload: p}}); err != nil {
			t.Fatal(err)
		}
		want = append(want, n)
	}
	req := index.ScrollRequest{Limit: 2, OrderBy: &index.OrderBy{Key: "n"}}
	var got []note
	for {
		page, err := index.ScrollDocs[note](ctx, s, "notes", req)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Docs...)
		if page.Next == "" {
			break
		}
		req.Cursor = page.Next
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged documents (-want +got):\n%s", diff)
	}
	var all []note
	err := index.ScrollAll(ctx, s, "notes", index.ScrollRequest{Limit: 3, OrderBy: &index.OrderBy{Key: "n"}, With: index.With{Payload: true}}, func(r index.Record) error {
		n, err := index.DecodeDoc[note](r, index.DocKey)
		all = append(all, n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("ScrollAll (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	if err := index.ScrollAll(ctx, s, "notes", index.ScrollRequest{Limit: 2}, func(index.Record) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("ScrollAll with a failing callback = %v, want its error", err)
	}
	_, err = index.ScrollDocs[note](ctx, s, "notes", index.ScrollRequest{Limit: 2, Cursor: "not-a-cursor"})
	if !errors.Is(err, index.ErrBadCursor) || !errors.Is(err, index.ErrInvalidArgument) {
		t.Errorf("bad cursor = %v, want ErrBadCursor (an ErrInvalidArgument)", err)
	}
}
