package curate

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// gapTimeLayouts are the absolute forms --since and --until accept, read in local time.
var gapTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", time.DateOnly}

// ParseGapTime reads a bound of a gap report window (GapQuery.Since, Until): "" (zero: the default), an age
// before now ("7d", "2w", or a Go duration such as "36h"), or a date/time.
func ParseGapTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if unit := s[len(s)-1]; unit == 'd' || unit == 'w' {
		if n, err := strconv.Atoi(s[:len(s)-1]); err == nil && n >= 0 {
			if unit == 'w' {
				n *= 7
			}
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, l := range gapTimeLayouts {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %q is not a date (2026-11-01), a date and time (2026-11-01 08:00, RFC 3339) or an age (7d, 2w, 36h)", ErrInvalidGapQuery, s)
}
