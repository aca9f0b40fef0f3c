package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
	"github.com/jieda/jieda/index/qdrant"
	"github.com/jieda/jieda/index/qdrant/qdranttest"
)

// seedStore writes n points with payloads and both vectors into an embedded
// store at path, and returns them.
func seedStore(t *testing.T, path string, n int) []index.Point {
	t.Helper()
	ctx := t.Context()
	cfg := embedded.DefaultConfig()
	cfg.Path = path
	s, err := embedded.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateCollection(ctx, index.CollectionConfig{Name: "articles", Dim: 8, Sparse: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePayloadIndex(ctx, "articles", "kb", index.FieldKeyword); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	points := make([]index.Point, n)
	for i := range points {
		dense := make([]float32, 8)
		for j := range dense {
			dense[j] = rng.Float32() - 0.5
		}
		points[i] = index.Point{
			ID:      uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "p%d", i)).String(),
			Payload: index.Payload{"kb": []string{"shop", "brand"}[i%2], "n": i, "q": fmt.Sprintf("问题 %d", i)},
			Dense:   dense,
			Sparse:  &index.Sparse{Indices: []uint32{uint32(i % 7), 100 + uint32(i%3)}, Values: []float32{1, 0.5}},
		}
	}
	if err := s.Upsert(ctx, "articles", points); err != nil {
		t.Fatal(err)
	}
	return points
}

// allRecords reads every point of a collection, sorted by id.
func allRecords(t *testing.T, s index.Store, col string) []index.Record {
	t.Helper()
	var out []index.Record
	cursor := ""
	for {
		page, err := s.Scroll(t.Context(), col, index.ScrollRequest{Limit: 100, Cursor: cursor, With: index.With{Payload: true, Vectors: true}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Points...)
		if page.Next == "" {
			return out
		}
		cursor = page.Next
	}
}

func openEmbedded(t *testing.T, path string) index.Store {
	t.Helper()
	cfg := embedded.DefaultConfig()
	cfg.Path = path
	s, err := embedded.Open(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Backup through a running server, restore into a new directory, and get
// back every point.
func TestStoreBackupRestoreThroughServer(t *testing.T) {
	dir := chdir(t)
	data := filepath.Join(dir, "data")
	seedStore(t, data, 300)
	t.Setenv("JIEDA_STORE_PATH", data)
	t.Setenv("JIEDA_SERVER_ADMIN_KEY", "admin-secret")

	addr, stop := serveUntil(t)
	backup := filepath.Join(dir, "snap.bin")
	// A wrong key is refused.
	t.Setenv("JIEDA_SERVER_ADMIN_KEY", "wrong")
	if code, _, errOut := run(t, t.Context(), "store", "backup", "--out", backup, "--server", "http://"+addr); code == 0 || !strings.Contains(errOut, "401") {
		t.Errorf("backup with a wrong key: exit %d, %s", code, errOut)
	}
	t.Setenv("JIEDA_SERVER_ADMIN_KEY", "admin-secret")
	code, out, errOut := run(t, t.Context(), "store", "backup", "--out", backup, "--server", "http://"+addr)
	if code != 0 {
		t.Fatalf("store backup: %d %s", code, errOut)
	}
	if !strings.Contains(out, "backup written") {
		t.Errorf("store backup output: %s", out)
	}
	if exit, logs := stop(); exit != 0 {
		t.Fatalf("serve exited %d: %s", exit, logs)
	}

	restored := filepath.Join(dir, "restored")
	if code, _, errOut := run(t, t.Context(), "--data", restored, "store", "restore", backup); code != 0 {
		t.Fatalf("store restore: %d %s", code, errOut)
	}
	want := allRecords(t, openEmbedded(t, data), "articles")
	got := allRecords(t, openEmbedded(t, restored), "articles")
	if len(want) != 300 {
		t.Fatalf("source has %d points", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("restored store differs (-want +got):\n%s", diff)
	}

	// A damaged snapshot is refused with a clear error.
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.bin")
	if err := os.WriteFile(bad, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, t.Context(), "--data", filepath.Join(dir, "other"), "store", "restore", bad); code == 0 || errOut == "" {
		t.Errorf("restoring a truncated snapshot: exit %d, %q", code, errOut)
	}
}

// An encrypted backup restores only with its passphrase; its bytes show
// none of the store's text.
func TestStoreBackupEncrypted(t *testing.T) {
	dir := chdir(t)
	data := filepath.Join(dir, "data")
	seedStore(t, data, 50)
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("a long backup passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sealed := filepath.Join(dir, "snap.sealed")
	if code, _, errOut := run(t, t.Context(), "--data", data, "store", "backup", "--out", sealed, "--encrypt"); code == 0 || !strings.Contains(errOut, "--passphrase-file") {
		t.Errorf("--encrypt without a key: exit %d, %q", code, errOut)
	}
	code, out, errOut := run(t, t.Context(), "--data", data, "store", "backup", "--out", sealed, "--encrypt", "--passphrase-file", pass)
	if code != 0 || !strings.Contains(out, "encrypted") {
		t.Fatalf("encrypted backup: %d %s %s", code, out, errOut)
	}
	plain := filepath.Join(dir, "snap.bin")
	if code, _, errOut := run(t, t.Context(), "--data", data, "store", "backup", "--out", plain); code != 0 {
		t.Fatalf("plain backup: %s", errOut)
	}
	sb, _ := os.ReadFile(sealed)
	pb, _ := os.ReadFile(plain)
	if fi, _ := os.Stat(sealed); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode %v, want 0600", fi.Mode().Perm())
	}
	if !bytes.Contains(pb, []byte("articles")) || bytes.Contains(sb, []byte("articles")) {
		t.Errorf("the sealed backup shows the store's text")
	}
	wrong := filepath.Join(dir, "wrong")
	os.WriteFile(wrong, []byte("not the passphrase at all"), 0o600)
	if code, _, errOut := run(t, t.Context(), "--data", filepath.Join(dir, "r1"), "store", "restore", sealed, "--passphrase-file", wrong); code == 0 || !strings.Contains(errOut, "wrong passphrase") {
		t.Errorf("restore with a wrong passphrase: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run(t, t.Context(), "--data", filepath.Join(dir, "r2"), "store", "restore", sealed); code == 0 || !strings.Contains(errOut, "encrypted") {
		t.Errorf("restore without a key: exit %d, %q", code, errOut)
	}
	restored := filepath.Join(dir, "r3")
	if code, _, errOut := run(t, t.Context(), "--data", restored, "store", "restore", sealed, "--passphrase-file", pass); code != 0 {
		t.Fatalf("restore: %d %s", code, errOut)
	}
	if diff := cmp.Diff(allRecords(t, openEmbedded(t, data), "articles"), allRecords(t, openEmbedded(t, restored), "articles")); diff != "" {
		t.Errorf("restored store differs (-want +got):\n%s", diff)
	}
}

// Migrate copies every point into Qdrant (here the in-process protocol
// server), verifies counts, and can run again.
func TestMigrateEmbeddedToQdrant(t *testing.T) {
	dir := chdir(t)
	data := filepath.Join(dir, "data")
	seedStore(t, data, 700)
	srv := qdranttest.Start(t, nil)
	t.Setenv("JIEDA_STORE_QDRANT_ADDR", srv.Addr())
	for range 2 { // re-running is safe
		code, out, errOut := run(t, t.Context(), "--data", data, "migrate", "--from", "embedded", "--to", "qdrant", "--batch", "128")
		if code != 0 {
			t.Fatalf("migrate: %d %s", code, errOut)
		}
		if !strings.Contains(out, "articles: 700 points copied, target holds 700") {
			t.Errorf("migrate output: %s", out)
		}
	}
	cfg := qdrant.DefaultConfig()
	cfg.Addr = srv.Addr()
	q, err := qdrant.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	info, err := q.Collection(t.Context(), "articles")
	if err != nil {
		t.Fatal(err)
	}
	if info.Dim != 8 || !info.Sparse || info.PayloadIndexes["kb"] != index.FieldKeyword {
		t.Errorf("migrated collection settings: %+v", info)
	}
	want := allRecords(t, openEmbedded(t, data), "articles")
	got := allRecords(t, q, "articles")
	if diff := cmp.Diff(want, got, cmpFloat32()); diff != "" {
		t.Errorf("migrated points differ (-want +got):\n%s", diff)
	}
}

// cmpFloat32 compares vectors within float32 rounding of a round trip.
func cmpFloat32() cmp.Option {
	return cmp.Comparer(func(a, b float32) bool {
		d := a - b
		return d < 1e-6 && d > -1e-6
	})
}
