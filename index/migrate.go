package index

import (
	"context"
	"fmt"
)

// Migrated is one collection Migrate copied: the points the source held
// and the target holds after.
type Migrated struct {
	Name           string
	Source, Target int
}

// Migrate copies every collection of src (config, payload indexes,
// points with payloads and vectors) into dst, batch points per upsert,
// and checks that dst holds at least as many points as src. It is safe to
// run again: points are upserted by id. progress, when not nil, is told
// each collection's size and then each batch copied.
func Migrate(ctx context.Context, src, dst Store, batch int, progress func(collection string, total int) func(copied int)) ([]Migrated, error) {
	cols, err := src.Collections(ctx)
	if err != nil {
		return nil, err
	}
	var out []Migrated
	for _, col := range cols {
		if err := dst.CreateCollection(ctx, col.CollectionConfig); err != nil {
			return out, fmt.Errorf("collection %s: %w", col.Name, err)
		}
		for field, typ := range col.PayloadIndexes {
			if err := dst.CreatePayloadIndex(ctx, col.Name, field, typ); err != nil {
				return out, fmt.Errorf("collection %s: payload index %s: %w", col.Name, field, err)
			}
		}
		advance := func(int) {}
		if progress != nil {
			advance = progress(col.Name, col.Points)
		}
		req := ScrollRequest{Limit: batch, With: With{Payload: true, Vectors: true}}
		for {
			page, err := src.Scroll(ctx, col.Name, req)
			if err != nil {
				return out, fmt.Errorf("collection %s: reading: %w", col.Name, err)
			}
			points := make([]Point, len(page.Points))
			for i, r := range page.Points {
				points[i] = Point(r)
			}
			if len(points) > 0 {
				if err := dst.Upsert(ctx, col.Name, points); err != nil {
					return out, fmt.Errorf("collection %s: writing: %w", col.Name, err)
				}
			}
			advance(len(points))
			if page.Next == "" {
				break
			}
			req.Cursor = page.Next
		}
		m := Migrated{Name: col.Name}
		if m.Source, err = src.Count(ctx, col.Name, nil); err != nil {
			return out, err
		}
		if m.Target, err = dst.Count(ctx, col.Name, nil); err != nil {
			return out, err
		}
		if m.Target < m.Source {
			return out, fmt.Errorf("collection %s: target has %d points, source %d", col.Name, m.Target, m.Source)
		}
		out = append(out, m)
	}
	return out, nil
}
