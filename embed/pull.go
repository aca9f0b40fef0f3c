package embed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ChecksumsFile is the file in a model directory where Pull records the
// size and sha256 of each file it verified.
const ChecksumsFile = "checksums.json"

// partialSuffix marks a download in progress; Pull resumes it.
const partialSuffix = ".partial"

// PullOptions configures Pull.
type PullOptions struct {
	// HTTPClient does the downloads; nil means a client with connection
	// and response-header timeouts but no overall timeout (files are large;
	// cancel through ctx).
	HTTPClient *http.Client
	// Progress, when set, is called as each file downloads with the bytes
	// done and the total (-1 when unknown). It runs on Pull's goroutine.
	Progress func(file string, done, total int64)
	// ChecksumsPath is where recorded checksums persist; empty means
	// dir/checksums.json.
	ChecksumsPath string
}

// PullResult describes a finished pull.
type PullResult struct {
	// Dir is the model directory.
	Dir string
	// Manifest is what Pull wrote to Dir/manifest.json.
	Manifest Manifest
	// Files are the model's files, in catalog order.
	Files []PulledFile
}

// PulledFile reports what Pull did with one file.
type PulledFile struct {
	Name   string
	Size   int64
	SHA256 string
	// Downloaded counts the bytes fetched by this pull (0 when skipped).
	Downloaded int64
	// Skipped is true when the file was already in place and verified.
	Skipped bool
	// Resumed is true when the download continued an earlier partial one.
	Resumed bool
	// Recorded is true when the checksum was not in the catalog and this
	// pull recorded it (first download); later pulls verify against it.
	Recorded bool
}

// Pull downloads the files of catalog model m into dir and writes its
// manifest. Each file goes to dir/NAME.partial first; an existing partial
// file is resumed with an HTTP Range request. A complete file is checked
// against the size and sha256 from the catalog or, when the catalog has
// none, against the record in the checksums file (written on the first
// download), then renamed into place. Files already in place and verified
// are not downloaded again. On cancellation or a broken connection the
// partial file stays for the next pull to resume.
func Pull(ctx context.Context, m CatalogModel, dir string, opts PullOptions) (PullResult, error) {
	res := PullResult{Dir: dir, Manifest: m.Manifest}
	if err := m.validate(); err != nil {
		return res, fmt.Errorf("model pull %s: %w", m.Name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("model pull %s: %w", m.Name, err)
	}
	p := &puller{m: m, dir: dir, opts: opts, client: opts.HTTPClient}
	if p.client == nil {
		p.client = defaultPullClient()
	}
	if p.opts.ChecksumsPath == "" {
		p.opts.ChecksumsPath = filepath.Join(dir, ChecksumsFile)
	}
	var err error
	if p.sums, err = readChecksums(p.opts.ChecksumsPath); err != nil {
		return res, fmt.Errorf("model pull %s: %w", m.Name, err)
	}
	for _, f := range m.Files {
		pf, err := p.pullFile(ctx, f)
		if err != nil {
			if ue := (*unreachableError)(nil); errors.As(err, &ue) {
				return res, fmt.Errorf("model pull %s: %w", m.Name, err)
			}
			return res, fmt.Errorf("model pull %s: %s: %w", m.Name, f.Name, err)
		}
		res.Files = append(res.Files, pf)
	}
	if err := WriteManifest(dir, m.Manifest); err != nil {
		return res, fmt.Errorf("model pull %s: %w", m.Name, err)
	}
	return res, nil
}

// defaultPullClient bounds connecting and waiting for headers, not the
// transfer itself.
func defaultPullClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 15 * time.Second
	t.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{Transport: t}
}

type puller struct {
	m      CatalogModel
	dir    string
	opts   PullOptions
	client *http.Client
	sums   checksums
}

// expectation is what a file must be: size and sha256 (0 and "" when
// unknown), each with where it comes from, for error messages.
type expectation struct {
	size              int64
	sum               string
	sizeFrom, sumFrom string
}

// expected takes a file's size and sha256 from the catalog, or else from
// the record of the first pull (for the same URL).
func (p *puller) expected(f CatalogFile) expectation {
	e := expectation{size: f.Size, sum: f.SHA256, sizeFrom: "catalog", sumFrom: "catalog"}
	recorded := "recorded by the first pull in " + p.opts.ChecksumsPath + "; delete that file to accept a changed upstream file"
	if r, ok := p.sums.Files[f.Name]; ok && r.URL == f.URL {
		if e.size == 0 {
			e.size, e.sizeFrom = r.Size, recorded
		}
		if e.sum == "" {
			e.sum, e.sumFrom = r.SHA256, recorded
		}
	}
	return e
}

// sizeMismatch reports a download of the wrong size; the bad partial file
// is deleted.
func sizeMismatch(partial, rawURL string, got int64, e expectation) error {
	_ = os.Remove(partial)
	return fmt.Errorf("size mismatch: %s has %d bytes, want %d (%s); the bad download was deleted",
		rawURL, got, e.size, e.sizeFrom)
}

func (p *puller) pullFile(ctx context.Context, f CatalogFile) (PulledFile, error) {
	pf := PulledFile{Name: f.Name}
	dest := filepath.Join(p.dir, f.Name)
	partial := dest + partialSuffix
	want := p.expected(f)
	size, sum := want.size, want.sum

	// Already in place: verify and skip.
	if st, err := os.Stat(dest); err == nil && st.Mode().IsRegular() && (size == 0 || st.Size() == size) {
		got, err := fileSHA256(dest)
		if err != nil {
			return pf, err
		}
		if sum == "" || got == sum {
			pf.Size, pf.SHA256, pf.Skipped = st.Size(), got, true
			if sum == "" {
				// A file put here without a record (e.g. copied in by hand):
				// record it, so that later pulls verify against it.
				if err := p.record(f, st.Size(), got); err != nil {
					return pf, err
				}
				pf.Recorded = true
			}
			p.progress(f.Name, st.Size(), st.Size())
			return pf, nil
		}
		// A stale or damaged file: download again; it is replaced only once
		// the new one verifies.
	}

	n, resumed, err := p.download(ctx, f, partial, want)
	pf.Downloaded, pf.Resumed = n, resumed
	if err != nil {
		return pf, err
	}

	st, err := os.Stat(partial)
	if err != nil {
		return pf, err
	}
	got, err := fileSHA256(partial)
	if err != nil {
		return pf, err
	}
	if size > 0 && st.Size() != size {
		return pf, sizeMismatch(partial, f.URL, st.Size(), want)
	}
	if sum != "" && got != sum {
		_ = os.Remove(partial)
		return pf, fmt.Errorf("sha256 mismatch: downloaded %s from %s, want %s (%s); the bad download was deleted",
			got, f.URL, sum, want.sumFrom)
	}
	if sum == "" {
		pf.Recorded = true
	}
	// Record before the rename: a crash in between leaves a complete
	// partial file that the next pull verifies against this record.
	if err := p.record(f, st.Size(), got); err != nil {
		return pf, err
	}
	if err := os.Rename(partial, dest); err != nil {
		return pf, err
	}
	syncDir(p.dir)
	pf.Size, pf.SHA256 = st.Size(), got
	return pf, nil
}

// download brings partial up to the whole file, resuming it when it holds
// bytes already. It returns the bytes fetched and whether it resumed.
func (p *puller) download(ctx context.Context, f CatalogFile, partial string, want expectation) (n int64, resumed bool, err error) {
	size := want.size
	have := int64(0)
	if st, err := os.Stat(partial); err == nil {
		have = st.Size()
	}
	if size > 0 && have > size {
		have = 0 // longer than the file can be: start over
	}
	if size > 0 && have == size {
		p.progress(f.Name, have, size)
		return 0, false, nil // complete; the caller verifies it
	}

	resp, err := p.get(ctx, f.URL, have)
	if err != nil {
		return 0, false, err
	}
	defer func() { _ = resp.Body.Close() }() // read side: what was read is verified by its checksum

	var total int64
	start, end, length, rangeOK := parseContentRange(resp.Header.Get("Content-Range"))
	switch {
	case have > 0 && resp.StatusCode == http.StatusPartialContent && rangeOK && start == have:
		resumed, total = true, length
		if total < 0 {
			total = end + 1
		}
	case have > 0 && resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && rangeOK && length == have:
		// The partial file already holds every byte: the caller verifies it.
		p.progress(f.Name, have, have)
		return 0, true, nil
	case have > 0 && (resp.StatusCode == http.StatusPartialContent || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable):
		// Not the range asked for, or a partial file the server cannot
		// continue: start over without Range.
		_ = resp.Body.Close() // dropped unread
		if resp, err = p.get(ctx, f.URL, 0); err != nil {
			return 0, false, err
		}
		defer func() { _ = resp.Body.Close() }()
		if resp.StatusCode != http.StatusOK {
			return 0, false, statusError(f.URL, resp)
		}
		have, total = 0, resp.ContentLength
	case resp.StatusCode == http.StatusOK:
		// A fresh download, or a server that ignored Range: start over.
		have, total = 0, resp.ContentLength
	default:
		return 0, false, statusError(f.URL, resp)
	}
	if size > 0 && total >= 0 && total != size {
		return 0, resumed, sizeMismatch(partial, f.URL, total, want)
	}
	if total < 0 && size > 0 {
		total = size
	}

	flags := os.O_CREATE | os.O_WRONLY
	if have == 0 {
		flags |= os.O_TRUNC
	} else {
		flags |= os.O_APPEND
	}
	out, err := os.OpenFile(partial, flags, 0o644)
	if err != nil {
		return 0, false, err
	}
	defer func() {
		// Keep what arrived, durably, for the next pull to resume.
		err = errors.Join(err, out.Sync(), out.Close())
	}()

	body := io.Reader(resp.Body)
	if size > 0 {
		body = io.LimitReader(body, size-have+1) // catch an oversized file early
	}
	p.progress(f.Name, have, total)
	w := &progressWriter{w: out, done: have, total: total, file: f.Name, fn: p.opts.Progress}
	n, err = io.Copy(w, body)
	if size > 0 && have+n > size {
		return n, resumed, sizeMismatch(partial, f.URL, have+n, want)
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return n, resumed, fmt.Errorf("download interrupted after %d bytes (pull again to resume): %w", have+n, ctxErr)
		}
		return n, resumed, fmt.Errorf("downloading %s: connection lost after %d bytes (pull again to resume): %w", f.URL, have+n, err)
	}
	if total >= 0 && have+n < total {
		return n, resumed, fmt.Errorf("downloading %s: connection closed after %d of %d bytes (pull again to resume)", f.URL, have+n, total)
	}
	return n, resumed, nil
}

// get sends a GET, with a Range header from offset when it is positive.
// A network failure before any response is reported as unreachable.
func (p *puller) get(ctx context.Context, rawURL string, offset int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "jieda-model-pull")
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if unreachable(err) {
			host := rawURL
			if u, perr := url.Parse(rawURL); perr == nil {
				host = u.Hostname()
			}
			return nil, &unreachableError{host: host, model: p.m.Name, err: err}
		}
		return nil, fmt.Errorf("downloading %s: %w", rawURL, err)
	}
	return resp, nil
}

// unreachable reports errors meaning no connection could be made: DNS
// failure, refused or unreachable, or a dial timeout.
func unreachable(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENETUNREACH) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETDOWN) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// unreachableError says that no connection could be made and what to do
// without a network.
type unreachableError struct {
	host, model string
	err         error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("cannot reach %s (offline?): %v; use 'jieda model builtin' for an offline model or copy a model directory into models/%s",
		e.host, e.err, e.model)
}

func (e *unreachableError) Unwrap() []error { return []error{ErrUnreachable, e.err} }

func statusError(rawURL string, resp *http.Response) error {
	return fmt.Errorf("downloading %s: server answered %s", rawURL, resp.Status)
}

// parseContentRange parses "bytes START-END/LENGTH" (or "bytes */LENGTH");
// unknown parts are -1.
func parseContentRange(v string) (start, end, length int64, ok bool) {
	start, end, length = -1, -1, -1
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !found {
		return start, end, length, false
	}
	rng, total, found := strings.Cut(spec, "/")
	if !found {
		return start, end, length, false
	}
	if total != "*" {
		l, err := strconv.ParseInt(total, 10, 64)
		if err != nil || l < 0 {
			return start, end, length, false
		}
		length = l
	}
	if rng == "*" {
		return start, end, length, length >= 0
	}
	a, b, found := strings.Cut(rng, "-")
	s, err1 := strconv.ParseInt(a, 10, 64)
	e, err2 := strconv.ParseInt(b, 10, 64)
	if !found || err1 != nil || err2 != nil || s < 0 || e < s {
		return -1, -1, length, false
	}
	return s, e, length, true
}

// progressWriter reports bytes written to a progress callback.
type progressWriter struct {
	w           io.Writer
	done, total int64
	file        string
	fn          func(file string, done, total int64)
}

func (pw *progressWriter) Write(b []byte) (int, error) {
	n, err := pw.w.Write(b)
	pw.done += int64(n)
	if pw.fn != nil && n > 0 {
		pw.fn(pw.file, pw.done, pw.total)
	}
	return n, err
}

func (p *puller) progress(file string, done, total int64) {
	if p.opts.Progress != nil {
		p.opts.Progress(file, done, total)
	}
}

// checksums is the record of verified files kept in ChecksumsFile.
type checksums struct {
	Model string                    `json:"model"`
	Files map[string]recordedSHA256 `json:"files"`
}

type recordedSHA256 struct {
	// URL the file came from; a record for another URL does not apply.
	URL    string `json:"url"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func readChecksums(path string) (checksums, error) {
	c := checksums{Files: map[string]recordedSHA256{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("reading %s: %w (delete it to record checksums anew)", path, err)
	}
	if c.Files == nil {
		c.Files = map[string]recordedSHA256{}
	}
	return c, nil
}

// record saves a verified file's size and sha256 in the checksums file.
func (p *puller) record(f CatalogFile, size int64, sum string) error {
	r := recordedSHA256{URL: f.URL, Size: size, SHA256: sum}
	if p.sums.Files[f.Name] == r {
		return nil
	}
	p.sums.Model = p.m.Name
	p.sums.Files[f.Name] = r
	b, err := json.MarshalIndent(p.sums, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.opts.ChecksumsPath), 0o755); err != nil {
		return err
	}
	if err := WriteFileAtomic(p.opts.ChecksumsPath, append(b, '\n')); err != nil {
		return fmt.Errorf("recording checksum: %w", err)
	}
	return nil
}

func fileSHA256(path string) (_ string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// syncDir makes a rename in dir durable; best effort (not every platform
// can fsync a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
