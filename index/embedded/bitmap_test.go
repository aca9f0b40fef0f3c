package embedded

import "testing"

// TestScratchBitmap: a released scratch bitmap comes back empty and of
// the size asked; bitmaps of other capacities are not pooled.
func TestScratchBitmap(t *testing.T) {
	for _, words := range []int{0, 1, 5, 64, 300} {
		b := scratchBitmap(words)
		if len(b) != words || b.count() != 0 {
			t.Fatalf("scratchBitmap(%d): len %d, %d set", words, len(b), b.count())
		}
		for i := range b {
			b[i] = ^uint64(0)
		}
		b.release()
		if c := scratchBitmap(words); len(c) != words || c.count() != 0 {
			t.Fatalf("after a release, scratchBitmap(%d): len %d, %d set", words, len(c), c.count())
		}
	}
	grown := scratchBitmap(2)
	grown.set(64 * 40) // beyond its capacity: append regrows it
	grown.release()    // not a pooled capacity: ignored
	if b := scratchBitmap(3); b.count() != 0 {
		t.Fatalf("%d set", b.count())
	}
}
