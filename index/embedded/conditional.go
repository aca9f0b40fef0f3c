package embedded

import (
	"context"
	"fmt"

	"github.com/jieda/jieda/index"
)

// SetPayloadWhere merges payload's top-level keys into the payload of
// every point matching f. The points are selected and rewritten under the
// writer lock, so no other write comes between.
func (s *Store) SetPayloadWhere(ctx context.Context, collection string, f *index.Filter, payload index.Payload) error {
	c, unlock, err := s.writer(ctx, collection)
	if err != nil {
		return err
	}
	defer unlock()
	if f == nil {
		return fmt.Errorf("%w: SetPayloadWhere needs a filter", index.ErrInvalidArgument)
	}
	if err := f.Validate(); err != nil {
		return err
	}
	set, _, all := c.matching(f)
	var ids []string
	set.each(func(slot uint32) bool {
		ids = append(ids, c.ids[slot])
		return true
	})
	if !all {
		set.release()
	}
	return s.updatePayloadLocked(c, ids, payload, func(old, p index.Payload) index.Payload {
		merged := index.CopyPayload(old)
		for k, v := range p {
			merged[k] = index.CopyValue(v)
		}
		return merged
	})
}
