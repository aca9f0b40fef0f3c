package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/internal/cputime"
)

// Driver sends the queries round-robin to /v1/ask.
type Driver struct {
	client *http.Client
	url    string
	auth   string
	bodies [][]byte // one request body per query, encoded once
	next   atomic.Int64
}

// New is a driver of queries to base's /v1/ask in kb with key.
func New(client *http.Client, base, key, kb string, queries []answer.LabeledQuery) *Driver {
	d := &Driver{client: client, url: base + "/v1/ask", auth: "Bearer " + key}
	for _, q := range queries {
		body, _ := json.Marshal(answer.AskRequest{KB: kb, Question: q.Query})
		d.bodies = append(d.bodies, body)
	}
	return d
}

// Run is one phase's measurements.
type Run struct {
	lat []float64 // sorted, ms
	// Errors counts failed questions; FirstErr is the first failure.
	Errors   int
	FirstErr error
	// Decisions counts the answered questions by decision.
	Decisions map[answer.Decision]int
	// CPU is the process's CPU time from the end of the warmup until the
	// last question returned: the server's and, when it runs in this
	// process (bench ask), the clients'.
	CPU time.Duration
}

// N is how many questions were answered.
func (r *Run) N() int { return len(r.lat) }

// Pct is the p-quantile latency in ms (p in [0, 1]).
func (r *Run) Pct(p float64) float64 {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]
}

// Run drives clients for warmup+d; rate 0 is closed-loop (as fast as
// answers come back), else each client sends on a fixed schedule of
// rate/clients questions/s and latency counts from the scheduled time
// (so a slow answer delays no measurement: no coordinated omission).
func (dr *Driver) Run(ctx context.Context, clients int, rate float64, warmup, d time.Duration) (*Run, error) {
	var mu sync.Mutex
	res := &Run{Decisions: map[answer.Decision]int{}}
	start := time.Now()
	measureFrom, end := start.Add(warmup), start.Add(warmup+d)
	cpuFrom := make(chan time.Duration, 1)
	time.AfterFunc(warmup, func() { cpuFrom <- cputime.Process() })
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
				body := dr.bodies[int(dr.next.Add(1))%len(dr.bodies)]
				dec, err := dr.ask(ctx, body)
				el := time.Since(t0)
				if t0.Before(measureFrom) {
					continue
				}
				mu.Lock()
				if err != nil {
					res.Errors++
					if res.FirstErr == nil {
						res.FirstErr = err
					}
				} else {
					res.lat = append(res.lat, float64(el.Microseconds())/1000)
					res.Decisions[dec]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.CPU = cputime.Process() - <-cpuFrom
	slices.Sort(res.lat)
	return res, nil
}

// ask posts one question and returns the decision.
func (dr *Driver) ask(ctx context.Context, body []byte) (answer.Decision, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dr.url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", dr.auth)
	resp, err := dr.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close() //nolint:errcheck // read fully below
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	var out struct {
		Decision answer.Decision `json:"decision"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", err
	}
	return out.Decision, nil
}

// WaitReady polls base/readyz until the server is ready, stops (served) or
// two minutes pass.
func WaitReady(ctx context.Context, c *http.Client, base string, served <-chan error) error {
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

// EmbedStats reads the live embed batch count and sum from /metrics.
func EmbedStats(ctx context.Context, c *http.Client, base string) ([2]float64, error) {
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

// Profiles are the profiles bench ask writes of its HTTP phases.
type Profiles struct {
	CPU, Mutex, Block string
	// Allocs is the allocation profile: cumulative from the process's
	// start, which the HTTP phases dominate (compare with -base for more).
	Allocs string
}

// Start starts the asked-for profiles; stop writes them.
func (p Profiles) Start() (stop func() error, err error) {
	var cpu *os.File
	if p.CPU != "" {
		if cpu, err = os.Create(p.CPU); err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			return nil, errors.Join(err, cpu.Close())
		}
	}
	if p.Mutex != "" {
		runtime.SetMutexProfileFraction(5)
	}
	if p.Block != "" {
		runtime.SetBlockProfileRate(int(10 * time.Microsecond)) // a sample per 10 µs blocked
	}
	return func() (err error) {
		if cpu != nil {
			pprof.StopCPUProfile()
			err = cpu.Close()
		}
		for _, w := range []struct{ name, file string }{{"mutex", p.Mutex}, {"block", p.Block}, {"allocs", p.Allocs}} {
			if w.file != "" {
				err = errors.Join(err, writeProfile(w.name, w.file))
			}
		}
		runtime.SetMutexProfileFraction(0)
		runtime.SetBlockProfileRate(0)
		return err
	}, nil
}

func writeProfile(name, file string) (err error) {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	return pprof.Lookup(name).WriteTo(f, 0)
}
