package vecindex

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// adviseHuge asks Linux to back the 2 MiB-aligned interior of a large
// allocation with transparent huge pages (THP in "madvise" mode; with
// "always" it already is). Graph searches read vectors at random, and with
// 4 KiB pages most of those reads also miss the TLB. With collapse, pages
// already faulted in small (memory the Go heap reused) are collapsed now
// (MADV_COLLAPSE, Linux 6.1+) rather than whenever khugepaged gets to them.
// Only hints: errors are ignored.
func adviseHuge[T any](s []T, collapse bool) {
	const huge = 2 << 20
	if cap(s) == 0 {
		return
	}
	var zero T
	size := uintptr(cap(s)) * unsafe.Sizeof(zero)
	if size < 2*huge {
		return
	}
	base := unsafe.Pointer(unsafe.SliceData(s))
	p := uintptr(base)
	start := (p + huge - 1) &^ (huge - 1)
	end := (p + size) &^ (huge - 1)
	if end <= start {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Add(base, start-p)), end-start)
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE)
	if collapse {
		_ = unix.Madvise(b, unix.MADV_COLLAPSE)
	}
}
