package embed_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/models/synth"
)

// testModelDir is a small synthetic BERT written once for the package's tests.
var testModelDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jieda-embed-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testModelDir = filepath.Join(dir, "model")
	cfg := synth.BertConfig{Layers: 2, Hidden: 64, Heads: 4, FFN: 128, Vocab: 6000, MaxPositions: 128, TypeVocab: 2, LayerNormEps: 1e-12, Seed: 7}
	err = os.MkdirAll(testModelDir, 0o755)
	if err == nil {
		err = synth.WriteDir(testModelDir, synth.Options{Config: cfg, Name: "test-bert", Pooling: embed.PoolingCLS, MaxTokens: 64})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "writing test model:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// openTest opens an Embedder on the test model, failing with the fix when
// the ONNX Runtime library is missing.
func openTest(t *testing.T, mutate func(*embed.Config)) *embed.Embedder {
	t.Helper()
	cfg := embed.DefaultConfig()
	cfg.ModelDir = testModelDir
	if mutate != nil {
		mutate(&cfg)
	}
	e, err := embed.Open(cfg, nil)
	if errors.Is(err, embed.ErrRuntimeUnavailable) {
		t.Fatalf("ONNX Runtime is required for these tests: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return e
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

var mixed = []string{
	"订单怎么取消",
	"我的訂單 ST-771 還沒到，已经等了一个星期了，能不能帮我催一下快递？",
	"how do I return this",
	"退货",
	"Refund status for order 20231115-8841? 我申请退款三天了还没有到账，请尽快处理",
}

func TestEmbedShapeAndNorm(t *testing.T) {
	e := openTest(t, nil)
	for _, role := range []embed.Role{embed.RoleQuery, embed.RolePassage} {
		vecs, err := e.Embed(t.Context(), mixed, role)
		if err != nil {
			t.Fatal(err)
		}
		if len(vecs) != len(mixed) {
			t.Fatalf("%s: got %d vectors for %d texts", role, len(vecs), len(mixed))
		}
		for i, v := range vecs {
			if len(v) != e.Dimension() {
				t.Errorf("%s: vector %d has %d dims, want %d", role, i, len(v), e.Dimension())
			}
			if n := norm(v); math.Abs(n-1) > 1e-5 {
				t.Errorf("%s: vector %d has norm %v, want 1", role, i, n)
			}
		}
	}
}

// A text's vector is the same alone and inside a padded batch of mixed lengths.
func TestBatchInvariance(t *testing.T) {
	e := openTest(t, func(c *embed.Config) { c.CacheSize = 0 })
	ctx := t.Context()
	batch, err := e.Embed(ctx, mixed, embed.RolePassage)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range mixed {
		for _, role := range []embed.Role{embed.RoleQuery, embed.RolePassage} {
			alone, err := e.Embed(ctx, []string{text}, role)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(alone[0], batch[i]); d > 1e-4 {
				t.Errorf("text %d (%s alone vs passage batch): max abs diff %g > 1e-4", i, role, d)
			}
		}
	}
	// Live queries batched together by concurrent callers agree too.
	var wg sync.WaitGroup
	got := make([][]float32, len(mixed))
	errs := make([]error, len(mixed))
	for i := range mixed {
		wg.Go(func() {
			v, err := e.Embed(ctx, mixed[i:i+1], embed.RoleQuery)
			errs[i] = err
			if err == nil {
				got[i] = v[0]
			}
		})
	}
	wg.Wait()
	for i := range mixed {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if d := maxAbsDiff(got[i], batch[i]); d > 1e-4 {
			t.Errorf("text %d concurrent query: max abs diff %g > 1e-4", i, d)
		}
	}
}

// Normalization runs before embedding: traditional and full-width forms
// embed exactly like their normalized forms.
func TestEmbedNormalizes(t *testing.T) {
	e := openTest(t, nil)
	vecs, err := e.Embed(t.Context(), []string{"訂單查詢 ＳＴ－７７１", "订单查询 st-771"}, embed.RoleQuery)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(vecs[0], vecs[1]); d != 0 {
		t.Errorf("traditional/full-width and normalized text differ by %g", d)
	}
}

func TestEmbedBadInput(t *testing.T) {
	e := openTest(t, nil)
	for _, tc := range []struct {
		name  string
		texts []string
		want  error
	}{
		{"invalid utf-8", []string{"ok", "bad \xff\xfe"}, embed.ErrInvalidUTF8},
		{"empty", []string{""}, embed.ErrEmptyText},
		{"only spaces and controls", []string{" \t\u200b\n "}, embed.ErrEmptyText},
	} {
		for _, role := range []embed.Role{embed.RoleQuery, embed.RolePassage} {
			_, err := e.Embed(t.Context(), tc.texts, role)
			if !errors.Is(err, tc.want) {
				t.Errorf("%s/%s: got %v, want %v", tc.name, role, err, tc.want)
			}
		}
	}
	// A huge text is truncated to the model's max tokens, not rejected.
	huge := strings.Repeat("退货运费谁承担", 5000)
	if _, err := e.Embed(t.Context(), []string{huge}, embed.RoleQuery); err != nil {
		t.Errorf("huge text: %v", err)
	}
	// No texts, no vectors.
	if v, err := e.Embed(t.Context(), nil, embed.RolePassage); err != nil || len(v) != 0 {
		t.Errorf("no texts: got %d vectors, %v", len(v), err)
	}
}

func TestQueryCache(t *testing.T) {
	e := openTest(t, nil)
	first, err := e.Embed(t.Context(), []string{"运费怎么算"}, embed.RoleQuery)
	if err != nil {
		t.Fatal(err)
	}
	before := e.Stats()
	// Same text after normalization: a cache hit.
	again, err := e.Embed(t.Context(), []string{"運費怎麼算"}, embed.RoleQuery)
	if err != nil {
		t.Fatal(err)
	}
	after := e.Stats()
	if after.CacheHits != before.CacheHits+1 || after.LiveTexts != before.LiveTexts {
		t.Errorf("second identical query: hits %d→%d, model texts %d→%d; want one hit and no model run",
			before.CacheHits, after.CacheHits, before.LiveTexts, after.LiveTexts)
	}
	if d := maxAbsDiff(first[0], again[0]); d != 0 {
		t.Errorf("cached vector differs by %g", d)
	}
}

func TestMicroBatching(t *testing.T) {
	e := openTest(t, func(c *embed.Config) {
		c.CacheSize = 0
		c.MaxWait = time.Second // batches fill up long before this
		c.MaxBatch = 8
	})
	texts := make([]string, 32)
	for i := range texts {
		texts[i] = fmt.Sprintf("第%d个问题：我的包裹在哪里", i)
	}
	// One call with many queries: announced together, run in full batches.
	if _, err := e.Embed(t.Context(), texts, embed.RoleQuery); err != nil {
		t.Fatal(err)
	}
	s := e.Stats()
	if s.LiveTexts != 32 || s.LiveBatches != 4 {
		t.Errorf("32 queries ran as %d texts in %d batches, want 32 in 4 batches of 8", s.LiveTexts, s.LiveBatches)
	}
	// Concurrent callers share batches too.
	var wg sync.WaitGroup
	errs := make(chan error, len(texts))
	for i := range texts {
		wg.Go(func() {
			if _, err := e.Embed(t.Context(), []string{texts[i] + "？"}, embed.RoleQuery); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s2 := e.Stats()
	if got := s2.LiveTexts - s.LiveTexts; got != 32 {
		t.Fatalf("model ran %d texts for 32 callers", got)
	}
	if b := s2.LiveBatches - s.LiveBatches; b < 4 {
		t.Errorf("32 callers in %d batches: exceeds max batch 8", b)
	}
}

// Live lanes run batches side by side: with two lanes, a second batch
// starts while the first is still running.
func TestLiveLanesRunSideBySide(t *testing.T) {
	e := openTest(t, func(c *embed.Config) {
		c.CacheSize = 0
		c.MaxBatch = 1
		c.LiveLanes = 2
	})
	started := make(chan struct{}, 2)
	e.ObserveBatches(func(pool string, _ int) {
		if pool != "live" {
			return
		}
		started <- struct{}{}
		// Hold this lane until a second batch has started on the other.
		for len(started) < 2 {
			select {
			case <-time.After(time.Millisecond):
			case <-t.Context().Done():
				return
			}
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			_, errs[i] = e.Embed(ctx, []string{fmt.Sprintf("第%d条：快递到哪了", i)}, embed.RoleQuery)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("two questions on two lanes: %v (did the second batch wait for the first?)", err)
		}
	}
}

// One call of many texts on two lanes finishes without waiting out
// MaxWait, and every vector equals the text's vector alone.
func TestLiveLanesShareTheQueue(t *testing.T) {
	texts := make([]string, 29)
	for i := range texts {
		texts[i] = fmt.Sprintf("第%d个问题：退款多久到账", i)
	}
	for try := range 3 {
		// A fresh embedder each time: no batch has run yet, so only texts
		// announced and not yet taken can make the batcher wait.
		e := openTest(t, func(c *embed.Config) {
			c.CacheSize = 0
			c.MaxWait = time.Second
			c.MaxBatch = 64
			c.LiveLanes = 2
		})
		// The texts take milliseconds; a lane waiting out MaxWait takes 1 s.
		ctx, cancel := context.WithTimeout(t.Context(), 900*time.Millisecond)
		vecs, err := e.Embed(ctx, texts, embed.RoleQuery)
		cancel()
		if err != nil {
			t.Fatalf("try %d, 29 texts on 2 lanes: %v (a lane waited for texts the other had taken)", try, err)
		}
		if s := e.Stats(); s.LiveTexts != int64(len(texts)) {
			t.Errorf("model ran %d texts, want %d", s.LiveTexts, len(texts))
		}
		for i, text := range texts {
			alone, err := e.Embed(t.Context(), []string{text}, embed.RoleQuery)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(alone[0], vecs[i]); d > 1e-4 {
				t.Errorf("text %d: max abs diff %g between its batch and alone", i, d)
			}
		}
	}
}

func TestCancellation(t *testing.T) {
	e := openTest(t, func(c *embed.Config) { c.CacheSize = 0 })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, role := range []embed.Role{embed.RoleQuery, embed.RolePassage} {
		if _, err := e.Embed(ctx, []string{"取消的请求"}, role); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with cancelled context: got %v, want context.Canceled", role, err)
		}
	}
	// Cancel while a long bulk job runs: it stops with the context's error,
	// and the embedder keeps working.
	long := make([]string, 4000) // ~0.7 s of work on 2 cores: far past the deadline
	for i := range long {
		long[i] = strings.Repeat(fmt.Sprintf("第%d段很长的商品说明文字，", i), 8)
	}
	ctx2, cancel2 := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel2()
	if _, err := e.Embed(ctx2, long, embed.RolePassage); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("bulk job past its deadline: got %v, want context.DeadlineExceeded", err)
	}
	if _, err := e.Embed(t.Context(), []string{"还能用吗"}, embed.RoleQuery); err != nil {
		t.Errorf("after cancellation: %v", err)
	}
}

// Live questions are answered while a large indexing job runs: the job
// yields between forward passes.
func TestBulkDoesNotStarveLive(t *testing.T) {
	e := openTest(t, func(c *embed.Config) {
		c.CacheSize = 0
		c.BulkBatch = 4
	})
	passages := make([]string, 600)
	for i := range passages {
		passages[i] = strings.Repeat(fmt.Sprintf("商品%d的售后政策说明。", i), 6)
	}
	bulkDone := make(chan error, 1)
	go func() {
		_, err := e.Embed(t.Context(), passages, embed.RolePassage)
		bulkDone <- err
	}()
	// Wait until the bulk job is under way.
	for e.Stats().BulkBatches == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := range 10 {
		if _, err := e.Embed(t.Context(), []string{fmt.Sprintf("问题%d：发票怎么开", i)}, embed.RoleQuery); err != nil {
			t.Fatal(err)
		}
	}
	s := e.Stats()
	if s.BulkBatches*4 >= int64(len(passages)) {
		t.Errorf("bulk job finished (%d batches) before 10 live queries were answered", s.BulkBatches)
	}
	if err := <-bulkDone; err != nil {
		t.Fatal(err)
	}
}

func TestClosed(t *testing.T) {
	cfg := embed.DefaultConfig()
	cfg.ModelDir = testModelDir
	e, err := embed.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Embed(t.Context(), []string{"x"}, embed.RoleQuery); !errors.Is(err, embed.ErrClosed) {
		t.Errorf("after Close: got %v, want ErrClosed", err)
	}
}

func TestOpenErrors(t *testing.T) {
	cfg := embed.DefaultConfig()
	cfg.ModelDir = t.TempDir()
	if _, err := embed.Open(cfg, nil); !errors.Is(err, embed.ErrBadModelDir) {
		t.Errorf("empty model dir: got %v, want ErrBadModelDir", err)
	}
	cfg = embed.DefaultConfig()
	cfg.MaxBatch = 0
	cfg.ModelDir = testModelDir
	if _, err := embed.Open(cfg, nil); err == nil || !strings.Contains(err.Error(), "embed.max_batch") {
		t.Errorf("bad max_batch: got %v, want an error naming embed.max_batch", err)
	}
}

// A missing ONNX Runtime library is a clear error naming the path and the
// fix, never a crash. The runtime is process-global, so this runs in a
// child process.
func TestMissingRuntimeLibrary(t *testing.T) {
	if os.Getenv("JIEDA_TEST_MISSING_ORT") == "1" {
		cfg := embed.DefaultConfig()
		cfg.ModelDir = testModelDir
		_, err := embed.Open(cfg, nil)
		fmt.Println("OPEN ERROR:", err)
		if !errors.Is(err, embed.ErrRuntimeUnavailable) {
			os.Exit(3)
		}
		return
	}
	missing := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	cmd := exec.Command(os.Args[0], "-test.run=^TestMissingRuntimeLibrary$")
	cmd.Env = append(os.Environ(), "JIEDA_TEST_MISSING_ORT=1", embed.ORTLibEnv+"="+missing)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	for _, want := range []string{missing, "make setup", "JIEDA_ORT_LIB"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("error does not mention %q:\n%s", want, out)
		}
	}
	// A file that is not a shared library fails cleanly too.
	bogus := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	if err := os.WriteFile(bogus, []byte("not a library"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(os.Args[0], "-test.run=^TestMissingRuntimeLibrary$")
	cmd.Env = append(os.Environ(), "JIEDA_TEST_MISSING_ORT=1", embed.ORTLibEnv+"="+bogus)
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child with a bogus library failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), bogus) {
		t.Errorf("error does not name the bogus library:\n%s", out)
	}
}

// The manifest's prefixes are applied per role: with a query prefix, the
// same text embeds differently as a query and as a passage.
func TestRolePrefixes(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{embed.ModelFile, embed.TokenizerFile} {
		b, err := os.ReadFile(filepath.Join(testModelDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := embed.ReadManifest(testModelDir)
	if err != nil {
		t.Fatal(err)
	}
	m.QueryPrefix, m.PassagePrefix = "query: ", "passage: "
	if err := embed.WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	e := openTest(t, func(c *embed.Config) { c.ModelDir = dir })
	q, err := e.Embed(t.Context(), []string{"退货运费谁出"}, embed.RoleQuery)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Embed(t.Context(), []string{"退货运费谁出"}, embed.RolePassage)
	if err != nil {
		t.Fatal(err)
	}
	// Embedding the prefixed text as an unprefixed passage elsewhere gives the query vector.
	plain := openTest(t, nil)
	want, err := plain.Embed(t.Context(), []string{"query: 退货运费谁出"}, embed.RolePassage)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(q[0], p[0]); d < 1e-3 {
		t.Errorf("query and passage vectors agree (max diff %g): prefixes not applied", d)
	}
	if d := maxAbsDiff(q[0], want[0]); d > 1e-4 {
		t.Errorf("query vector differs from the prefixed text's by %g", d)
	}
}
