package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
)

// benchAskKB is the knowledge base bench ask imports.
const benchAskKB = "bench"

// benchAskResult is what `jieda bench ask` measures.
type benchAskResult struct {
	Model    string  `json:"model"`
	Articles int     `json:"articles"`
	Clients  int     `json:"clients"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	// Rate is the paced phase's offered load; P50ms and P99ms its latency.
	Rate  float64 `json:"rate"`
	P50ms float64 `json:"ask_p50_ms"`
	P99ms float64 `json:"ask_p99_ms"`
	// QPS is the saturation phase's throughput (closed loop), with its latency.
	QPS       float64                 `json:"ask_qps"`
	SatP50ms  float64                 `json:"saturated_p50_ms"`
	SatP99ms  float64                 `json:"saturated_p99_ms"`
	Decisions map[answer.Decision]int `json:"decisions"`
	Batch     float64                 `json:"mean_embed_batch"`
}

func (a *app) benchAskCommand() *cobra.Command {
	var kbFile, queriesFile, cpuProfile string
	var clients int
	var cache bool
	var rate float64
	var duration, warmup time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ask --model DIR --kb FILE --queries FILE [--json]",
		Short: "End-to-end POST /v1/ask over HTTP from concurrent clients against a server on a loopback port",
		Long: `Imports the KB into a fresh temporary store, starts jieda serve on a loopback port (rate
limiting and the query cache off, everything else as configured, durable writes on), and drives
POST /v1/ask from --clients concurrent HTTP clients cycling through the queries, each phase for
--duration after --warmup:

  saturation: every client asks again as soon as it is answered: ask_qps is the throughput
              (its latency is clients ÷ throughput by construction: saturated_p50_ms…);
  paced:      the clients together offer --rate questions/s on a fixed schedule; ask_p50_ms and
              ask_p99_ms are the latency at that load, counted from each scheduled send time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, map[string]string{"model": "embed.model_dir"}); err != nil {
				return err
			}
			if !cache {
				a.cfg.Embed.CacheSize = 0 // every question is embedded: the queries cycle, so a cache would soon answer them all
			}
			if clients < 1 || duration <= 0 {
				return errors.New("--clients must be at least 1 and --duration positive")
			}
			arts, err := answer.ReadArticlesFile(kbFile)
			if err != nil {
				return fmt.Errorf("%s: %w", kbFile, err)
			}
			queries, err := answer.ReadQueriesFile(queriesFile)
			if err != nil {
				return err
			}
			if len(queries) == 0 {
				return fmt.Errorf("%s: no queries", queriesFile)
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close() //nolint:errcheck // profile
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			res, err := a.benchAsk(cmd.Context(), arts, queries, clients, rate, warmup, duration)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			fmt.Fprintf(a.stdout, "model        %s, %d articles, %d clients, %.1f s\n", res.Model, res.Articles, res.Clients, res.Seconds)
			fmt.Fprintf(a.stdout, "saturated    %.1f questions/s (closed loop; p50 %.2f ms, p99 %.2f ms)\n", res.QPS, res.SatP50ms, res.SatP99ms)
			fmt.Fprintf(a.stdout, "paced        p50 %.2f ms  p99 %.2f ms at %.0f questions/s offered\n", res.P50ms, res.P99ms, res.Rate)
			fmt.Fprintf(a.stdout, "requests     %d (%d errors)\n", res.Requests, res.Errors)
			fmt.Fprintf(a.stdout, "decisions    answer %d, clarify %d, handoff %d; mean embed batch %.1f\n",
				res.Decisions[answer.DecisionAnswer], res.Decisions[answer.DecisionClarify], res.Decisions[answer.DecisionHandoff], res.Batch)
			return nil
		},
	}
	f := cmd.Flags()
	f.String("model", "", "model directory (embed.model_dir)")
	f.StringVar(&kbFile, "kb", "", "KB file (JSONL or CSV) (required)")
	f.StringVar(&queriesFile, "queries", "", "queries, JSONL {query, …} (required)")
	f.IntVar(&clients, "clients", 16, "concurrent HTTP clients")
	f.Float64Var(&rate, "rate", 150, "offered questions/s of the paced phase (0 skips it)")
	f.BoolVar(&cache, "cache", false, "keep the query-vector cache on (the queries repeat, so it soon answers them all)")
	f.DurationVar(&duration, "duration", 15*time.Second, "measured time")
	f.DurationVar(&warmup, "warmup", 2*time.Second, "unmeasured time first")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	_ = cmd.MarkFlagRequired("kb")
	_ = cmd.MarkFlagRequired("queries")
	return cmd
}

func (a *app) benchAsk(ctx context.Context, arts []answer.Article, queries []answer.LabeledQuery, clients int, rate float64, warmup, duration time.Duration) (_ benchAskResult, err error) {
	dir, err := os.MkdirTemp("", "jieda-bench-ask-")
	if err != nil {
		return benchAskResult{}, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	a.cfg.Store.Engine = "embedded"
	a.cfg.Store.Path = filepath.Join(dir, "data")
	a.cfg.Server.RateLimit = 0
	key, model, err := a.benchAskPrepare(ctx, arts)
	if err != nil {
		return benchAskResult{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return benchAskResult{}, err
	}
	a.cfg.Server.Addr = ln.Addr().String()
	_ = ln.Close()
	base := "http://" + a.cfg.Server.Addr
	srvCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.serve(srvCtx) }()
	defer func() {
		stop()
		err = errors.Join(err, <-served)
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}, Timeout: 30 * time.Second}
	if err := waitReady(ctx, client, base, served); err != nil {
		return benchAskResult{}, err
	}
	batchesBefore, err := embedStats(ctx, client, base)
	if err != nil {
		return benchAskResult{}, err
	}
	drive := &askDriver{client: client, base: base, key: key, queries: queries}
	// Saturation: every client asks again as soon as it has an answer.
	sat, err := drive.run(ctx, clients, 0, warmup, duration)
	if err != nil {
		return benchAskResult{}, err
	}
	batchesAfter, err := embedStats(ctx, client, base)
	if err != nil {
		return benchAskResult{}, err
	}
	res := benchAskResult{Model: model, Articles: len(arts), Clients: clients, Seconds: duration.Seconds(), Rate: rate,
		QPS: float64(sat.n()) / duration.Seconds(), SatP50ms: sat.pct(0.50), SatP99ms: sat.pct(0.99),
		Requests: sat.n(), Errors: sat.errors, Decisions: sat.decisions}
	if n := batchesAfter[0] - batchesBefore[0]; n > 0 {
		res.Batch = (batchesAfter[1] - batchesBefore[1]) / n
	}
	if rate > 0 {
		// Paced: the clients together offer rate questions/s on a fixed
		// schedule; latency counts from each question's scheduled time.
		paced, err := drive.run(ctx, clients, rate, warmup, duration)
		if err != nil {
			return benchAskResult{}, err
		}
		res.P50ms, res.P99ms = paced.pct(0.50), paced.pct(0.99)
		res.Errors += paced.errors
		res.Requests += paced.n()
	}
	if res.Errors > 0 {
		return res, fmt.Errorf("%d requests failed", res.Errors)
	}
	return res, nil
}

// askDriver sends the queries round-robin to /v1/ask.
type askDriver struct {
	client  *http.Client
	base    string
	key     string
	queries []answer.LabeledQuery
	next    atomic.Int64
}

// askRun is one phase's measurements.
type askRun struct {
	lat       []float64
	errors    int
	decisions map[answer.Decision]int
}

func (r *askRun) n() int { return len(r.lat) }

func (r *askRun) pct(p float64) float64 {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]
}

// run drives clients for warmup+d; rate 0 is closed-loop (as fast as
// answers come back), else each client sends on a fixed schedule of
// rate/clients questions/s and latency counts from the scheduled time
// (so a slow answer delays no measurement: no coordinated omission).
func (dr *askDriver) run(ctx context.Context, clients int, rate float64, warmup, d time.Duration) (*askRun, error) {
	var mu sync.Mutex
	res := &askRun{decisions: map[answer.Decision]int{}}
	start := time.Now()
	measureFrom, end := start.Add(warmup), start.Add(warmup+d)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var interval time.Duration
			next := start
			if rate > 0 {
				interval = time.Duration(float64(clients) / rate * float64(time.Second))
				next = start.Add(interval * time.Duration(c) / time.Duration(clients)) // stagger the clients
			}
			for ctx.Err() == nil {
				t0 := time.Now()
				if rate > 0 {
					if wait := time.Until(next); wait > 0 {
						time.Sleep(wait)
					}
					t0 = next
					next = next.Add(interval)
				}
				if !t0.Before(end) {
					return
				}
				q := dr.queries[int(dr.next.Add(1))%len(dr.queries)]
				dec, err := askOnce(ctx, dr.client, dr.base, dr.key, q.Query)
				el := time.Since(t0)
				if t0.Before(measureFrom) {
					continue
				}
				mu.Lock()
				if err != nil {
					res.errors++
				} else {
					res.lat = append(res.lat, float64(el.Microseconds())/1000)
					res.decisions[dec]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.Sort(res.lat)
	return res, nil
}

// benchAskPrepare imports the KB and creates a customer key in the bench store.
func (a *app) benchAskPrepare(ctx context.Context, arts []answer.Article) (key, model string, err error) {
	err = a.withSystem(ctx, systemOptions{}, func(ctx context.Context, sys *system) error {
		bar := newBar(a.stderr, int64(len(arts)), "importing KB", false)
		if err := sys.engine.ImportArticlesWith(ctx, benchAskKB, arts, answer.ImportOptions{Progress: func(done, _ int) { _ = bar.Set(done) }}, nil); err != nil {
			return err
		}
		_ = bar.Finish()
		key, _, err = apikey.NewStore(sys.store).Create(ctx, apikey.RoleCustomer, []string{benchAskKB}, "bench ask", time.Now())
		model = sys.model.Info().Name
		return err
	})
	return key, model, err
}

func waitReady(ctx context.Context, c *http.Client, base string, served <-chan error) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		resp, err := c.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-served:
			return fmt.Errorf("the server stopped: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("the server did not become ready")
		}
	}
}

// askOnce posts one question and returns the decision.
func askOnce(ctx context.Context, c *http.Client, base, key, q string) (answer.Decision, error) {
	body, _ := json.Marshal(answer.AskRequest{KB: benchAskKB, Question: q})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/ask", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close() //nolint:errcheck // read fully below
	var out answer.AskResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	return out.Decision, nil
}

// embedStats reads the live embed batch count and sum from /metrics.
func embedStats(ctx context.Context, c *http.Client, base string) ([2]float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	resp, err := c.Do(req)
	if err != nil {
		return [2]float64{}, err
	}
	defer resp.Body.Close() //nolint:errcheck // read-only
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return [2]float64{}, err
	}
	var out [2]float64
	for _, line := range bytes.Split(buf.Bytes(), []byte("\n")) {
		var v float64
		if _, err := fmt.Sscanf(string(line), `jieda_embed_batch_size_count{pool="live"} %g`, &v); err == nil {
			out[0] = v
		}
		if _, err := fmt.Sscanf(string(line), `jieda_embed_batch_size_sum{pool="live"} %g`, &v); err == nil {
			out[1] = v
		}
	}
	return out, nil
}
