package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// Config is one soak run.
type Config struct {
	// Binary is the jieda executable to run as the server.
	Binary string
	// Dir is a fresh directory for the store and the server's log.
	Dir string
	// ModelDir is the model the server loads ("" : its default).
	ModelDir string
	// Env adds KEY=value settings to the server's environment, after
	// (and so over) the soak's own.
	Env []string
	// Articles is the KB to import first (JSONL bytes); Questions are what customers ask.
	Articles  []byte
	Questions []string
	// Duration of the traffic; the server is killed every KillEvery on
	// average (uniformly between half and one and a half of it).
	Duration, KillEvery time.Duration
	// Seed makes the kill timings and the traffic repeatable.
	Seed uint64
}

// Report is what a run saw.
type Report struct {
	Seconds  float64 `json:"seconds"`
	Kills    int     `json:"kills"`
	Requests int     `json:"requests"`
	// Down counts requests that met a dead server (transport errors).
	Down int `json:"down"`
	// FiveXXWhileUp lists 5xx answers while the server was up (want none).
	FiveXXWhileUp []string `json:"five_xx_while_up"`

	Imports      Count `json:"imports"`       // article batches: acknowledged, cut by a kill
	HalfImported int   `json:"half_imported"` // cut batches partly visible (want 0)
	CutAnswered  int   `json:"cut_answered"`  // customers answered from a cut batch's article (want 0)
	ImportsLost  int   `json:"imports_lost"`  // acknowledged batches not all there (want 0)

	Handoffs       int            `json:"handoffs"`       // handoffs customers were told about
	HandoffsLost   int            `json:"handoffs_lost"`  // (want 0)
	Resolutions    int            `json:"resolutions"`    // acknowledged resolutions
	ResolvedLost   int            `json:"resolved_lost"`  // resolutions not kept (want 0)
	Deliveries     map[string]int `json:"deliveries"`     // handoffs by webhook delivery state
	Undeliverable  int            `json:"undeliverable"`  // neither delivered nor pending with a retry time (want 0)
	WebhookEvents  int            `json:"webhook_events"` // events the receiver got
	Approvals      int            `json:"approvals"`      // acknowledged candidate approvals
	ApprovalsLost  int            `json:"approvals_lost"` // (want 0)
	FeedbackAcked  int            `json:"feedback_acked"` // acknowledged feedback
	Asks           int            `json:"asks"`           // questions answered
	ConversationsX int            `json:"follow_ups"`     // follow-up questions in conversations
}

// Count is how many were acknowledged and how many were cut by a kill.
type Count struct {
	Acked int `json:"acked"`
	Cut   int `json:"cut"`
}

// Failed reports what the run found wrong ("" when nothing).
func (r Report) Failed() string {
	var bad []string
	check := func(n int, what string) {
		if n > 0 {
			bad = append(bad, fmt.Sprintf("%d %s", n, what))
		}
	}
	check(len(r.FiveXXWhileUp), "5xx while up")
	check(r.HalfImported, "half-visible imports")
	check(r.CutAnswered, "answers from a cut import")
	check(r.ImportsLost, "acknowledged imports lost")
	check(r.HandoffsLost, "handoffs lost")
	check(r.ResolvedLost, "resolutions lost")
	check(r.Undeliverable, "handoffs neither delivered nor pending")
	check(r.ApprovalsLost, "approvals lost")
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprint(bad)
}

// Run soaks a server as cfg says.
func Run(ctx context.Context, cfg Config) (rep Report, err error) {
	if cfg.Duration <= 0 || cfg.KillEvery <= 0 || len(cfg.Questions) == 0 {
		return rep, errors.New("soak: a duration, a kill interval and questions are needed")
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return rep, err
	}
	srv, err := NewServer(cfg)
	if err != nil {
		return rep, err
	}
	defer func() { err = errors.Join(err, srv.Close()) }()
	hook, err := newReceiver()
	if err != nil {
		return rep, err
	}
	defer hook.close()
	if err := srv.Start(ctx); err != nil {
		return rep, err
	}
	c := newClient(srv)
	w, err := setup(ctx, c, cfg, hook)
	if err != nil {
		return rep, err
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(cfg.Seed, 7))
	trafficCtx, stopTraffic := context.WithTimeout(ctx, cfg.Duration)
	defer stopTraffic()
	var wg sync.WaitGroup
	w.run(trafficCtx, &wg, cfg.Seed)
	kills, kerr := killer(trafficCtx, srv, cfg.KillEvery, rng)
	wg.Wait()
	if kerr != nil {
		return rep, kerr
	}
	rep.Seconds, rep.Kills = time.Since(start).Seconds(), kills
	// A final kill, then a clean start: what was acknowledged must be there.
	if err := srv.Kill(); err != nil {
		return rep, err
	}
	if err := srv.Start(ctx); err != nil {
		return rep, err
	}
	if err := w.verify(ctx, &rep); err != nil {
		return rep, err
	}
	rep.Requests, rep.Down, rep.FiveXXWhileUp = c.requests, c.down, c.fiveXX
	rep.WebhookEvents = hook.count()
	return rep, srv.Stop()
}

// killer SIGKILLs the server at random moments and starts it again, until ctx ends.
func killer(ctx context.Context, srv *Server, every time.Duration, rng *rand.Rand) (int, error) {
	kills := 0
	for {
		wait := every/2 + time.Duration(rng.Int64N(int64(every)))
		select {
		case <-ctx.Done():
			return kills, nil
		case <-time.After(wait):
		}
		if err := srv.Kill(); err != nil {
			return kills, err
		}
		kills++
		if err := srv.Start(context.WithoutCancel(ctx)); err != nil {
			return kills, err
		}
	}
}
