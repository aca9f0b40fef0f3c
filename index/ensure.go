package index

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// Ensure creates a collection and the payload indexes fields names when
// they are missing (both are no-ops when present), so every user of a
// collection can call it at start-up.
func Ensure(ctx context.Context, s Store, cfg CollectionConfig, fields map[string]FieldType) error {
	if err := s.CreateCollection(ctx, cfg); err != nil {
		return fmt.Errorf("creating %s: %w", cfg.Name, err)
	}
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		if err := s.CreatePayloadIndex(ctx, cfg.Name, f, fields[f]); err != nil {
			return fmt.Errorf("indexing %s.%s: %w", cfg.Name, f, err)
		}
	}
	return nil
}
