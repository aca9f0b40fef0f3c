package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jieda/jieda/cmd/jieda/internal/soak"
	"github.com/jieda/jieda/models/synth"
)

// crashServer is jieda serve as a child process (this test binary acting
// as jieda) over a store in dir.
func crashServer(t *testing.T, dir string) *soak.Server {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(asBinaryEnv, "1")
	model := filepath.Join(dir, "model")
	if _, err := os.Stat(model); err != nil {
		if err := synth.WriteBuiltin(model); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := soak.NewServer(soak.Config{Binary: bin, Dir: dir, ModelDir: model})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return srv
}

// bigKB is n articles, each with a question no other has.
func bigKB(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		js, _ := json.Marshal(map[string]any{
			"id": fmt.Sprintf("rule-%04d", i), "question": fmt.Sprintf("会员日第%d场活动怎么参加", 1000+i),
			"variants": []string{fmt.Sprintf("第%d场会员日活动规则", 1000+i), fmt.Sprintf("会员日%d号场次有什么优惠", 1000+i)},
			"answer":   fmt.Sprintf("第%d场会员日活动：下单满199元减30元。", 1000+i),
		})
		b.Write(js)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func post(t *testing.T, url, key, ctype string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// An import killed (SIGKILL) halfway leaves nothing half served: editors
// see none of it, customers are answered from none of it; running it
// again completes it.
func TestImportKilledHalfway(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	kb := bigKB(800)
	// How long a whole import takes here.
	timing := crashServer(t, t.TempDir())
	start := time.Now()
	if code, out := post(t, timing.URL()+"/v1/articles/import?kb=shop", soak.AdminKey, "application/x-ndjson", kb); code != 200 {
		t.Fatalf("timing import: %d %s", code, out)
	}
	whole := time.Since(start)
	if err := timing.Close(); err != nil {
		t.Fatal(err)
	}

	srv := crashServer(t, t.TempDir())
	done := make(chan struct{})
	go func() {
		defer close(done)
		post(t, srv.URL()+"/v1/articles/import?kb=shop", soak.AdminKey, "application/x-ndjson", kb)
	}()
	time.Sleep(whole * 6 / 10)
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	get := func(path string) map[string]any {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+soak.AdminKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	arts, _ := get("/v1/articles?kb=shop&limit=500")["articles"].([]any)
	if n := len(arts); n != 0 && n != 500 {
		t.Errorf("after a kill %v into a %v import, editors see %d articles: half an import", whole*6/10, whole, n)
	}
	if len(arts) == 0 {
		code, out := post(t, srv.URL()+"/v1/ask", soak.AdminKey, "application/json", []byte(`{"kb":"shop","question":"会员日第1003场活动怎么参加"}`))
		if code == 200 && strings.Contains(out, `"decision":"answer"`) {
			t.Errorf("a customer is answered from a killed import: %s", out)
		}
	}
	if code, out := post(t, srv.URL()+"/v1/articles/import?kb=shop", soak.AdminKey, "application/x-ndjson", kb); code != 200 {
		t.Fatalf("re-run: %d %s", code, out)
	}
	var total int
	for cursor := ""; ; {
		page := get("/v1/articles?kb=shop&limit=500&cursor=" + cursor)
		as, _ := page["articles"].([]any)
		total += len(as)
		if cursor, _ = page["next"].(string); cursor == "" {
			break
		}
	}
	if total != 800 {
		t.Errorf("after the re-run: %d articles, want 800", total)
	}
	code, out := post(t, srv.URL()+"/v1/ask", soak.AdminKey, "application/json", []byte(`{"kb":"shop","question":"会员日第1003场活动怎么参加"}`))
	if code != 200 || !strings.Contains(out, `"article_id":"rule-0003"`) {
		t.Errorf("after the re-run: %d %s", code, out)
	}
	if err := srv.Stop(); err != nil {
		t.Error(err)
	}
}
