package embed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fileServer serves fixed files over real HTTP on loopback, honoring Range
// (through http.ServeContent) unless told otherwise, and records requests.
type fileServer struct {
	*httptest.Server

	mu    sync.Mutex
	files map[string][]byte
	// ranges holds the Range header of every request ("" for none), paths
	// its path.
	ranges, paths []string
	// ignoreRange makes the server answer 200 with the whole file.
	ignoreRange bool
	// dropAfter > 0 makes a request without Range send that many bytes of
	// the body (with the full Content-Length) and then close the connection.
	dropAfter int
	// stall makes a dropped response wait for the client to go away instead
	// of closing the connection.
	stall bool
	// status, when non-zero, is the answer to every request.
	status int
	// wrongRange answers a Range request with 206 and the whole file.
	wrongRange bool
}

func newFileServer(t *testing.T, files map[string][]byte) *fileServer {
	t.Helper()
	s := &fileServer{files: files}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *fileServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	s.paths = append(s.paths, r.URL.Path)
	content, ok := s.files[r.URL.Path]
	ignoreRange, dropAfter, stall, status, wrongRange := s.ignoreRange, s.dropAfter, s.stall, s.status, s.wrongRange
	s.mu.Unlock()
	switch {
	case status != 0:
		http.Error(w, "nope", status)
		return
	case !ok:
		http.NotFound(w, r)
		return
	}
	if ignoreRange {
		r.Header.Del("Range")
	}
	if wrongRange && r.Header.Get("Range") != "" {
		w.Header().Set("Content-Range", "bytes 0-"+strconv.Itoa(len(content)-1)+"/"+strconv.Itoa(len(content)))
		w.WriteHeader(http.StatusPartialContent)
		_, _ = w.Write(content)
		return
	}
	if dropAfter > 0 && dropAfter < len(content) && r.Header.Get("Range") == "" {
		w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(content[:dropAfter])
		w.(http.Flusher).Flush()
		if stall {
			<-r.Context().Done()
			return
		}
		panic(http.ErrAbortHandler) // closes the connection mid-body
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
}

func (s *fileServer) set(path string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = content
}

func (s *fileServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

func (s *fileServer) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ranges, s.paths = nil, nil
}

func (s *fileServer) requested() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

func randomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tinyModel is a catalog entry whose files live on srv.
func tinyModel(srv *fileServer, files ...CatalogFile) CatalogModel {
	for i := range files {
		files[i].URL = srv.URL + files[i].URL
	}
	return CatalogModel{
		Manifest:    Manifest{Name: "tiny", Dimension: 8, Pooling: PoolingCLS, Normalize: true, MaxTokens: 16, Source: "test", License: "MIT"},
		Description: "test model",
		Files:       files,
	}
}

var (
	onnxBytes = randomBytes(300_000, 1)
	tokBytes  = []byte(`{"model": {"type": "WordPiece"}}`)
)

func standardServer(t *testing.T) *fileServer {
	return newFileServer(t, map[string][]byte{"/onnx/model.onnx": onnxBytes, "/tokenizer.json": tokBytes})
}

// standardModel has the checksum of model.onnx in the catalog and none for
// tokenizer.json (recorded on first pull).
func standardModel(srv *fileServer) CatalogModel {
	return tinyModel(srv,
		CatalogFile{Name: ModelFile, URL: "/onnx/model.onnx", Size: int64(len(onnxBytes)), SHA256: sha(onnxBytes)},
		CatalogFile{Name: TokenizerFile, URL: "/tokenizer.json"},
	)
}

func assertFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes (sha %s), want %d bytes (sha %s)", path, len(got), sha(got)[:12], len(want), sha(want)[:12])
	}
}

func assertNoPartials(t *testing.T, dir string) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*"+partialSuffix))
	if len(m) > 0 {
		t.Errorf("partial files left: %v", m)
	}
}

func TestPullFull(t *testing.T) {
	srv := standardServer(t)
	m := standardModel(srv)
	dir := filepath.Join(t.TempDir(), "models", "tiny")
	type prog struct{ Done, Total int64 }
	last := map[string]prog{}
	res, err := Pull(context.Background(), m, dir, PullOptions{Progress: func(file string, done, total int64) {
		last[file] = prog{done, total}
	}})
	if err != nil {
		t.Fatal(err)
	}
	assertFile(t, filepath.Join(dir, ModelFile), onnxBytes)
	assertFile(t, filepath.Join(dir, TokenizerFile), tokBytes)
	assertNoPartials(t, dir)
	got, err := CheckModelDir(dir)
	if err != nil {
		t.Fatalf("CheckModelDir after pull: %v", err)
	}
	if diff := cmp.Diff(m.Manifest, got); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
	wantFiles := []PulledFile{
		{Name: ModelFile, Size: int64(len(onnxBytes)), SHA256: sha(onnxBytes), Downloaded: int64(len(onnxBytes))},
		{Name: TokenizerFile, Size: int64(len(tokBytes)), SHA256: sha(tokBytes), Downloaded: int64(len(tokBytes)), Recorded: true},
	}
	if diff := cmp.Diff(wantFiles, res.Files); diff != "" {
		t.Errorf("result files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]prog{
		ModelFile:     {int64(len(onnxBytes)), int64(len(onnxBytes))},
		TokenizerFile: {int64(len(tokBytes)), int64(len(tokBytes))},
	}, last); diff != "" {
		t.Errorf("last progress (-want +got):\n%s", diff)
	}

	// A second pull finds everything in place and downloads nothing.
	srv.reset()
	res, err = Pull(context.Background(), m, dir, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.seen()); n != 0 {
		t.Errorf("second pull made %d requests, want 0", n)
	}
	for _, f := range res.Files {
		if !f.Skipped || f.Downloaded != 0 {
			t.Errorf("second pull: %+v, want skipped", f)
		}
	}
}

// The server sends part of the body and drops the connection; the next pull
// resumes with a Range request.
func TestPullResumeAfterDrop(t *testing.T) {
	srv := standardServer(t)
	srv.dropAfter = 100_000
	m := standardModel(srv)
	dir := t.TempDir()
	_, err := Pull(context.Background(), m, dir, PullOptions{})
	if err == nil || !strings.Contains(err.Error(), "pull again to resume") {
		t.Fatalf("first pull error = %v, want a broken download", err)
	}
	st, err := os.Stat(filepath.Join(dir, ModelFile+partialSuffix))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != 100_000 {
		t.Fatalf("partial holds %d bytes, want 100000", st.Size())
	}

	srv.reset()
	res, err := Pull(context.Background(), m, dir, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"bytes=100000-", ""}, srv.seen()); diff != "" {
		t.Errorf("Range headers (-want +got):\n%s", diff)
	}
	assertFile(t, filepath.Join(dir, ModelFile), onnxBytes)
	assertNoPartials(t, dir)
	if f := res.Files[0]; !f.Resumed || f.Downloaded != int64(len(onnxBytes)-100_000) {
		t.Errorf("model.onnx: %+v, want resumed with %d bytes downloaded", f, len(onnxBytes)-100_000)
	}
}

func TestPullResumesExistingPartial(t *testing.T) {
	srv := standardServer(t)
	m := standardModel(srv)
	m.Files[0].SHA256 = "" // the size alone says the partial is incomplete
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ModelFile+partialSuffix), onnxBytes[:12345], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Pull(context.Background(), m, dir, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := srv.seen()[0]; got != "bytes=12345-" {
		t.Errorf("first request Range = %q, want bytes=12345-", got)
	}
	assertFile(t, filepath.Join(dir, ModelFile), onnxBytes)
}

// A partial file that already holds the whole file (unknown size): the
// server answers 416 and the file is verified as is.
func TestPullCompletePartialUnknownSize(t *testing.T) {
	srv := standardServer(t)
	m := tinyModel(srv, CatalogFile{Name: ModelFile, URL: "/onnx/model.onnx"}, CatalogFile{Name: TokenizerFile, URL: "/tokenizer.json"})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ModelFile+partialSuffix), onnxBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Pull(context.Background(), m, dir, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	assertFile(t, filepath.Join(dir, ModelFile), onnxBytes)
	if f := res.Files[0]; f.Downloaded != 0 || !f.Recorded {
		t.Errorf("model.onnx: %+v, want nothing downloaded and the checksum recorded", f)
	}
}

// A server that ignores Range answers 200 with the whole file: the partial
// is restarted, not appended to.
func TestPullServerIgnoresRange(t *testing.T) {
	srv := standardServer(t)
	srv.ignoreRange = true
	m := standardModel(srv)
	dir := t.TempDir()
	// Wrong bytes in the partial: appending would corrupt the file.
	if err := os.WriteFile(filepath.Join(dir, ModelFile+partialSuffix), bytes.Repeat([]byte{'x'}, 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Pull(context.Background(), m, dir, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.seen()[0]; got != "bytes=5000-" {
		t.Errorf("Range = %q, want bytes=5000-", got)
	}
	assertFile(t, filepath.Join(dir, ModelFile), onnxBytes)
	if f := res.Files[0]; f.Resumed || f.Downloaded != int64(len(onnxBytes)) {
		t.Errorf("model.onnx: %+v, want a full, unresumed download", f)
	}
}

// A 206 for another range than asked: start over with a plain GET.
func TestPullWrongRange(t *testing.T) {
	srv := standardServer(t)
	srv.wrongRange = true
	m := standardModel(srv)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ModelFile+partialSuffix), bytes.Repeat([]byte{'x'}, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Pull(context.Background(), m, dir, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"bytes=1000-", "", ""}, srv.seen()); diff != "" {
		t.Errorf("Range headers (-want +got):\n%s", diff)
	}
	assertFile(t, filepath.Join(dir, ModelFile), onnxBytes)
}

func TestPullChecksumMismatch(t *testing.T) {
	srv := standardServer(t)
	m := standardModel(srv)
	m.Files[0].SHA256 = strings.Repeat("0", 64)
	dir := t.TempDir()
	_, err := Pull(context.Background(), m, dir, PullOptions{})
	if err == nil {
		t.Fatal("pull succeeded, want a checksum mismatch")
	}
	for _, want := range []string{"model pull tiny", ModelFile, "sha256 mismatch", strings.Repeat("0", 64), "deleted"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	for _, name := range []string{ModelFile, ModelFile + partialSuffix, ManifestFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a mismatch (stat error %v)", name, err)
		}
	}
}

func TestPullSizeMismatch(t *testing.T) {
	srv := standardServer(t)
	m := standardModel(srv)
	m.Files[1].Size = 7 // tokenizer.json is longer: stop early and refuse
	_, err := Pull(context.Background(), m, t.TempDir(), PullOptions{})
	if err == nil || !strings.Contains(err.Error(), "size mismatch") || !strings.Contains(err.Error(), TokenizerFile) {
		t.Fatalf("error = %v, want a size mismatch naming tokenizer.json", err)
	}
}

// Without a checksum in the catalog, the first pull records one and later
// pulls hold the file to it.
func TestPullRecordsChecksum(t *testing.T) {
	srv := standardServer(t)
	m := standardModel(srv)
	dir := t.TempDir()
	sums := filepath.Join(t.TempDir(), "sums", "checksums.json")
	if _, err := Pull(context.Background(), m, dir, PullOptions{ChecksumsPath: sums}); err != nil {
		t.Fatal(err)
	}
	c, err := readChecksums(sums)
	if err != nil {
		t.Fatal(err)
	}
	want := recordedSHA256{URL: m.Files[1].URL, Size: int64(len(tokBytes)), SHA256: sha(tokBytes)}
	if diff := cmp.Diff(want, c.Files[TokenizerFile]); diff != "" {
		t.Errorf("recorded tokenizer.json (-want +got):\n%s", diff)
	}
	if c.Model != "tiny" {
		t.Errorf("recorded model %q, want tiny", c.Model)
	}

	// The file changes upstream; the local copy is gone: the pull refuses
	// the new bytes.
	changed := bytes.ToUpper(tokBytes)
	srv.set("/tokenizer.json", changed)
	if err := os.Remove(filepath.Join(dir, TokenizerFile)); err != nil {
		t.Fatal(err)
	}
	_, err = Pull(context.Background(), m, dir, PullOptions{ChecksumsPath: sums})
	if err == nil {
		t.Fatal("pull of changed file succeeded, want a mismatch against the record")
	}
	for _, want := range []string{TokenizerFile, "sha256 mismatch", "recorded by the first pull"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	// A damaged local copy is downloaded again (server back to the original).
	srv.set("/tokenizer.json", tokBytes)
	if err := os.WriteFile(filepath.Join(dir, TokenizerFile), changed, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Pull(context.Background(), m, dir, PullOptions{ChecksumsPath: sums})
	if err != nil {
		t.Fatal(err)
	}
	assertFile(t, filepath.Join(dir, TokenizerFile), tokBytes)
	if f := res.Files[1]; f.Skipped || f.Downloaded != int64(len(tokBytes)) || f.Recorded {
		t.Errorf("tokenizer.json: %+v, want downloaded again against the record", f)
	}
}

func TestPullUnreachable(t *testing.T) {
	// Port 1 on loopback: nothing listens, the connection is refused.
	m := CatalogModel{
		Manifest: Manifest{Name: "bge-small-zh-v1.5", Dimension: 8, Pooling: PoolingCLS, MaxTokens: 16},
		Files: []CatalogFile{
			{Name: ModelFile, URL: "http://127.0.0.1:1/onnx/model.onnx"},
			{Name: TokenizerFile, URL: "http://127.0.0.1:1/tokenizer.json"},
		},
	}
	_, err := Pull(context.Background(), m, t.TempDir(), PullOptions{})
	if err == nil {
		t.Fatal("pull from a closed port succeeded")
	}
	want := "model pull bge-small-zh-v1.5: cannot reach 127.0.0.1 (offline?): "
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
	if !strings.HasSuffix(err.Error(), "; use 'jieda model builtin' for an offline model or copy a model directory into models/bge-small-zh-v1.5") {
		t.Errorf("error %q does not end with the offline advice", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error %v does not wrap the *net.OpError", err)
	}
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("error %v does not wrap ErrUnreachable", err)
	}
}

func TestPullHTTPStatus(t *testing.T) {
	srv := standardServer(t)
	srv.status = http.StatusForbidden
	m := standardModel(srv)
	_, err := Pull(context.Background(), m, t.TempDir(), PullOptions{})
	if err == nil {
		t.Fatal("pull succeeded on 403")
	}
	for _, want := range []string{m.Files[0].URL, "403 Forbidden"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	srv.status = 0
	m.Files[1].URL = srv.URL + "/missing.json"
	_, err = Pull(context.Background(), m, t.TempDir(), PullOptions{})
	if err == nil || !strings.Contains(err.Error(), "404 Not Found") || !strings.Contains(err.Error(), "/missing.json") {
		t.Errorf("error = %v, want a 404 naming /missing.json", err)
	}
}

func TestPullCancel(t *testing.T) {
	srv := standardServer(t)
	srv.dropAfter, srv.stall = 50_000, true
	m := standardModel(srv)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Pull(ctx, m, dir, PullOptions{Progress: func(file string, done, total int64) {
			if done >= 50_000 {
				cancel() // the server now stalls; cancelling must end the pull
			}
		}})
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("pull did not return after cancel")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	st, serr := os.Stat(filepath.Join(dir, ModelFile+partialSuffix))
	if serr != nil || st.Size() != 50_000 {
		t.Fatalf("partial after cancel: %v, %v; want 50000 bytes kept for resume", st, serr)
	}

	// The next pull resumes where the cancelled one stopped.
	srv.mu.Lock()
	srv.dropAfter, srv.stall = 0, false
	srv.ranges = nil
	srv.mu.Unlock()
	if _, err := Pull(context.Background(), m, dir, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := srv.seen()[0]; got != "bytes=50000-" {
		t.Errorf("Range after cancel = %q, want bytes=50000-", got)
	}
	assertFile(t, filepath.Join(dir, ModelFile), onnxBytes)
}

func TestParseContentRange(t *testing.T) {
	type r struct {
		start, end, length int64
		ok                 bool
	}
	tests := map[string]r{
		"bytes 100-199/200": {100, 199, 200, true},
		"bytes 0-9/*":       {0, 9, -1, true},
		"bytes */200":       {-1, -1, 200, true},
		"bytes 5-1/200":     {-1, -1, 200, false},
		"items 0-1/2":       {-1, -1, -1, false},
		"bytes 0-1":         {-1, -1, -1, false},
		"":                  {-1, -1, -1, false},
	}
	for in, want := range tests {
		var got r
		got.start, got.end, got.length, got.ok = parseContentRange(in)
		if got != want {
			t.Errorf("parseContentRange(%q) = %+v, want %+v", in, got, want)
		}
	}
}

var int8Bytes = randomBytes(80_000, 9)

// An int8 variant is pulled into a directory of its own: its own
// model.onnx, checked against the variant's checksum, and the model's
// tokenizer; the float32 model.onnx is never downloaded.
func TestPullVariant(t *testing.T) {
	srv := newFileServer(t, map[string][]byte{"/onnx/model.onnx": onnxBytes, "/onnx/model_quantized.onnx": int8Bytes, "/tokenizer.json": tokBytes})
	m := standardModel(srv)
	m.Variants = []CatalogVariant{{Name: "int8", Description: "int8 weights by the publisher", Files: []CatalogFile{
		{Name: ModelFile, URL: srv.URL + "/onnx/model_quantized.onnx", Size: int64(len(int8Bytes)), SHA256: sha(int8Bytes)},
	}}}
	v, err := m.Variant("int8")
	if err != nil {
		t.Fatal(err)
	}
	models := filepath.Join(t.TempDir(), "models")
	dir := filepath.Join(models, v.Name)
	res, err := Pull(context.Background(), v, dir, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/onnx/model_quantized.onnx", "/tokenizer.json"}, srv.requested()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	assertFile(t, filepath.Join(dir, ModelFile), int8Bytes)
	assertFile(t, filepath.Join(dir, TokenizerFile), tokBytes)
	got, err := CheckModelDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := m.Manifest
	want.Name, want.Note = "tiny-int8", "int8 weights by the publisher"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
	if f := res.Files[0]; f.SHA256 != sha(int8Bytes) || f.Recorded {
		t.Errorf("model.onnx: %+v, want verified against the variant's checksum", f)
	}

	// The float32 model goes to its own directory; neither disturbs the other.
	if _, err := Pull(context.Background(), m, filepath.Join(models, m.Name), PullOptions{}); err != nil {
		t.Fatal(err)
	}
	assertFile(t, filepath.Join(models, m.Name, ModelFile), onnxBytes)
	assertFile(t, filepath.Join(dir, ModelFile), int8Bytes)

	// Upstream bytes that do not match the variant's checksum are refused.
	changed := bytes.Clone(int8Bytes)
	changed[1000] ^= 0xff
	srv.set("/onnx/model_quantized.onnx", changed)
	_, err = Pull(context.Background(), v, filepath.Join(models, "other"), PullOptions{})
	if err == nil || !strings.Contains(err.Error(), "sha256 mismatch") || !strings.Contains(err.Error(), "(catalog)") {
		t.Errorf("pull of a changed int8 file: %v, want a sha256 mismatch against the catalog", err)
	}
}
