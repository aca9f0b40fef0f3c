package vecindex

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func savedBytes(t testing.TB, d *tdense) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := d.Save(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDenseSaveLoad(t *testing.T) {
	d, vecs, gen := buildClustered(t, 2000, 16, DenseOptions{ExactBelow: -1, EfConstruction: 64, Seed: 5})
	for i := 0; i < 2000; i += 7 {
		d.Remove(uint32(i)) // tombstones, a sweep, free ids
	}
	d.Add(3, gen.next())
	b := savedBytes(t, d)
	loaded, err := LoadDense(bytes.NewReader(b), d.exact)
	if err != nil {
		t.Fatal(err)
	}
	checkDense(t, loaded)
	got := wrapTD(loaded, d)
	if diff := cmp.Diff(d.Options(), got.Options()); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	if got.Len() != d.Len() || got.Dim() != d.Dim() {
		t.Fatalf("Len %d Dim %d, want %d %d", got.Len(), got.Dim(), d.Len(), d.Dim())
	}
	for _, q := range gen.take(20) {
		if diff := cmp.Diff(d.Search(q, 10, nil), got.Search(q, 10, nil)); diff != "" {
			t.Fatalf("search after load (-want +got):\n%s", diff)
		}
	}
	for slot := range uint32(2000) {
		a, aok := d.Vector(slot)
		b, bok := got.Vector(slot)
		if aok != bok || !cmp.Equal(a, b) {
			t.Fatalf("Vector(%d) differs after load", slot)
		}
	}
	// Saving the loaded index gives the same bytes: nothing lost.
	if !bytes.Equal(b, savedBytes(t, got)) {
		t.Error("save(load(save(d))) != save(d)")
	}
	// The loaded index keeps working, identically to the original.
	for i, v := range vecs[:50] {
		d.Add(uint32(5000+i), v)
		got.Add(uint32(5000+i), v)
		d.Remove(uint32(i * 3))
		got.Remove(uint32(i * 3))
	}
	for _, q := range gen.take(20) {
		if diff := cmp.Diff(d.Search(q, 10, nil), got.Search(q, 10, nil)); diff != "" {
			t.Fatalf("search after more writes (-want +got):\n%s", diff)
		}
	}
}

func TestDenseSaveLoadEmpty(t *testing.T) {
	empty := newTD(3, DenseOptions{})
	loaded, err := LoadDense(bytes.NewReader(savedBytes(t, empty)), empty.exact)
	if err != nil {
		t.Fatal(err)
	}
	checkDense(t, loaded)
	got := wrapTD(loaded, empty)
	got.Add(1, []float32{1, 0, 0})
	if diff := cmp.Diff([]Hit{{1, 1}}, got.Search([]float32{1, 0, 0}, 3, nil)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoadDenseRejects(t *testing.T) {
	d, _, _ := buildClustered(t, 300, 8, DenseOptions{ExactBelow: -1, Seed: 1})
	good := savedBytes(t, d)
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"other magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), ErrFormat},
		{"future version", mutate(func(b []byte) []byte { b[8] = denseVersion + 1; return b }), ErrFormat},
		{"version 0", mutate(func(b []byte) []byte { b[8] = 0; return b }), ErrFormat},
		{"header only", good[:40], ErrCorrupt},
		{"truncated vectors", good[:len(good)/2], ErrCorrupt},
		{"no checksum", good[:len(good)-4], ErrCorrupt},
		{"flipped bit", mutate(func(b []byte) []byte { b[len(b)/3] ^= 4; return b }), ErrCorrupt},
		{"bad checksum", mutate(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), ErrCorrupt},
		{"huge node count", mutate(func(b []byte) []byte { b[44], b[45], b[46], b[47] = 0xff, 0xff, 0xff, 0x7f; return b }), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadDense(bytes.NewReader(tt.data), d.exact)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzLoadDense: no input may panic the loader or a search on what it loads.
func FuzzLoadDense(f *testing.F) {
	d, _, _ := buildClustered(f, 40, 4, DenseOptions{ExactBelow: -1, M: 4, Seed: 1})
	d.Remove(3)
	f.Add(savedBytes(f, d))
	f.Add(savedBytes(f, newTD(2, DenseOptions{})))
	f.Fuzz(func(t *testing.T, b []byte) {
		loaded, err := LoadDense(bytes.NewReader(b), d.exact)
		if err != nil {
			return
		}
		got := wrapTD(loaded, d)
		q := make([]float32, got.Dim())
		q[0] = 1
		got.Search(q, 5, nil)
		got.Add(1000, q)
		got.Remove(1)
	})
}

// The little-endian fast path (memory as bytes) and the portable path
// (element by element) write the same bytes and read each other's.
func TestDenseSaveLoadPortable(t *testing.T) {
	if !nativeLE {
		t.Skip("big-endian machine: only the portable path exists")
	}
	d, _, gen := buildClustered(t, 500, 12, DenseOptions{ExactBelow: -1, Seed: 2})
	d.Remove(4)
	fast := savedBytes(t, d)
	nativeLE = false
	t.Cleanup(func() { nativeLE = true })
	portable := savedBytes(t, d)
	if !bytes.Equal(fast, portable) {
		t.Fatal("fast and portable encodings differ")
	}
	loaded, err := LoadDense(bytes.NewReader(fast), d.exact)
	nativeLE = true
	if err != nil {
		t.Fatal(err)
	}
	checkDense(t, loaded)
	got := wrapTD(loaded, d)
	q := gen.next()
	if diff := cmp.Diff(d.Search(q, 10, nil), got.Search(q, 10, nil)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
