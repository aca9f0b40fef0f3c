package curate

import (
	"testing"
	"time"
)

func TestGapTimeParse(t *testing.T) {
	now := time.Date(2026, 11, 8, 10, 30, 0, 0, time.Local)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"7d", now.AddDate(0, 0, -7)},
		{"2w", now.AddDate(0, 0, -14)},
		{"36h", now.Add(-36 * time.Hour)},
		{"2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.Local)},
		{"2026-11-01 08:15", time.Date(2026, 11, 1, 8, 15, 0, 0, time.Local)},
		{"2026-11-01T08:15:00Z", time.Date(2026, 11, 1, 8, 15, 0, 0, time.UTC)},
	} {
		got, err := ParseGapTime(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseGapTime(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"d", "-3d", "x7d", "yesterday", "2026-13-01"} {
		if _, err := ParseGapTime(bad, now); err == nil {
			t.Errorf("ParseGapTime(%q): want an error", bad)
		}
	}
}
