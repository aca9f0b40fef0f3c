package answer

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"time"
)

// Self-calibration: a KB builds its own labeled questions from its
// content and fits its confidence on them, so a shop goes live calibrated
// without labeling anything. Three kinds of examples:
//
//   - variant questions asked with that one question held out of the KB
//     (leave-one-out): positives whose right article is known;
//   - questions of articles held out whole: out of scope, the right
//     outcome a handoff (the top article is never right);
//   - for articles without variants, pseudo-questions (pseudo.go) made from
//     the standard question and the answer.
//
// A held-out item is absent from retrieval (a filter on the store) and
// from the reranker's term statistics (a lexicon rebuilt without it)
// while it is asked. The fit is a maximum a posteriori logistic
// regression centred on the shipped calibration (FitOptions.Prior), so a
// tiny KB stays close to it and a large one fits itself.

// Self-calibration's design constants (see the README for how each was chosen).
const (
	// selfVariantRounds is how many variants of each article are asked,
	// one per round, each round holding out one variant of every article.
	selfVariantRounds = 3
	// selfOOSFolds: each fold of articles is held out whole once (a tenth
	// of the KB at a time, so a held-out article's near-duplicates mostly
	// stay, as they do when a real question has no article).
	selfOOSFolds = 10
	// selfOOSQuestions is how many questions of each held-out article are asked.
	selfOOSQuestions = 3
	// selfMaxProbes bounds the positive and the out-of-scope probes each
	// (a large KB is sampled), which bounds the cost.
	selfMaxProbes = 1500
	// AssumedOutOfScope is the share of questions with no answer in the KB
	// that self-calibration assumes: out-of-scope examples are weighted to
	// make up this share of the evidence. It is the share in the sample
	// KB's labeled questions (142 of 618), rounded; outcomes (outcomes.go)
	// replace the assumption with the KB's own traffic.
	AssumedOutOfScope = 0.25
	// selfECEFolds is the number of folds (by article) of the held-out ECE.
	selfECEFolds = 5
	// minSelfExamples is the least number of examples worth a fit; below,
	// the KB keeps the shipped calibration.
	minSelfExamples = 30
	// A KB with at least ownTransferArticles articles with variants and
	// at least ownTransferShare of its articles without chooses the
	// pseudo-question generators on its own variants (MeasureTransfer).
	ownTransferArticles = 50
	ownTransferShare    = 0.1
)

// SelfCalibration describes a KB's self-calibration; it is kept in the
// KB's settings and printed by jieda calibrate --self.
type SelfCalibration struct {
	FittedAt time.Time `json:"fitted_at"`
	// Articles and Questions are the published articles and their
	// questions when it ran (Material compares them with the KB's now).
	Articles  int `json:"articles"`
	Questions int `json:"questions"`
	// Examples counts the labeled examples by kind.
	Examples SelfExamples `json:"examples"`
	// Generators are the pseudo-question generators used, and GeneratorsFrom
	// says how they were chosen: "kb variants" (measured on this KB's own
	// variant questions) or "default" (DefaultGenerators).
	Generators     []string `json:"generators,omitempty"`
	GeneratorsFrom string   `json:"generators_from,omitempty"`
	// OutOfScopeShare is the share of the evidence the out-of-scope
	// examples were weighted to.
	OutOfScopeShare float64 `json:"out_of_scope_share"`
	// HeldOutECE is the expected calibration error of the confidence on
	// the examples of articles left out of the fit (5 folds by article);
	// HeldOutTop1 the share of positive examples whose top article was right.
	HeldOutECE  float64 `json:"held_out_ece"`
	HeldOutTop1 float64 `json:"held_out_top1"`
	// AnswerThreshold is the least answer threshold (0.50 to 0.95 by 0.05)
	// at which those held-out examples reach the KB's target precision
	// and hand off TargetOutOfScopeHandoff of the out-of-scope ones; a KB
	// whose answer threshold is the default answers at it instead (see
	// Settings.ThresholdsFor). 0 when no threshold does, or once outcome
	// labels calibrate the KB.
	AnswerThreshold float64 `json:"answer_threshold,omitempty"`
	// Outcomes is how many labels from outcomes (outcomes.go) the fit used.
	Outcomes int `json:"outcomes,omitempty"`
	// DurationMS is how long it took; RefitMS how long the last refit on
	// outcomes took (Refit: no new probes).
	DurationMS int64 `json:"duration_ms"`
	RefitMS    int64 `json:"refit_ms,omitempty"`
}

// SelfExamples counts self-calibration's examples by kind.
type SelfExamples struct {
	Variants   int `json:"variants"`
	Pseudo     int `json:"pseudo"`
	OutOfScope int `json:"out_of_scope"`
}

// Total is the number of examples.
func (x SelfExamples) Total() int { return x.Variants + x.Pseudo + x.OutOfScope }

// loadCalArticles reads kb's published articles.
func (e *Engine) loadCalArticles(ctx context.Context, kb string) (map[string]*calArticle, []string, error) {
	arts := map[string]*calArticle{}
	var ids []string
	q := ArticleQuery{Status: StatusPublished, Limit: 500}
	for {
		page, err := e.Library.ListArticles(ctx, kb, q)
		if err != nil {
			return nil, nil, err
		}
		for _, a := range page.Articles {
			arts[a.ID] = &calArticle{a: a, qs: a.Questions()}
			ids = append(ids, a.ID)
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	slices.Sort(ids)
	return arts, ids, nil
}

// rng is a deterministic source for one KB and purpose.
func rngFor(kb, purpose string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(kb + "\x00" + purpose))
	return rand.New(rand.NewPCG(h.Sum64(), 0x6a09e667f3bcc908))
}

// selfExamples asks the probes of a self-calibration and returns them labeled.
func (e *Engine) selfExamples(ctx context.Context, kb string, arts map[string]*calArticle, ids []string, gens []string) ([]probed, SelfExamples, error) {
	var counts SelfExamples
	base, err := e.Library.lexicon(ctx, kb)
	if err != nil {
		return nil, counts, err
	}
	so := e.search
	rng := rngFor(kb, "self")
	// Positives: each round holds out one variant of every article that has one.
	// A small KB asks more variants of each article (up to selfMaxProbes in all).
	withVariants, most := 0, 0
	for _, id := range ids {
		if n := len(arts[id].qs) - 1; n > 0 {
			withVariants++
			most = max(most, n)
		}
	}
	rounds := min(most, max(selfVariantRounds, (selfMaxProbes+withVariants-1)/max(1, withVariants)))
	order := map[string][]int{}
	nPos := 0
	for _, id := range ids {
		if n := len(arts[id].qs) - 1; n > 0 {
			p := rng.Perm(n)
			for i := range p {
				p[i]++ // question indexes of the variants
			}
			order[id] = p[:min(n, rounds)]
			nPos += len(order[id])
		}
	}
	keepPos := min(1, float64(selfMaxProbes)/float64(max(1, nPos)))
	var all []probed
	for round := range rounds {
		h := holdout{questions: map[string][]int{}}
		var probes []probe
		for _, id := range ids {
			if o := order[id]; round < len(o) && rng.Float64() < keepPos {
				h.questions[id] = []int{o[round]}
				probes = append(probes, probe{text: arts[id].qs[o[round]], target: id, kind: "variant", group: id, locale: arts[id].a.Locale})
			}
		}
		if len(probes) == 0 {
			continue
		}
		v, err := e.view(kb, base, arts, h, so)
		if err != nil {
			return nil, counts, err
		}
		res, err := e.ask(ctx, kb, probes, v)
		if err != nil {
			return nil, counts, err
		}
		counts.Variants += len(res)
		all = append(all, res...)
	}
	// Pseudo-questions of articles without variants, the KB whole.
	pool := unitPool(arts)
	var probes []probe
	for _, id := range ids {
		a := arts[id]
		if len(a.qs) > 1 {
			continue
		}
		for _, g := range gens {
			if t := pseudoQuestionFrom(g, id, a.a.Question, a.a.Answer, pool); t != "" {
				probes = append(probes, probe{text: t, target: id, kind: "pseudo:" + g, group: id, locale: a.a.Locale})
			}
		}
	}
	if len(probes) > selfMaxProbes {
		rng.Shuffle(len(probes), func(i, j int) { probes[i], probes[j] = probes[j], probes[i] })
		probes = probes[:selfMaxProbes]
	}
	if len(probes) > 0 {
		v, err := e.view(kb, base, arts, holdout{}, so)
		if err != nil {
			return nil, counts, err
		}
		res, err := e.ask(ctx, kb, probes, v)
		if err != nil {
			return nil, counts, err
		}
		counts.Pseudo = len(res)
		all = append(all, res...)
	}
	// Out of scope: each fold of articles held out whole in turn.
	perOOS := max(selfOOSQuestions, (selfMaxProbes+len(ids)-1)/max(1, len(ids)))
	keepOOS := min(1, float64(selfMaxProbes)/float64(max(1, perOOS*len(ids))))
	for f := range selfOOSFolds {
		h := holdout{articles: map[string]bool{}}
		var probes []probe
		for _, id := range ids {
			if fold(kb, id, selfOOSFolds) != f || rng.Float64() >= keepOOS {
				continue
			}
			h.articles[id] = true
			for _, t := range oosQuestions(rng, arts[id], gens, pool, perOOS) {
				probes = append(probes, probe{text: t.text, kind: t.kind, group: id, locale: arts[id].a.Locale})
			}
		}
		if len(probes) == 0 || len(h.articles) == len(ids) {
			continue
		}
		v, err := e.view(kb, base, arts, h, so)
		if err != nil {
			return nil, counts, err
		}
		res, err := e.ask(ctx, kb, probes, v)
		if err != nil {
			return nil, counts, err
		}
		counts.OutOfScope += len(res)
		all = append(all, res...)
	}
	return all, counts, nil
}

// oosQuestions are the up to n questions asked of an article held out
// whole: its standard question and variants, or pseudo-questions when it
// has none.
func oosQuestions(rng *rand.Rand, a *calArticle, gens []string, pool []textUnit, n int) []probe {
	out := []probe{{text: a.qs[0], kind: "oos"}}
	if len(a.qs) > 1 {
		for _, i := range rng.Perm(len(a.qs) - 1)[:min(len(a.qs)-1, n-1)] {
			out = append(out, probe{text: a.qs[i+1], kind: "oos"})
		}
		return out
	}
	for _, i := range rng.Perm(len(gens)) {
		if len(out) == n {
			break
		}
		if t := pseudoQuestionFrom(gens[i], a.a.ID, a.a.Question, a.a.Answer, pool); t != "" {
			out = append(out, probe{text: t, kind: "oos:" + gens[i]})
		}
	}
	return out
}

// weighOOS weights examples so that the out-of-scope ones make up share
// of the total weight (positives weigh 1).
func weighOOS(ex []probed, share float64) []Sample {
	var nPos, nOOS float64
	for _, p := range ex {
		if p.target == "" {
			nOOS++
		} else {
			nPos++
		}
	}
	w := 1.0
	if nOOS > 0 && nPos > 0 {
		w = share / (1 - share) * nPos / nOOS
	}
	out := make([]Sample, len(ex))
	for i, p := range ex {
		out[i] = p.sample
		out[i].Weight = 1
		if p.target == "" {
			out[i].Weight = w
		}
	}
	return out
}

// selfFit is a self-calibration's fit and what its held-out folds showed.
type selfFit struct {
	cal       *Calibration
	ece, top1 float64
	answerAt  float64 // see SelfCalibration.AnswerThreshold
}

// fitSelf fits a calibration on self-calibration examples and measures
// it by article folds: held-out ECE, top-1, and the answer threshold that
// meets target precision.
func fitSelf(kb string, ex []probed, target float64) (selfFit, error) {
	samples := weighOOS(ex, AssumedOutOfScope)
	opts := FitOptions{Prior: DefaultCalibration()}
	cal, err := FitBoth(samples, opts)
	if err != nil {
		return selfFit{}, err
	}
	// held out: fit without a fold of articles, measure on it
	prob := make([]float64, 0, len(ex))
	right := make([]bool, 0, len(ex))
	oos := make([]bool, 0, len(ex))
	weights := make([]float64, 0, len(ex))
	base := samples[:len(ex)]
	var top1, pos float64
	for f := range selfECEFolds {
		var train, test []Sample
		for i, p := range ex {
			if fold(kb, p.group, selfECEFolds) == f {
				test = append(test, base[i])
				oos = append(oos, p.target == "")
			} else {
				train = append(train, base[i])
			}
		}
		if len(test) == 0 {
			continue
		}
		c, err := Fit(train, opts)
		if err != nil {
			oos = oos[:len(prob)]
			continue // a fold too small to fit
		}
		for _, s := range test {
			prob = append(prob, c.Probability(s.Features))
			right = append(right, s.Correct)
			weights = append(weights, s.weight())
		}
	}
	for i, p := range ex {
		if p.target != "" {
			pos++
			if base[i].Correct {
				top1++
			}
		}
	}
	if pos > 0 {
		top1 /= pos
	}
	return selfFit{
		cal:      cal,
		ece:      WeightedECE(prob, right, weights, 10),
		top1:     top1,
		answerAt: answerThreshold(prob, right, oos, weights, target),
	}, nil
}

// TargetOutOfScopeHandoff is the share of questions the KB cannot answer
// that a self-calibrated answer threshold must hand off.
const TargetOutOfScopeHandoff = 0.85

// answerThreshold returns the least threshold from 0.50 to 0.95 by 0.05
// at which the held-out examples answered (probability at or above it)
// are right at least target of the time, an out-of-scope one answered
// counting as wrong, and at least TargetOutOfScopeHandoff of the
// out-of-scope ones fall below it; all weighted as the fit weighs them.
// 0 when none does. Held-out examples are the KB's own variants and
// pseudo-questions: where those are harder than customers' questions
// (pseudo-questions are), the threshold errs toward handing off.
func answerThreshold(prob []float64, right, oos []bool, weight []float64, target float64) float64 {
	for step := 10; step <= 19; step++ {
		t := float64(step) / 20
		var answered, correct, out, kept float64
		for i, p := range prob {
			if oos[i] {
				out += weight[i]
				if p < t {
					kept += weight[i]
				}
			}
			if p >= t {
				answered += weight[i]
				if right[i] {
					correct += weight[i]
				}
			}
		}
		if answered > 0 && correct >= target*answered && (out == 0 || kept >= TargetOutOfScopeHandoff*out) {
			return t
		}
	}
	return 0
}

// WeightedECE is ECE with a weight per question.
func WeightedECE(prob []float64, correct []bool, weight []float64, bins int) float64 {
	if len(prob) == 0 || bins <= 0 {
		return 0
	}
	type bin struct{ w, conf, acc float64 }
	bs := make([]bin, bins)
	total := 0.0
	for i, p := range prob {
		b := min(int(p*float64(bins)), bins-1)
		w := weight[i]
		bs[b].w += w
		bs[b].conf += w * p
		if correct[i] {
			bs[b].acc += w
		}
		total += w
	}
	e := 0.0
	for _, b := range bs {
		if b.w > 0 {
			e += b.w / total * abs(b.acc/b.w-b.conf/b.w)
		}
	}
	return e
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// SelfCalibrate builds kb's labeled examples from its own articles, fits
// its confidence on them (and then on the labels its outcomes gave, see
// RecordOutcome), and saves the calibration and its description beside
// the KB's settings. It applies while the settings hold no calibration of
// their own (one fitted on labeled questions with jieda calibrate --save).
func (e *Engine) SelfCalibrate(ctx context.Context, kb string) (SelfCalibration, error) {
	if err := e.KnownKB(ctx, kb); err != nil {
		return SelfCalibration{}, err
	}
	mu := e.calLock(kb)
	mu.Lock()
	defer mu.Unlock()
	return e.selfCalibrate(ctx, kb)
}

func (e *Engine) selfCalibrate(ctx context.Context, kb string) (SelfCalibration, error) {
	start := time.Now()
	arts, ids, err := e.loadCalArticles(ctx, kb)
	if err != nil {
		return SelfCalibration{}, err
	}
	rep := SelfCalibration{Articles: len(ids), OutOfScopeShare: AssumedOutOfScope, Generators: DefaultGenerators, GeneratorsFrom: "default"}
	without := 0
	for _, id := range ids {
		rep.Questions += len(arts[id].qs)
		if len(arts[id].qs) == 1 {
			without++
		}
	}
	// Where enough articles have variants and enough have none, the
	// generators are chosen on the KB's own variants.
	if withVariants := len(ids) - without; withVariants >= ownTransferArticles && float64(without) >= ownTransferShare*float64(len(ids)) {
		tr, err := e.measureTransfer(ctx, kb, arts, ids, slices.DeleteFunc(slices.Clone(Generators), func(g string) bool { return g == GenHoldout }))
		if err != nil {
			return rep, fmt.Errorf("measuring generators: %w", err)
		}
		if len(tr.Chosen) > 0 {
			rep.Generators, rep.GeneratorsFrom = tr.Chosen, "kb variants"
		}
	}
	ex, counts, err := e.selfExamples(ctx, kb, arts, ids, rep.Generators)
	if err != nil {
		return rep, fmt.Errorf("self-calibration examples: %w", err)
	}
	rep.Examples = counts
	if err := e.examples.saveSelf(ctx, kb, ex); err != nil {
		return rep, err
	}
	outcomes, err := e.examples.outcomeSamples(ctx, kb)
	if err != nil {
		return rep, err
	}
	st, _, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return rep, err
	}
	cal := e.refit(kb, ex, outcomes, &rep, st.Target())
	rep.DurationMS = time.Since(start).Milliseconds()
	e.resetOutcomeCount(kb)
	return rep, e.saveSelfReport(ctx, kb, rep, cal)
}
