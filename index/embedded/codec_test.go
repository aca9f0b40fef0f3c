package embedded

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/index"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range []record{
		{},
		{slot: 7, gen: 1 << 40, payload: []byte(`{"a":1}`), dense: []float32{0.6, -0.8}, dim: 2},
		{slot: 1<<32 - 1, payload: []byte(`{}`), sparse: &index.Sparse{Indices: []uint32{0, 4e9}, Values: []float32{1, -2}}},
	} {
		got, err := decodeRecord(encodeRecord(r))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.payload) == 0 {
			got.payload = nil
		}
		if d := cmp.Diff(r, got, cmp.AllowUnexported(record{})); d != "" {
			t.Errorf("round trip (-want +got):\n%s", d)
		}
		skipped, err := decodeRecordSkip(encodeRecord(r), true)
		if err != nil || skipped.dense != nil || skipped.dim != len(r.dense) {
			t.Errorf("skipping the dense vector: %+v, %v", skipped, err)
		}
	}
}

// FuzzDecodeRecord checks that no input panics the record decoder and that
// what decodes re-encodes to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(record{slot: 3, gen: 9, payload: []byte(`{"k":"v"}`), dense: []float32{1, 0},
		sparse: &index.Sparse{Indices: []uint32{1, 5}, Values: []float32{0.5, 2}}}))
	f.Add([]byte{1, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		if again := encodeRecord(r); string(again) != string(b) {
			// Varints have more than one encoding; the canonical form must be stable.
			r2, err := decodeRecord(again)
			if err != nil || string(encodeRecord(r2)) != string(again) {
				t.Fatalf("re-encoding is unstable: %x → %x", b, again)
			}
		}
	})
}
