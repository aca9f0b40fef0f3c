package embed

import (
	"slices"
	"strings"
	"testing"
)

// The live threads are shared out among the lanes: 0 lanes picks one per
// thread up to MaxAutoLanes; every lane gets at least one thread.
func TestLaneThreads(t *testing.T) {
	for _, c := range []struct {
		threads, lanes int
		want           []int
	}{
		{2, 0, []int{1, 1}},
		{1, 0, []int{1}},
		{8, 0, []int{2, 2, 2, 2}},
		{16, 0, []int{4, 4, 4, 4}},
		{5, 2, []int{3, 2}},
		{2, 1, []int{2}},
		{1, 3, []int{1, 1, 1}},
	} {
		cfg := DefaultConfig()
		cfg.Threads, cfg.LiveLanes = c.threads, c.lanes
		if got := cfg.laneThreads(); !slices.Equal(got, c.want) {
			t.Errorf("threads %d, live_lanes %d: lanes %v, want %v", c.threads, c.lanes, got, c.want)
		}
	}
	cfg := DefaultConfig()
	cfg.LiveLanes = 65
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "embed.live_lanes") {
		t.Errorf("live_lanes 65: got %v, want an embed.live_lanes error", err)
	}
}
