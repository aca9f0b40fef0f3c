package answer

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/jieda/jieda/index"
)

// calState is the engine's bookkeeping of calibrations: one at a time per
// KB, background runs after imports, and outcomes since the last fit.
type calState struct {
	mu      sync.Mutex
	locks   map[string]*sync.Mutex
	running map[string]bool
	again   map[string]bool
	wg      sync.WaitGroup
	// outcomes counts the outcome labels recorded per KB since its last fit.
	outcomes map[string]int
	// manual turns off the background runs after article writes
	// (Options.NoSelfCalibration).
	manual bool
}

// calLock is kb's calibration lock.
func (e *Engine) calLock(kb string) *sync.Mutex {
	e.cal.mu.Lock()
	defer e.cal.mu.Unlock()
	if e.cal.locks == nil {
		e.cal.locks = map[string]*sync.Mutex{}
	}
	m := e.cal.locks[kb]
	if m == nil {
		m = &sync.Mutex{}
		e.cal.locks[strings.Clone(kb)] = m
	}
	return m
}

// MaterialChange is the relative change in a KB's published articles or
// questions since its last self-calibration that makes an import
// recalibrate it.
const MaterialChange = 0.1

// kbSize counts kb's published articles and questions.
func (e *Engine) kbSize(ctx context.Context, kb string) (articles, questions int, err error) {
	pub := []index.Condition{index.MatchKeyword("kb", kb), index.MatchKeyword("status", string(StatusPublished))}
	if articles, err = e.Library.store.Count(ctx, ArticlesCollection, &index.Filter{Must: pub}); err != nil {
		return 0, 0, err
	}
	qf := &index.Filter{Must: append(pub, index.MatchAnyKeyword("kind", KindQuestion, KindVariant))}
	questions, err = e.Library.store.Count(ctx, PointsCollection, qf)
	return articles, questions, err
}

// NeedsSelfCalibration reports whether kb should calibrate itself: its
// settings hold no calibration fitted on labeled questions (jieda
// calibrate --save), and it never did or its published articles or
// questions changed by MaterialChange or more since it last did.
func (e *Engine) NeedsSelfCalibration(ctx context.Context, kb string) (bool, error) {
	st, _, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return false, err
	}
	if st.Calibration != nil {
		return false, nil // fitted on labeled questions: left alone
	}
	arts, qs, err := e.kbSize(ctx, kb)
	if err != nil || arts == 0 {
		return false, err
	}
	sc := st.SelfCalibration
	if sc == nil {
		return true, nil
	}
	changed := func(was, now int) bool {
		return float64(abs(float64(now-was))) >= MaterialChange*float64(max(was, now))
	}
	return changed(sc.Articles, arts) || changed(sc.Questions, qs), nil
}

// Calibration sources that jieda writes itself.
const (
	SourceSelf     = "self-calibration"
	SourceOutcomes = "self-calibration + outcomes"
)

// autoCalibrate starts kb's self-calibration in the background when it
// needs one (see NeedsSelfCalibration); an import during a run makes it
// run again after. Close and WaitCalibrations wait for it. It does
// nothing with Options.NoSelfCalibration.
func (e *Engine) autoCalibrate(ctx context.Context, kb string) {
	if e.cal.manual {
		return
	}
	need, err := e.NeedsSelfCalibration(ctx, kb)
	if err != nil {
		e.logger.Warn("checking whether the KB needs self-calibration", "kb", kb, "err", err)
		return
	}
	if !need {
		return
	}
	e.startCalibration(ctx, kb)
}

// startCalibration runs SelfCalibrate in the background (once at a time per KB).
func (e *Engine) startCalibration(ctx context.Context, kb string) {
	kb = strings.Clone(kb)
	e.cal.mu.Lock()
	defer e.cal.mu.Unlock()
	if e.cal.running == nil {
		e.cal.running, e.cal.again = map[string]bool{}, map[string]bool{}
	}
	if e.cal.running[kb] {
		e.cal.again[kb] = true
		return
	}
	e.cal.running[kb] = true
	e.cal.wg.Add(1)
	ctx, cancel := e.background(ctx)
	go func() {
		defer e.cal.wg.Done()
		defer cancel()
		for {
			rep, err := e.SelfCalibrate(ctx, kb)
			if err != nil && ctx.Err() != nil {
				e.logger.Info("self-calibration stopped by the shutdown; it resumes at the next start", "kb", kb)
			} else if err != nil {
				e.logger.Warn("self-calibration failed; the KB keeps its calibration", "kb", kb, "err", err)
			} else {
				e.logger.Info("self-calibrated", "kb", kb, "examples", rep.Examples.Total(), "held_out_ece", rep.HeldOutECE,
					"duration", time.Duration(rep.DurationMS)*time.Millisecond)
			}
			e.cal.mu.Lock()
			if !e.cal.again[kb] {
				delete(e.cal.running, kb)
				e.cal.mu.Unlock()
				return
			}
			delete(e.cal.again, kb)
			e.cal.mu.Unlock()
		}
	}()
}

// ResumeCalibrations starts, in the background, the self-calibration of
// every KB that needs one (NeedsSelfCalibration): one a shutdown
// interrupted, or one imported by a process that did not wait for it.
func (e *Engine) ResumeCalibrations(ctx context.Context) error {
	kbs, err := e.Settings.List(ctx)
	if err != nil {
		return err
	}
	for _, kb := range kbs {
		e.autoCalibrate(ctx, kb)
	}
	return nil
}

// StartSelfCalibration starts kb's self-calibration in the background
// whether or not it needs one (POST /v1/kbs/{kb}/calibrate answers 202 at
// once): SelfCalibrating says when it runs, the KB's settings hold the
// result (Settings.SelfCalibration). A run in progress is followed by one
// more.
func (e *Engine) StartSelfCalibration(ctx context.Context, kb string) error {
	if err := e.KnownKB(ctx, kb); err != nil {
		return err
	}
	e.startCalibration(ctx, kb)
	return nil
}

// SelfCalibrating reports whether a self-calibration of kb is running.
func (e *Engine) SelfCalibrating(kb string) bool {
	e.cal.mu.Lock()
	defer e.cal.mu.Unlock()
	return e.cal.running[kb]
}

// WaitCalibrations waits until no background self-calibration runs (or
// ctx ends).
func (e *Engine) WaitCalibrations(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		e.cal.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refit fits kb's calibration: on its self-calibration examples with the
// shipped calibration as the prior, then on its outcome labels with that
// as the prior, so each stage takes over in proportion to its evidence.
// It fills rep's figures; nil (the shipped default) when there is too
// little to fit.
func (e *Engine) refit(kb string, ex []probed, outcomes []Sample, rep *SelfCalibration, target float64) *Calibration {
	rep.Outcomes = len(outcomes)
	rep.AnswerThreshold = 0
	var cal *Calibration
	if len(ex) >= minSelfExamples {
		fit, err := fitSelf(kb, ex, target)
		if err != nil {
			e.logger.Warn("self-calibration fit failed; the KB keeps the default", "kb", kb, "err", err)
		} else {
			rep.HeldOutECE, rep.HeldOutTop1, rep.AnswerThreshold = fit.ece, fit.top1, fit.answerAt
			cal = fit.cal
			cal.Source, cal.ECE = SourceSelf, fit.ece
		}
	}
	if len(outcomes) >= minOutcomes {
		prior := cal
		if prior == nil {
			prior = DefaultCalibration()
		}
		c, err := FitBoth(outcomes, FitOptions{Prior: prior})
		if err == nil {
			c.Source = SourceOutcomes
			cal = c
			// Real labels calibrate the KB now: the threshold that made up
			// for examples unlike its traffic no longer applies.
			rep.AnswerThreshold = 0
		} // else: labels of one class only; keep the prior
	}
	if cal != nil {
		cal.FittedAt = e.now().UTC().Truncate(time.Second)
	}
	return cal
}

// minOutcomes is the least number of outcome labels worth a fit.
const minOutcomes = 10

// saveSelfReport stores a self-calibration and its description beside kb's settings.
func (e *Engine) saveSelfReport(ctx context.Context, kb string, rep SelfCalibration, cal *Calibration) error {
	rep.FittedAt = e.now().UTC().Truncate(time.Second)
	return e.Settings.PutSelf(ctx, kb, &rep, cal)
}
