package embedded

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jieda/jieda/index"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range []record{
		{payload: []byte{}},
		{slot: 7, gen: 1 << 40, payload: []byte(`{"a":1}`)},
		{slot: 1<<32 - 2, payload: []byte(`{}`)},
	} {
		got, err := decodeRecord(encodeRecord(r))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(r, got, cmp.AllowUnexported(record{})); d != "" {
			t.Errorf("round trip (-want +got):\n%s", d)
		}
	}
}

func TestVectorCodecs(t *testing.T) {
	dense := []float32{0.6, -0.8, 0, 1e-30}
	got, err := decodeDense(encodeDense(dense), 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(dense, got); d != "" {
		t.Errorf("dense round trip (-want +got):\n%s", d)
	}
	if _, err := decodeDense(encodeDense(dense), 3, nil); !errors.Is(err, ErrCorrupt) {
		t.Errorf("dense of the wrong dimension: %v, want ErrCorrupt", err)
	}
	sp := &index.Sparse{Indices: []uint32{0, 9, 4e9}, Values: []float32{1, -2, 0}}
	gotSp, err := decodeSparse(encodeSparse(sp))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(sp, gotSp); d != "" {
		t.Errorf("sparse round trip (-want +got):\n%s", d)
	}
	for name, b := range map[string][]byte{
		"empty":       {},
		"odd length":  {1, 2, 3},
		"descending":  encodeSparse(&index.Sparse{Indices: []uint32{5, 1}, Values: []float32{1, 1}}),
		"a repeat":    encodeSparse(&index.Sparse{Indices: []uint32{5, 5}, Values: []float32{1, 1}}),
		"half a pair": encodeSparse(sp)[:12],
	} {
		if _, err := decodeSparse(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("sparse %s: %v, want ErrCorrupt", name, err)
		}
	}
}

// TestRecordV1 decodes a format-1 record, as migrate reads it.
func TestRecordV1(t *testing.T) {
	dense := encodeDense([]float32{0.6, -0.8})
	sp := encodeSparse(&index.Sparse{Indices: []uint32{3}, Values: []float32{2}})
	b := []byte{1, 7, 9, 2, '{', '}', 2}
	b = append(append(append(b, dense...), 1), sp...)
	got, err := decodeRecordV1(b)
	if err != nil {
		t.Fatal(err)
	}
	want := recordV1{slot: 7, gen: 9, payload: []byte(`{}`), dense: dense, sparse: sp}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(recordV1{})); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for i := range len(b) - 1 {
		if _, err := decodeRecordV1(b[:i]); !errors.Is(err, ErrCorrupt) {
			t.Errorf("truncated to %d bytes: %v, want ErrCorrupt", i, err)
		}
	}
}

// FuzzDecodeRecord checks that no input panics the record decoder and that
// what decodes re-encodes to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(record{slot: 3, gen: 9, payload: []byte(`{"k":"v"}`)}))
	f.Add([]byte{2, 0, 0})
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

// FuzzDecodeVectors checks that no input panics the vector decoders.
func FuzzDecodeVectors(f *testing.F) {
	f.Add(encodeSparse(&index.Sparse{Indices: []uint32{1, 5}, Values: []float32{0.5, 2}}), 2)
	f.Fuzz(func(t *testing.T, b []byte, dim int) {
		if sp, err := decodeSparse(b); err == nil && cmp.Diff(b, encodeSparse(sp), cmpopts.EquateEmpty()) != "" {
			t.Fatalf("sparse re-encodes differently")
		}
		if dim >= 0 && dim < 1<<16 {
			_, _ = decodeDense(b, dim, nil)
		}
	})
}
