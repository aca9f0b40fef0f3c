package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jieda/jieda/answer"
)

func TestDriverRun(t *testing.T) {
	var asked atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" || r.URL.Path != "/v1/ask" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if asked.Add(1)%5 == 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `{"decision":"answer"}`)
	}))
	defer srv.Close()
	d := New(srv.Client(), srv.URL, "k", "shop", []answer.LabeledQuery{{Query: "运费"}, {Query: "退货"}})

	run, err := d.Run(context.Background(), 4, 0, 50*time.Millisecond, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if run.N() == 0 || run.Decisions[answer.DecisionAnswer] != run.N() || run.Errors == 0 || !strings.Contains(run.FirstErr.Error(), "status 503") {
		t.Errorf("closed loop: %d answered, decisions %v, %d errors (%v)", run.N(), run.Decisions, run.Errors, run.FirstErr)
	}
	if run.Pct(0.5) > run.Pct(0.99) || run.Pct(0.99) <= 0 {
		t.Errorf("p50 %.3f ms, p99 %.3f ms", run.Pct(0.5), run.Pct(0.99))
	}

	// Paced at 40/s for 0.5 s: about 20 sent.
	paced, err := d.Run(context.Background(), 4, 40, 0, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if n := paced.N() + paced.Errors; n < 15 || n > 25 {
		t.Errorf("paced at 40/s for 0.5 s: %d questions", n)
	}
}

func TestEmbedStats(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "jieda_embed_batch_size_count{pool=\"bulk\"} 9\njieda_embed_batch_size_count{pool=\"live\"} 12\njieda_embed_batch_size_sum{pool=\"live\"} 60\n")
	}))
	defer srv.Close()
	got, err := EmbedStats(context.Background(), srv.Client(), srv.URL)
	if err != nil || got != [2]float64{12, 60} {
		t.Errorf("EmbedStats = %v, %v; want [12 60]", got, err)
	}
}
