package cputime

import (
	"time"

	"golang.org/x/sys/unix"
)

// Process returns the process's CPU time, all threads, to the
// nanosecond.
func Process() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
