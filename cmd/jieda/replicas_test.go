package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/soak"
	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/memstore"
	"github.com/jieda/jieda/index/qdrant/qdranttest"
	"github.com/jieda/jieda/models/synth"
)

// replica is `jieda serve` as a child process on a shared Qdrant (the
// in-process server speaking its gRPC protocol).
func replica(t *testing.T, qdrantAddr, model string, env ...string) *soak.Server {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(asBinaryEnv, "1")
	env = append([]string{
		"JIEDA_STORE_ENGINE=qdrant", "JIEDA_STORE_QDRANT_ADDR=" + qdrantAddr,
		"JIEDA_ANSWER_HANDOFFS_PER_MINUTE=0", "JIEDA_ANSWER_LEXICON_REFRESH=1s",
		"JIEDA_SERVER_REQUEST_TIMEOUT=60s", "JIEDA_STORE_QDRANT_TIMEOUT=60s", // a loaded CI machine runs both and the Qdrant server, raced
		"JIEDA_ANSWER_SELF_CALIBRATE=false", // thousands of searches on the one Qdrant server this test runs
	}, env...)
	dir := t.TempDir()
	srv, err := soak.NewServer(soak.Config{Binary: bin, Dir: dir, ModelDir: model, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Logf("%s's log:\n%s", srv.URL(), log)
		}
	})
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return srv
}

// call sends a JSON request and decodes a JSON answer.
func call(t *testing.T, srv *soak.Server, method, path, key string, body any) (int, map[string]any, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		js, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, string(raw)
}

// deliveries counts the webhook requests per delivery id; it fails
// every request until open is set, so that deliveries pile up retrying
// and both replicas' scans find them due together.
type deliveries struct {
	mu     sync.Mutex
	open   bool
	counts map[string]int
	events map[string]string
}

func (d *deliveries) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	d.mu.Lock()
	open := d.open
	if open {
		id := r.Header.Get("X-Jieda-Delivery")
		d.counts[id]++
		d.events[id] = r.Header.Get("X-Jieda-Event")
	}
	d.mu.Unlock()
	if !open {
		http.Error(w, "not yet", http.StatusServiceUnavailable)
		return
	}
	time.Sleep(20 * time.Millisecond) // an attempt takes a while, as over a network
	w.WriteHeader(http.StatusNoContent)
}

func (d *deliveries) snapshot() (map[string]int, map[string]string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, e := map[string]int{}, map[string]string{}
	for k, v := range d.counts {
		c[k], e[k] = v, d.events[k]
	}
	return c, e
}

// TestReplicasShareOneQdrant runs two `jieda serve` processes on one
// Qdrant: every webhook event is delivered once although both scan for
// due deliveries, a candidate is decided once when editors on both decide
// it at the same time, and an article changed through one replica is
// answered by the other within the documented bound.
func TestReplicasShareOneQdrant(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers")
	}
	backing := memstore.New()
	q := qdranttest.Start(t, backing)
	defer func() {
		if t.Failed() {
			infos, _ := backing.Collections(context.Background())
			name := ""
			for _, in := range infos {
				if strings.HasSuffix(in.Name, answer.HandoffsCollection) {
					name = in.Name
				}
			}
			err := index.ScrollAll(context.Background(), backing, name, index.ScrollRequest{Limit: 100, With: index.With{Payload: true}}, func(r index.Record) error {
				p := r.Payload
				t.Logf("handoff %s: delivery state=%v event=%v next=%v lease=%v/%v", r.ID, p["delivery_state"], p["delivery_event"], p["next_attempt_at"], p["delivery_lease_until"], p["delivery_lease_by"])
				return nil
			})
			if err != nil {
				t.Logf("reading the handoffs: %v", err)
			}
		}
	}()
	model := filepath.Join(t.TempDir(), "model")
	if err := synth.WriteBuiltin(model); err != nil {
		t.Fatal(err)
	}
	fast := []string{"JIEDA_LOG_LEVEL=info", "JIEDA_WEBHOOK_SCAN_INTERVAL=300ms", "JIEDA_WEBHOOK_BACKOFF_BASE=100ms", "JIEDA_WEBHOOK_BACKOFF_MAX=300ms"}
	a := replica(t, q.Addr(), model, fast...)
	b := replica(t, q.Addr(), model, fast...) // after a: a created the collections
	admin := soak.AdminKey

	keys := map[string]string{}
	for _, role := range []string{"customer", "agent", "editor"} {
		st, out, raw := call(t, a, "POST", "/v1/admin/keys", admin, map[string]any{"role": role, "kbs": []string{"shop"}, "name": "replica " + role})
		if st != 200 && st != 201 {
			t.Fatalf("creating a %s key: %d %s", role, st, raw)
		}
		keys[role] = out["key"].(string)
	}
	kb, err := os.ReadFile("../../answer/samplekb/articles.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if st, body := post(t, a.URL()+"/v1/articles/import?kb=shop", keys["editor"], "application/x-ndjson", kb); st != 200 {
		t.Fatalf("import: %d %s", st, body)
	}
	hooks := &deliveries{counts: map[string]int{}, events: map[string]string{}}
	receiver := httptest.NewServer(hooks)
	t.Cleanup(receiver.Close)
	if st, _, raw := call(t, b, "PUT", "/v1/kbs/shop/settings", keys["editor"], map[string]any{"webhook": map[string]any{"url": receiver.URL, "secret": "replica-webhook-secret"}}); st != 200 {
		t.Fatalf("webhook settings: %d %s", st, raw)
	}

	// Handoffs through both replicas while the receiver is down.
	const n = 12
	var handoffs []string
	for i := range n {
		srv := []*soak.Server{a, b}[i%2]
		st, out, raw := call(t, srv, "POST", "/v1/ask", keys["customer"], map[string]any{"kb": "shop", "question": "我要转人工", "conversation": map[string]any{"id": fmt.Sprintf("replica-%d", i)}})
		if st != 200 || out["decision"] != "handoff" {
			t.Fatalf("ask %d: %d %s", i, st, raw)
		}
		handoffs = append(handoffs, out["handoff"].(map[string]any)["id"].(string))
	}
	time.Sleep(time.Second) // failed attempts on both replicas
	hooks.mu.Lock()
	hooks.open = true
	hooks.mu.Unlock()

	// Candidate decided once: a resolution's reply becomes a candidate;
	// an approval on a and a rejection on b race.
	reply := "可以开具增值税专用发票，请在订单详情页填写企业税号和开户行信息后提交，三个工作日内寄出。"
	if st, _, raw := call(t, a, "POST", "/v1/handoffs/"+handoffs[0]+"/resolve", keys["agent"], map[string]any{"reply": reply}); st != 200 {
		t.Fatalf("resolve: %d %s", st, raw)
	}
	st, out, raw := call(t, b, "GET", "/v1/candidates?kb=shop&status=pending", keys["editor"], nil)
	cands, _ := out["candidates"].([]any)
	if st != 200 || len(cands) != 1 {
		t.Fatalf("candidates on b: %d %s", st, raw)
	}
	cid := cands[0].(map[string]any)["id"].(string)
	// Both editors approve at once (each approval imports an article,
	// so the two overlap): one goes through, the other is 409.
	var wg sync.WaitGroup
	statuses, raws := make([]int, 2), make([]string, 2)
	for i, srv := range []*soak.Server{a, b} {
		wg.Go(func() {
			statuses[i], _, raws[i] = call(t, srv, "POST", "/v1/candidates/"+cid+"/approve", keys["editor"], map[string]any{})
		})
	}
	wg.Wait()
	if got := [2]int{statuses[0], statuses[1]}; got != [2]int{200, 409} && got != [2]int{409, 200} {
		t.Fatalf("approve on a: %d %s; on b: %d %s; want one 200 and one 409", statuses[0], raws[0], statuses[1], raws[1])
	}
	_, out, raw = call(t, a, "GET", "/v1/audit?kb=shop&action=candidate.approve", keys["editor"], nil)
	if entries, _ := out["entries"].([]any); len(entries) != 1 {
		t.Errorf("audit of approvals: %s, want one entry", raw)
	}

	// Every event once: n handoff.created and one handoff.resolved.
	deadline := time.Now().Add(30 * time.Second)
	for {
		counts, _ := hooks.snapshot()
		if len(counts) == n+1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // several more scans on both replicas
	counts, events := hooks.snapshot()
	created, resolved := 0, 0
	for id, c := range counts {
		if c != 1 {
			t.Errorf("delivery %s (%s) received %d times", id, events[id], c)
		}
		switch events[id] {
		case "handoff.created":
			created++
		case "handoff.resolved":
			resolved++
		}
	}
	if created != n || resolved != 1 {
		t.Errorf("received %d handoff.created and %d handoff.resolved, want %d and 1", created, resolved, n)
	}

	// An article changed on a is answered on b within the bound
	// (answer.lexicon_refresh here 1s; retrieval reads the shared store).
	const newAnswer = "全场满49元包邮，偏远地区除外。"
	st, out, raw = call(t, a, "GET", "/v1/articles/shipping-fee-zh-cn?kb=shop", keys["editor"], nil)
	if st != 200 {
		t.Fatalf("get article: %d %s", st, raw)
	}
	art := map[string]any{"question": out["question"], "variants": out["variants"], "answer": newAnswer, "category": out["category"]}
	if st, _, raw := call(t, a, "PUT", "/v1/articles/shipping-fee-zh-cn?kb=shop", keys["editor"], art); st != 200 {
		t.Fatalf("put article: %d %s", st, raw)
	}
	changed := time.Now()
	for {
		_, out, raw := call(t, b, "POST", "/v1/ask", keys["customer"], map[string]any{"kb": "shop", "question": out["question"]})
		if ans, _ := out["answer"].(map[string]any); ans != nil && ans["answer"] == newAnswer {
			t.Logf("b answered with the change %v after it was made on a", time.Since(changed).Round(time.Millisecond))
			break
		}
		if time.Since(changed) > 10*time.Second {
			t.Fatalf("b still answers %s 10s after the change on a", raw)
		}
		if strings.Contains(raw, `"decision":"handoff"`) {
			t.Logf("b handed off: %s", raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
