package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/vecindex"
)

// testdata/v1store is a data directory written by the format-1 code (the
// commit before format 2) with ExactBelow 50:
//
//   - "docs" (16 dims, sparse; keyword index on kb, integer index on n):
//     points 0-299 with testVector(n, 16), testSparse(n) unless n%5 == 0,
//     payload {kb: a|b|c by n%3, n, title}; then 3, 40 and 250 deleted, 7
//     replaced by testVector(1007, 16), testSparse(1007), {kb: z, n: 7},
//     and {extra: true} set on 8; its HNSW graph saved at the last close.
//   - "lexical" (sparse only): points 0-39 with testSparse(n+500), {n}.

// copyV1Store copies the format-1 fixture into a fresh directory.
func copyV1Store(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir("testdata/v1store")
	must(t, err)
	for _, e := range entries {
		copyFile(t, filepath.Join("testdata/v1store", e.Name()), filepath.Join(dir, e.Name()))
	}
	return dir
}

// v1Want is what the fixture's "docs" collection holds.
func v1Want() map[string]index.Record {
	want := map[string]index.Record{}
	for n := range 300 {
		if n == 3 || n == 40 || n == 250 {
			continue
		}
		r := index.Record{ID: testID(n), Dense: testVector(n, 16),
			Payload: index.Payload{"kb": []string{"a", "b", "c"}[n%3], "n": int64(n), "title": "第" + string(rune('A'+n%26))}}
		if n%5 != 0 {
			r.Sparse = testSparse(n)
		}
		want[r.ID] = r
	}
	want[testID(7)] = index.Record{ID: testID(7), Dense: testVector(1007, 16), Sparse: testSparse(1007), Payload: index.Payload{"kb": "z", "n": int64(7)}}
	want[testID(8)].Payload["extra"] = true
	return want
}

// checkV1Docs compares the migrated "docs" collection with v1Want, through
// Get, a filtered Count and exact queries.
func checkV1Docs(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	want := v1Want()
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	got, err := s.Get(ctx, "docs", ids, index.With{Payload: true, Vectors: true})
	must(t, err)
	if len(got) != len(want) {
		t.Fatalf("%d points, want %d", len(got), len(want))
	}
	for _, r := range got {
		if d := cmp.Diff(want[r.ID], r, cmp.Comparer(closeTo)); d != "" {
			t.Fatalf("point %s (-want +got):\n%s", r.ID, d)
		}
	}
	if n, err := s.Count(ctx, "docs", &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", "z")}}); err != nil || n != 1 {
		t.Errorf("Count(kb=z) = %d, %v; want 1", n, err)
	}
	// The top dense hit for a point's own vector is the point.
	for _, n := range []int{0, 7, 123, 299} {
		q := want[testID(n)].Dense
		res, err := s.Query(ctx, "docs", index.QueryRequest{Dense: q, Limit: 1})
		must(t, err)
		if len(res) != 1 || res[0].ID != testID(n) {
			t.Errorf("query for point %d's vector: %v", n, res)
		}
	}
}

// TestMigrateV1 opens the format-1 fixture: Open migrates it to format 2
// (the format key, every record), keeps the saved graph (nothing is left
// to link), and every point, vector, payload and payload index is as the
// format-1 store held it, also after writes and another reopen.
func TestMigrateV1(t *testing.T) {
	ctx := context.Background()
	dir := copyV1Store(t)
	cfg := testConfig(dir)
	cfg.ExactBelow = 50
	s := open(t, cfg)
	if c := s.cols["docs"]; !c.graphLoaded || c.dense.Pending() != 0 {
		t.Errorf("docs: graph loaded %v, %d pending; want the saved graph, nothing pending", c.graphLoaded, c.dense.Pending())
	}
	checkV1Docs(t, s)
	lex, err := s.Scroll(ctx, "lexical", index.ScrollRequest{Limit: 100, With: index.With{Payload: true, Vectors: true}})
	must(t, err)
	if len(lex.Points) != 40 {
		t.Fatalf("lexical: %d points, want 40", len(lex.Points))
	}
	for n, r := range lex.Points {
		want := index.Record{ID: testID(n), Sparse: testSparse(n + 500), Payload: index.Payload{"n": int64(n)}}
		if d := cmp.Diff(want, r); d != "" {
			t.Fatalf("lexical point %d (-want +got):\n%s", n, d)
		}
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyFormat); binary.BigEndian.Uint32(v) != formatVersion {
			t.Errorf("format key %x after migration", v)
		}
		return collectionBucket(tx, "docs").Bucket(bucketPoints).ForEach(func(k, v []byte) error {
			if v[0] != recordVersion {
				t.Errorf("record %x still version %d", k, v[0])
			}
			return nil
		})
	})
	must(t, err)

	// Writes after the migration, then a reopen (from the graph saved at close).
	must(t, s.Upsert(ctx, "docs", []index.Point{{ID: testID(500), Dense: testVector(500, 16), Payload: index.Payload{"kb": "z", "n": 500}}}))
	must(t, s.Delete(ctx, "docs", []string{testID(500)}))
	uid := s.cols["docs"].uid
	must(t, s.Close())
	// The format-1 graph (full vectors) was saved again in this format.
	b, err := os.ReadFile(filepath.Join(dir, uid+graphExt))
	must(t, err)
	head := len(graphMagic) + 4 + 16 + 8 + 4 + 4 + 4
	if v, ok := vecindex.SavedVersion(b[head:]); !ok || v != vecindex.FormatVersion {
		t.Errorf("saved graph version %d (%t), want %d", v, ok, vecindex.FormatVersion)
	}
	s = open(t, cfg)
	if c := s.cols["docs"]; !c.graphLoaded || c.dense.Pending() != 0 {
		t.Errorf("docs after reopening: graph loaded %v, %d pending", c.graphLoaded, c.dense.Pending())
	}
	checkV1Docs(t, s)
}

// TestMigrateInterrupted cuts a migration short (as a crash would) after
// part of a collection: the next Open finishes it.
func TestMigrateInterrupted(t *testing.T) {
	dir := copyV1Store(t)
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	must(t, err)
	s := &Store{db: db, log: discardLogger()}
	n, last, err := s.migrateSome("docs", nil, 100)
	must(t, err)
	if n != 100 || last == nil {
		t.Fatalf("migrateSome: %d records, last %x", n, last)
	}
	must(t, db.Close())
	cfg := testConfig(dir)
	cfg.ExactBelow = 50
	checkV1Docs(t, open(t, cfg))
}

// TestOpenRefusesNewerFormat checks the format key's guard.
func TestOpenRefusesNewerFormat(t *testing.T) {
	dir := t.TempDir()
	s := open(t, testConfig(dir))
	must(t, s.Close())
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	must(t, err)
	must(t, db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyFormat, binary.BigEndian.AppendUint32(nil, formatVersion+1))
	}))
	must(t, db.Close())
	if _, err := Open(context.Background(), testConfig(dir), nil); !errors.Is(err, ErrNewerFormat) {
		t.Fatalf("Open: %v, want ErrNewerFormat", err)
	}
}

// TestRestoreV1Backup restores a backup taken of a format-1 store (the
// fixture's bytes in a backup frame) and opens it: migrated.
func TestRestoreV1Backup(t *testing.T) {
	ctx := context.Background()
	src := copyV1Store(t)
	db, err := bolt.Open(filepath.Join(src, DBFile), 0o600, &bolt.Options{ReadOnly: true})
	must(t, err)
	// A format-1 Backup wrote exactly this frame, with format 1.
	pr, pw := io.Pipe()
	go func() {
		err := db.View(func(tx *bolt.Tx) error {
			hdr, err := backupHeader(tx)
			if err != nil {
				return err
			}
			hdr.Format = 1
			return writeBackup(ctx, pw, tx, hdr, 1)
		})
		pw.CloseWithError(err)
	}()
	dst := t.TempDir()
	must(t, Restore(ctx, pr, dst))
	must(t, db.Close())
	cfg := testConfig(dst)
	cfg.ExactBelow = 50
	checkV1Docs(t, open(t, cfg))
}
