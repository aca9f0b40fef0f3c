package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jieda/jieda/index"
)

const backupDim = 8

func backupPoint(b, j int) index.Point {
	n := b*1000 + j
	return index.Point{ID: testID(n), Dense: testVector(n, backupDim), Sparse: testSparse(n),
		Payload: index.Payload{"batch": b, "j": j}}
}

// newBackupStore returns a store with a collection and batches [0, batches) of 50 points.
func newBackupStore(t *testing.T, dir string, batches int) *Store {
	ctx := context.Background()
	s := open(t, testConfig(dir))
	must(t, s.CreateCollection(ctx, index.CollectionConfig{Name: "c", Dim: backupDim, Sparse: true}))
	must(t, s.CreatePayloadIndex(ctx, "c", "batch", index.FieldInteger))
	for b := range batches {
		pts := make([]index.Point, 50)
		for j := range pts {
			pts[j] = backupPoint(b, j)
		}
		must(t, s.Upsert(ctx, "c", pts))
	}
	return s
}

// TestBackupWhileWriting takes a backup while a writer upserts batches,
// restores it into a new directory and checks that it holds a consistent
// prefix of the batches, identical to the source.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	s := newBackupStore(t, t.TempDir(), 20)
	var acked atomic.Int64
	acked.Store(20)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for b := 20; ; b++ {
			select {
			case <-stop:
				return
			default:
			}
			pts := make([]index.Point, 50)
			for j := range pts {
				pts[j] = backupPoint(b, j)
			}
			if err := s.Upsert(ctx, "c", pts); err != nil {
				t.Error(err)
				return
			}
			acked.Store(int64(b + 1))
		}
	}()
	var buf bytes.Buffer
	for deadline := time.Now().Add(30 * time.Second); acked.Load() < 30; {
		if time.Now().After(deadline) {
			t.Fatalf("the writer acknowledged %d batches in 30s, want 30", acked.Load())
		}
		time.Sleep(time.Millisecond)
	}
	before := acked.Load()
	must(t, s.Backup(ctx, &buf))
	close(stop)
	wg.Wait()

	dir := t.TempDir()
	must(t, Restore(ctx, bytes.NewReader(buf.Bytes()), dir))
	r := open(t, testConfig(dir))
	n, err := r.Count(ctx, "c", nil)
	must(t, err)
	if n%50 != 0 || int64(n/50) < before {
		t.Fatalf("restored %d points: not whole batches, or fewer than the %d batches acknowledged before the backup", n, before)
	}
	batches := n / 50
	for b := range batches {
		c, err := r.Count(ctx, "c", &index.Filter{Must: []index.Condition{index.MatchInteger("batch", int64(b))}})
		must(t, err)
		if c != 50 {
			t.Fatalf("restored batch %d has %d points", b, c)
		}
	}
	var ids []string
	for b := range batches {
		for j := range 50 {
			ids = append(ids, backupPoint(b, j).ID)
		}
	}
	with := index.With{Payload: true, Vectors: true}
	want, err := s.Get(ctx, "c", ids, with)
	must(t, err)
	got, err := r.Get(ctx, "c", ids, with)
	must(t, err)
	if len(got) != len(want) {
		t.Fatalf("restored %d of %d points", len(got), len(want))
	}
	for i := range want {
		if want[i].ID != got[i].ID || !closeTo(want[i].Dense, got[i].Dense) || want[i].Payload["j"] != got[i].Payload["j"] {
			t.Fatalf("restored point %d differs: %+v vs %+v", i, got[i], want[i])
		}
	}
	res, err := r.Query(ctx, "c", index.QueryRequest{Dense: want[7].Dense, Limit: 1})
	must(t, err)
	if len(res) != 1 || res[0].ID != want[7].ID {
		t.Fatalf("query on the restored store: %+v", res)
	}
	t.Logf("backup of %d bytes while writing: %d batches before, %d restored", buf.Len(), before, batches)
}

func TestRestoreErrors(t *testing.T) {
	ctx := context.Background()
	src := newBackupStore(t, t.TempDir(), 3)
	var buf bytes.Buffer
	must(t, src.Backup(ctx, &buf))
	good := buf.Bytes()

	// The target holds a store with one batch, which a failed restore must leave alone.
	dir := t.TempDir()
	must(t, newBackupStore(t, dir, 1).Close())

	flip := func(at int) []byte {
		b := bytes.Clone(good)
		b[at] ^= 0x40
		return b
	}
	newer := bytes.Clone(good)
	binary.BigEndian.PutUint32(newer[len(backupMagic):], formatVersion+1)
	for _, tc := range []struct {
		what   string
		data   []byte
		target error
	}{
		{"empty", nil, ErrCorrupt},
		{"bad magic", flip(0), ErrCorrupt},
		{"newer format", newer, ErrNewerFormat},
		{"truncated header", good[:20], ErrCorrupt},
		{"truncated database", good[:len(good)/2], ErrCorrupt},
		{"checksum missing", good[:len(good)-32], ErrCorrupt},
		{"checksum cut", good[:len(good)-5], ErrCorrupt},
		{"flipped database byte", flip(len(good) / 2), ErrCorrupt},
		{"flipped checksum byte", flip(len(good) - 1), ErrCorrupt},
		{"trailing data", append(bytes.Clone(good), 0), ErrCorrupt},
	} {
		err := Restore(ctx, bytes.NewReader(tc.data), dir)
		if !errors.Is(err, tc.target) {
			t.Errorf("%s: Restore = %v, want %v", tc.what, err, tc.target)
		}
	}
	entries, err := os.ReadDir(dir)
	must(t, err)
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".tmp" {
			t.Errorf("failed restore left %s behind", e.Name())
		}
	}
	s := open(t, testConfig(dir))
	if n, err := s.Count(ctx, "c", nil); err != nil || n != 50 {
		t.Fatalf("store after failed restores: %d points, %v; want the original 50", n, err)
	}

	// Restoring over an open store is refused; over a closed one it replaces it.
	if err := Restore(ctx, bytes.NewReader(good), dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("Restore over an open store: %v, want ErrLocked", err)
	}
	must(t, s.Close())
	must(t, Restore(ctx, bytes.NewReader(good), dir))
	s = open(t, testConfig(dir))
	if n, err := s.Count(ctx, "c", nil); err != nil || n != 150 {
		t.Fatalf("store after restore: %d points, %v; want 150", n, err)
	}
}
