package embedded

import "syscall"

// populateFlag makes the kernel map every page of the database file at
// Open (and at each remap as it grows) instead of on first touch: exact
// rescoring reads full vectors at random across the file, and a minor
// page fault per first read doubled a 300,000-point query's latency.
const populateFlag = syscall.MAP_POPULATE
