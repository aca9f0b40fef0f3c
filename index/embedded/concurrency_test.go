package embedded

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jieda/jieda/index"
)

// TestConcurrentReadWrite runs writers and readers together (meant for
// -race) and checks that readers never see half a write: every point read
// carries the vectors of the same version as its payload.
func TestConcurrentReadWrite(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t.TempDir())
	cfg.ExactBelow = 100
	s := open(t, cfg)
	const dim, points = 8, 300
	must(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: dim, Sparse: true}))
	must(t, s.CreatePayloadIndex(ctx, "c", "v", index.FieldInteger))
	must(t, s.CreatePayloadIndex(ctx, "c", "kind", index.FieldKeyword))
	point := func(n, v int) index.Point {
		return index.Point{ID: testID(n), Dense: testVector(n*1000+v, dim), Sparse: testSparse(n*1000 + v),
			Payload: index.Payload{"n": n, "v": v, "kind": fmt.Sprintf("k%d", n%3)}}
	}
	check := func(r index.Record) error {
		n, v := int(r.Payload["n"].(int64)), int(r.Payload["v"].(int64))
		want := point(n, v)
		if r.ID != want.ID || !closeTo(r.Dense, want.Dense) || !closeTo(r.Sparse.Values, want.Sparse.Values) {
			return fmt.Errorf("point %s read with payload of version %d and other vectors", r.ID, v)
		}
		return nil
	}
	var init []index.Point
	for n := range points {
		init = append(init, point(n, 0))
	}
	must(t, s.Upsert(ctx, "c", init))

	deadline := time.Now().Add(1500 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for v := 1; time.Now().Before(deadline); v++ {
				var pts []index.Point
				for range 1 + rng.IntN(20) {
					pts = append(pts, point(rng.IntN(points), v*10+w))
				}
				var err error
				switch rng.IntN(5) {
				case 0:
					err = s.Delete(ctx, "c", []string{testID(rng.IntN(points))})
				case 1:
					err = s.SetPayload(ctx, "c", []string{testID(rng.IntN(points))}, index.Payload{"x": v})
				default:
					err = s.Upsert(ctx, "c", pts)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 2))
			with := index.With{Payload: true, Vectors: true}
			for time.Now().Before(deadline) {
				var recs []index.Record
				switch rng.IntN(5) {
				case 0:
					got, err := s.Get(ctx, "c", []string{testID(rng.IntN(points)), testID(rng.IntN(points))}, with)
					if err != nil {
						errs <- err
						return
					}
					recs = got
				case 1:
					page, err := s.Scroll(ctx, "c", index.ScrollRequest{Limit: 50, With: with,
						Filter: &index.Filter{Must: []index.Condition{index.MatchKeyword("kind", "k1")}}})
					if err != nil {
						errs <- err
						return
					}
					recs = page.Points
				case 2:
					groups, err := s.QueryGroups(ctx, "c", index.QueryRequest{Dense: testVector(rng.IntN(1000), dim), With: with},
						index.GroupBy{Key: "kind", Size: 3})
					if err != nil {
						errs <- err
						return
					}
					for _, g := range groups {
						for _, h := range g.Hits {
							recs = append(recs, h.Record)
						}
					}
				default:
					res, err := s.Query(ctx, "c", index.QueryRequest{Dense: testVector(rng.IntN(1000), dim), Sparse: testSparse(rng.IntN(1000)),
						Limit: 20, With: with})
					if err != nil {
						errs <- err
						return
					}
					for _, p := range res {
						recs = append(recs, p.Record)
					}
				}
				for _, rec := range recs {
					if err := check(rec); err != nil {
						errs <- err
						return
					}
				}
				if _, err := s.Count(ctx, "c", &index.Filter{Must: []index.Condition{index.NumberRange("v", index.Range{Gte: index.F(5)})}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The indexes still agree with a scan.
	page, err := s.Scroll(ctx, "c", index.ScrollRequest{Limit: 10000, With: index.With{Payload: true}})
	must(t, err)
	want := 0
	for _, p := range page.Points {
		if p.Payload["kind"] == "k2" {
			want++
		}
	}
	got, err := s.Count(ctx, "c", &index.Filter{Must: []index.Condition{index.MatchKeyword("kind", "k2")}})
	must(t, err)
	if got != want {
		t.Fatalf("Count(kind=k2) %d, scan %d", got, want)
	}
}
