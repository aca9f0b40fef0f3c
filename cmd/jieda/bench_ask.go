package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/loadgen"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/internal/cputime"
)

// benchAskKB is the knowledge base bench ask imports.
const benchAskKB = "bench"

// autoRateShare is the share of the measured saturation `--rate auto` offers.
const autoRateShare = 0.7

// benchAskResult is what `jieda bench ask` measures.
type benchAskResult struct {
	Model    string `json:"model"`
	Store    string `json:"store"`
	Articles int    `json:"articles"`
	Clients  int    `json:"clients"`
	Requests int    `json:"requests"`
	Errors   int    `json:"errors"`
	// FirstError is the first failed request's error.
	FirstError string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	// Rate is the paced phase's offered load (with --rate auto, 70% of
	// QPS); P50ms and P99ms its latency, PacedQPS what it achieved.
	Rate     float64 `json:"rate"`
	RateAuto bool    `json:"rate_auto"`
	P50ms    float64 `json:"ask_p50_ms"`
	P99ms    float64 `json:"ask_p99_ms"`
	PacedQPS float64 `json:"paced_qps"`
	// QPS is the saturation phase's throughput (closed loop), with its latency.
	QPS       float64                 `json:"ask_qps"`
	SatP50ms  float64                 `json:"saturated_p50_ms"`
	SatP99ms  float64                 `json:"saturated_p99_ms"`
	Decisions map[answer.Decision]int `json:"decisions"`
	Batch     float64                 `json:"mean_embed_batch"`
	// EmbedQPS is `jieda bench embed`'s 8-caller phase on the server's own
	// embedder (32-token queries), the mean of one run before the HTTP
	// phases and one after; AskToEmbed is QPS ÷ EmbedQPS.
	EmbedQPS   float64 `json:"embed_qps_8,omitempty"`
	EmbedBatch float64 `json:"embed_mean_batch_8,omitempty"`
	AskToEmbed float64 `json:"ask_to_embed,omitempty"`
	// AskCPUms is the process's CPU time per question of the saturation
	// phase (the in-process HTTP clients' included) and EmbedCPUms per
	// query of the reference runs; CPUAskToEmbed is EmbedCPUms ÷
	// AskCPUms: ask_to_embed counted in CPU time, which other work on a
	// shared machine does not move.
	AskCPUms      float64 `json:"ask_cpu_ms"`
	EmbedCPUms    float64 `json:"embed_cpu_ms_8,omitempty"`
	CPUAskToEmbed float64 `json:"cpu_ask_to_embed,omitempty"`
}

// benchAskOptions are bench ask's flags.
type benchAskOptions struct {
	clients          int
	rate             string // questions/s, "auto" or "0"
	warmup, duration time.Duration
	embedRef         time.Duration // each reference run of bench embed's callers; 0 skips them
	store            string        // embedded or qdrant
	storeCache       string
	profiles         loadgen.Profiles
}

// parseRate reads --rate: a number of questions/s, or auto.
func (o benchAskOptions) parseRate() (rate float64, auto bool, err error) {
	if o.rate == "auto" {
		return 0, true, nil
	}
	rate, err = strconv.ParseFloat(o.rate, 64)
	if err != nil || rate < 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
		return 0, false, fmt.Errorf("--rate %q: want questions/s (0 skips the paced phase) or auto", o.rate)
	}
	return rate, false, nil
}

func (a *app) benchAskCommand() *cobra.Command {
	var kbFile, queriesFile string
	var cache, asJSON bool
	var o benchAskOptions
	cmd := &cobra.Command{
		Use:   "ask --model DIR --kb FILE --queries FILE [--json]",
		Short: "End-to-end POST /v1/ask over HTTP from concurrent clients against a server on a loopback port",
		Long: `Imports the KB into a fresh temporary store, starts jieda serve on a loopback port (rate
limiting and the query cache off, everything else as configured, durable writes on), and drives
POST /v1/ask from --clients concurrent HTTP clients cycling through the queries, each phase for
--duration after --warmup:

  saturation: every client asks again as soon as it is answered: ask_qps is the throughput
              (its latency is clients ÷ throughput by construction: saturated_p50_ms…);
  paced:      the clients together offer --rate questions/s on a fixed schedule (auto: 70% of
              the saturation just measured); ask_p50_ms and ask_p99_ms are the latency at that
              load, counted from each scheduled send time.

Before and after the HTTP phases the server's own embedder runs bench embed's throughput
phase (8 callers, 32-token queries): ask_to_embed is ask_qps ÷ its mean, a same-run ratio.

--store qdrant runs the server on the Qdrant engine against an in-process server speaking
Qdrant's gRPC protocol (index/qdrant/qdranttest over an embedded store): it exercises the
Qdrant path end to end; its figures are not Qdrant's.
--store-cache DIR keeps the imported store in DIR (one per KB file, model and engine) and runs
each bench on a fresh copy of it, so repeated runs skip the import.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, map[string]string{"model": "embed.model_dir"}); err != nil {
				return err
			}
			if !cache {
				a.cfg.Embed.CacheSize = 0 // every question is embedded: the queries cycle, so a cache would soon answer them all
			}
			if o.clients < 1 || o.duration <= 0 || o.warmup < 0 || o.embedRef < 0 {
				return errors.New("--clients must be at least 1, --duration positive, --warmup and --embed-ref not negative")
			}
			if o.store != "embedded" && o.store != "qdrant" {
				return fmt.Errorf("--store %q: want embedded or qdrant", o.store)
			}
			if _, _, err := o.parseRate(); err != nil {
				return err
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
			var res benchAskResult
			err = a.withBenchEmbedder(func() (err error) {
				res, err = a.benchAsk(cmd.Context(), kbFile, arts, queries, o)
				return err
			})
			if err != nil && res.Requests == 0 {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return errors.Join(enc.Encode(res), err)
			}
			a.printBenchAsk(res)
			return err
		},
	}
	f := cmd.Flags()
	f.String("model", "", "model directory (embed.model_dir)")
	f.StringVar(&kbFile, "kb", "", "KB file (JSONL or CSV) (required)")
	f.StringVar(&queriesFile, "queries", "", "queries, JSONL {query, …} (required)")
	f.IntVar(&o.clients, "clients", 16, "concurrent HTTP clients")
	f.StringVar(&o.rate, "rate", "auto", "offered questions/s of the paced phase: a number (0 skips it) or auto (70% of the measured saturation)")
	f.BoolVar(&cache, "cache", false, "keep the query-vector cache on (the queries repeat, so it soon answers them all)")
	f.DurationVar(&o.duration, "duration", 15*time.Second, "measured time of each phase")
	f.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time first")
	f.DurationVar(&o.embedRef, "embed-ref", 3*time.Second, "length of each reference run of bench embed's 8 callers (0 skips them)")
	f.StringVar(&o.store, "store", "embedded", "engine: embedded, or qdrant (against an in-process Qdrant protocol server)")
	f.StringVar(&o.storeCache, "store-cache", "", "directory keeping the imported store between runs (default: import every time)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.StringVar(&o.profiles.CPU, "cpuprofile", "", "write a CPU profile of the HTTP phases to this file")
	f.StringVar(&o.profiles.Mutex, "mutexprofile", "", "write a mutex contention profile of the HTTP phases to this file")
	f.StringVar(&o.profiles.Block, "blockprofile", "", "write a blocking profile of the HTTP phases to this file")
	f.StringVar(&o.profiles.Allocs, "memprofile", "", "write an allocation profile to this file (from the process's start; the HTTP phases dominate it)")
	_ = cmd.MarkFlagRequired("kb")
	_ = cmd.MarkFlagRequired("queries")
	return cmd
}

// withBenchEmbedder runs f with a.model set: one embedder for the server
// and the reference runs (the test harness's shared one, when set).
func (a *app) withBenchEmbedder(f func() error) (err error) {
	if a.model != nil {
		return f()
	}
	e, err := a.openEmbedder()
	if err != nil {
		return err
	}
	a.model = e
	defer func() {
		a.model = nil
		err = errors.Join(err, e.Close())
	}()
	return f()
}

func (a *app) printBenchAsk(res benchAskResult) {
	fmt.Fprintf(a.stdout, "model        %s, %s store, %d articles, %d clients, %.1f s a phase\n", res.Model, res.Store, res.Articles, res.Clients, res.Seconds)
	fmt.Fprintf(a.stdout, "saturated    %.1f questions/s (closed loop; p50 %.2f ms, p99 %.2f ms); mean embed batch %.1f\n", res.QPS, res.SatP50ms, res.SatP99ms, res.Batch)
	if res.EmbedQPS > 0 {
		fmt.Fprintf(a.stdout, "embedder     %.1f queries/s (bench embed's 8 callers, same run; mean batch %.1f): ask ÷ embed %.2f\n", res.EmbedQPS, res.EmbedBatch, res.AskToEmbed)
		fmt.Fprintf(a.stdout, "cpu          %.2f ms a question, %.2f ms an embedder query: ask ÷ embed %.2f in CPU time\n", res.AskCPUms, res.EmbedCPUms, res.CPUAskToEmbed)
	}
	if res.Rate > 0 {
		auto := ""
		if res.RateAuto {
			auto = fmt.Sprintf(" (auto: %.0f%% of saturation)", 100*autoRateShare)
		}
		fmt.Fprintf(a.stdout, "paced        p50 %.2f ms  p99 %.2f ms at %.0f questions/s offered%s, %.1f answered/s\n", res.P50ms, res.P99ms, res.Rate, auto, res.PacedQPS)
	}
	fmt.Fprintf(a.stdout, "requests     %d (%d errors)\n", res.Requests, res.Errors)
	fmt.Fprintf(a.stdout, "decisions    answer %d, clarify %d, handoff %d (saturation)\n",
		res.Decisions[answer.DecisionAnswer], res.Decisions[answer.DecisionClarify], res.Decisions[answer.DecisionHandoff])
}

func (a *app) benchAsk(ctx context.Context, kbFile string, arts []answer.Article, queries []answer.LabeledQuery, o benchAskOptions) (_ benchAskResult, err error) {
	dir, err := os.MkdirTemp("", "jieda-bench-ask-")
	if err != nil {
		return benchAskResult{}, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	// One key stands for every customer: no per-key limits on questions
	// or on new handoffs.
	a.cfg.Server.RateLimit, a.cfg.Answer.HandoffsPerMinute = 0, 0
	st, err := a.benchAskStore(ctx, dir, kbFile, arts, o)
	if err != nil {
		return benchAskResult{}, err
	}
	defer func() { err = errors.Join(err, st.close()) }()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return benchAskResult{}, err
	}
	a.cfg.Server.Addr = ln.Addr().String()
	base := "http://" + a.cfg.Server.Addr
	srvCtx, stop := context.WithCancel(ctx)
	served, started := make(chan error, 1), make(chan *system, 1)
	go func() { served <- a.serveOn(srvCtx, ln, func(s *system) { started <- s }) }()
	defer func() {
		stop()
		err = errors.Join(err, <-served)
	}()
	var sys *system
	select {
	case sys = <-started:
	case err := <-served:
		served <- err
		return benchAskResult{}, fmt.Errorf("the server stopped: %w", err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.clients * 2}, Timeout: 30 * time.Second}
	if err := loadgen.WaitReady(ctx, client, base, served); err != nil {
		return benchAskResult{}, err
	}
	// Measure a server in its steady state: below exact_below the embedded
	// engine links the vectors it loaded into an HNSW graph in the
	// background after each open (it saves no graph that small).
	stores := []any{sys.store}
	if st.backing != nil {
		stores = append(stores, st.backing)
	}
	for _, s := range stores {
		if w, ok := s.(interface{ WaitIndexed(context.Context) error }); ok {
			if err := w.WaitIndexed(ctx); err != nil {
				return benchAskResult{}, err
			}
		}
	}
	res := benchAskResult{Model: a.model.Info().Name, Store: o.store, Articles: len(arts), Clients: o.clients, Seconds: o.duration.Seconds()}
	var ref, refCPU [2]float64
	if o.embedRef > 0 {
		if ref[0], refCPU[0], res.EmbedBatch, err = a.embedReference(ctx, o.embedRef); err != nil {
			return benchAskResult{}, err
		}
	}
	if err := a.benchAskPhases(ctx, client, base, st.key, queries, o, &res); err != nil {
		return benchAskResult{}, err
	}
	if o.embedRef > 0 {
		b := 0.0
		if ref[1], refCPU[1], b, err = a.embedReference(ctx, o.embedRef); err != nil {
			return benchAskResult{}, err
		}
		res.EmbedQPS, res.EmbedBatch = (ref[0]+ref[1])/2, (res.EmbedBatch+b)/2
		res.AskToEmbed = res.QPS / res.EmbedQPS
		if res.EmbedCPUms = (refCPU[0] + refCPU[1]) / 2; res.AskCPUms > 0 {
			res.CPUAskToEmbed = res.EmbedCPUms / res.AskCPUms
		}
	}
	if res.Errors > 0 {
		return res, fmt.Errorf("%d requests failed, the first: %s", res.Errors, res.FirstError)
	}
	return res, nil
}

// embedReference runs bench embed's 8 callers on the server's embedder for
// d: queries/s, CPU ms per query and the mean batch.
func (a *app) embedReference(ctx context.Context, d time.Duration) (qps, cpuMs, batch float64, err error) {
	cpu0, t0 := cputime.Process(), time.Now()
	if qps, batch, err = embed.BenchCallers(ctx, a.model, 32, 8, d); err != nil {
		return 0, 0, 0, fmt.Errorf("reference embed run: %w", err)
	}
	if n := qps * time.Since(t0).Seconds(); n > 0 {
		cpuMs = float64((cputime.Process() - cpu0).Microseconds()) / 1000 / n
	}
	return qps, cpuMs, batch, nil
}

// benchAskPhases runs the saturation and the paced phase (profiled when asked).
func (a *app) benchAskPhases(ctx context.Context, client *http.Client, base, key string, queries []answer.LabeledQuery, o benchAskOptions, res *benchAskResult) (err error) {
	batchesBefore, err := loadgen.EmbedStats(ctx, client, base)
	if err != nil {
		return err
	}
	stopProfiles, err := o.profiles.Start()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopProfiles()) }()
	drive := loadgen.New(client, base, key, benchAskKB, queries)
	// Saturation: every client asks again as soon as it has an answer.
	sat, err := drive.Run(ctx, o.clients, 0, o.warmup, o.duration)
	if err != nil {
		return err
	}
	batchesAfter, err := loadgen.EmbedStats(ctx, client, base)
	if err != nil {
		return err
	}
	res.QPS, res.SatP50ms, res.SatP99ms = float64(sat.N())/o.duration.Seconds(), sat.Pct(0.50), sat.Pct(0.99)
	if sat.N() > 0 {
		res.AskCPUms = float64(sat.CPU.Microseconds()) / 1000 / float64(sat.N())
	}
	res.Requests, res.Errors, res.Decisions = sat.N(), sat.Errors, sat.Decisions
	if sat.FirstErr != nil {
		res.FirstError = sat.FirstErr.Error()
	}
	if n := batchesAfter[0] - batchesBefore[0]; n > 0 {
		res.Batch = (batchesAfter[1] - batchesBefore[1]) / n
	}
	rate, auto, err := o.parseRate()
	if err != nil {
		return err
	}
	if auto {
		rate = math.Round(autoRateShare * res.QPS)
	}
	res.Rate, res.RateAuto = rate, auto
	if rate > 0 {
		// Paced: the clients together offer rate questions/s on a fixed
		// schedule; latency counts from each question's scheduled time.
		paced, err := drive.Run(ctx, o.clients, rate, o.warmup, o.duration)
		if err != nil {
			return err
		}
		res.P50ms, res.P99ms = paced.Pct(0.50), paced.Pct(0.99)
		res.PacedQPS = float64(paced.N()) / o.duration.Seconds()
		res.Errors += paced.Errors
		if paced.FirstErr != nil && res.FirstError == "" {
			res.FirstError = paced.FirstErr.Error()
		}
		res.Requests += paced.N()
	}
	return nil
}
