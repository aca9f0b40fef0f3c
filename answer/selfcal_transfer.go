package answer

import (
	"context"
	"math"
	"slices"
	"strings"
)

// Transfer measures which pseudo-question generators stand in for real
// customer questions. On a KB whose articles have variant questions it
// simulates the same KB without them (every variant held out of retrieval
// and of the reranker's statistics), fits a calibration on each
// generator's pseudo-questions (plus held-out articles as out of scope),
// and measures it on the real variants asked against the stripped KB:
// exactly what a KB of standard questions meets when customers write in.
// Generators are then chosen greedily, by held-out log-loss.

// TransferRow is one generator set's transfer to real variant questions.
type TransferRow struct {
	Generators []string `json:"generators"`
	// LogLoss is the mean log-loss (the lower, the better) and ECE the
	// expected calibration error on the real questions of articles left
	// out of the fit (5 folds by article), out-of-scope ones weighted to
	// AssumedOutOfScope.
	LogLoss float64 `json:"log_loss"`
	ECE     float64 `json:"ece"`
	// Precision, Coverage and OOSHandoff are at the default answer threshold.
	Precision  float64 `json:"precision"`
	Coverage   float64 `json:"coverage"`
	OOSHandoff float64 `json:"oos_handoff"`
	// Top1 is the share of the generator's own in-scope pseudo-questions
	// whose top article is right (how hard they are; real ones: RealTop1).
	Top1 float64 `json:"pseudo_top1,omitempty"`
}

// TransferReport is MeasureTransfer's result.
type TransferReport struct {
	Articles int `json:"articles"`
	// RealTop1 is the share of real variant questions whose top article is
	// right in the stripped KB.
	RealTop1 float64 `json:"real_top1"`
	// Single is each generator alone; Chosen the greedy selection, best last.
	Single []TransferRow `json:"single"`
	Steps  []TransferRow `json:"steps"`
	Chosen []string      `json:"chosen"`
}

// transferMinGain is the least drop in log-loss that adds a generator.
const transferMinGain = 0.002

// minTransferArticles is the least number of articles with variants
// worth a transfer measurement.
const minTransferArticles = 20

// MeasureTransfer runs the transfer measurement on kb's articles that
// have variant questions (see TransferReport).
func (e *Engine) MeasureTransfer(ctx context.Context, kb string, gens []string) (TransferReport, error) {
	var rep TransferReport
	if len(gens) == 0 {
		gens = Generators
	}
	arts, all, err := e.loadCalArticles(ctx, kb)
	if err != nil {
		return rep, err
	}
	return e.measureTransfer(ctx, kb, arts, all, gens)
}

// transferMaxArticles bounds the articles a transfer measurement asks
// about (a sample of a larger KB), which bounds its cost.
const transferMaxArticles = 300

func (e *Engine) measureTransfer(ctx context.Context, kb string, arts map[string]*calArticle, all, gens []string) (TransferReport, error) {
	var rep TransferReport
	var ids []string
	for _, id := range all {
		if len(arts[id].qs) > 1 {
			ids = append(ids, id)
		}
	}
	if len(ids) > transferMaxArticles {
		r := rngFor(kb, "transfer-sample")
		r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		ids = ids[:transferMaxArticles]
		slices.Sort(ids)
	}
	rep.Articles = len(ids)
	if len(ids) < minTransferArticles {
		return rep, nil
	}
	base, err := e.Library.lexicon(ctx, kb)
	if err != nil {
		return rep, err
	}
	rng := rngFor(kb, "transfer")
	var real, pseudo []probed
	strip, err := e.view(kb, base, arts, holdout{variants: true}, e.search)
	if err != nil {
		return rep, err
	}
	var probes []probe
	pool := unitPool(arts)
	for _, id := range ids {
		a := arts[id]
		for _, i := range rng.Perm(len(a.qs) - 1)[:min(2, len(a.qs)-1)] {
			probes = append(probes, probe{text: a.qs[i+1], target: id, kind: "real", group: id, locale: a.a.Locale})
		}
		for _, g := range gens {
			if t := pseudoQuestionFrom(g, id, a.a.Question, a.a.Answer, pool); t != "" {
				probes = append(probes, probe{text: t, target: id, kind: "pseudo:" + g, group: id, locale: a.a.Locale})
			}
		}
	}
	res, err := e.ask(ctx, kb, probes, strip)
	if err != nil {
		return rep, err
	}
	for _, p := range res {
		if p.kind == "real" {
			real = append(real, p)
		} else {
			pseudo = append(pseudo, p)
		}
	}
	for f := range selfOOSFolds {
		h := holdout{variants: true, articles: map[string]bool{}}
		var probes []probe
		for _, id := range ids {
			if fold(kb, id, selfOOSFolds) != f {
				continue
			}
			h.articles[id] = true
			a := arts[id]
			probes = append(probes, probe{text: a.qs[1+rng.IntN(len(a.qs)-1)], kind: "real", group: id, locale: a.a.Locale},
				probe{text: a.qs[0], kind: "oos", group: id, locale: a.a.Locale})
			for _, g := range gens {
				if t := pseudoQuestionFrom(g, id, a.a.Question, a.a.Answer, pool); t != "" {
					probes = append(probes, probe{text: t, kind: "oos:" + g, group: id, locale: a.a.Locale})
				}
			}
		}
		if len(probes) == 0 {
			continue
		}
		v, err := e.view(kb, base, arts, h, e.search)
		if err != nil {
			return rep, err
		}
		res, err := e.ask(ctx, kb, probes, v)
		if err != nil {
			return rep, err
		}
		if slices.Contains(gens, GenHoldout) {
			// the standard questions of the fold held out, their answers kept
			hq := holdout{variants: true, questions: map[string][]int{}}
			var hp []probe
			for id := range h.articles {
				hq.questions[id] = []int{0}
				hp = append(hp, probe{text: arts[id].qs[0], target: id, kind: "pseudo:" + GenHoldout, group: id, locale: arts[id].a.Locale})
			}
			v, err := e.view(kb, base, arts, hq, e.search)
			if err != nil {
				return rep, err
			}
			more, err := e.ask(ctx, kb, hp, v)
			if err != nil {
				return rep, err
			}
			res = append(res, more...)
		}
		for _, p := range res {
			if p.kind == "real" {
				real = append(real, p)
			} else {
				pseudo = append(pseudo, p)
			}
		}
	}
	var right, pos float64
	for _, p := range real {
		if p.target != "" {
			pos++
			if p.sample.Correct {
				right++
			}
		}
	}
	rep.RealTop1 = right / max(pos, 1)
	measure := func(set []string) TransferRow {
		return transferRow(kb, set, pseudo, real)
	}
	for _, g := range gens {
		rep.Single = append(rep.Single, measure([]string{g}))
	}
	// greedy forward selection by log-loss
	var chosen []string
	best := TransferRow{LogLoss: math.Inf(1)}
	for {
		var step TransferRow
		step.LogLoss = math.Inf(1)
		for _, g := range gens {
			if slices.Contains(chosen, g) {
				continue
			}
			r := measure(append(slices.Clone(chosen), g))
			if r.LogLoss < step.LogLoss {
				step = r
			}
		}
		if math.IsInf(step.LogLoss, 1) || step.LogLoss > best.LogLoss-transferMinGain {
			break
		}
		best, chosen = step, step.Generators
		rep.Steps = append(rep.Steps, step)
	}
	rep.Chosen = chosen
	return rep, nil
}

// transferRow fits on the pseudo-questions of the generators in set (and
// the held-out articles' questions) and measures on the real questions,
// by folds of articles.
func transferRow(kb string, set []string, pseudo, real []probed) TransferRow {
	row := TransferRow{Generators: set}
	use := func(p probed) bool {
		if p.kind == "oos" {
			return true
		}
		_, g, _ := strings.Cut(p.kind, ":")
		return slices.Contains(set, g)
	}
	var train []probed
	var right, pos float64
	for _, p := range pseudo {
		if use(p) {
			train = append(train, p)
			if p.target != "" {
				pos++
				if p.sample.Correct {
					right++
				}
			}
		}
	}
	row.Top1 = right / max(pos, 1)
	opts := FitOptions{Prior: DefaultCalibration()}
	var prob, w []float64
	var y, in []bool
	for f := range selfECEFolds {
		var tr, te []probed
		for _, p := range train {
			if fold(kb, p.group, selfECEFolds) != f {
				tr = append(tr, p)
			}
		}
		for _, p := range real {
			if fold(kb, p.group, selfECEFolds) == f {
				te = append(te, p)
			}
		}
		c, err := Fit(weighOOS(tr, AssumedOutOfScope), opts)
		if err != nil || len(te) == 0 {
			continue
		}
		for i, s := range weighOOS(te, AssumedOutOfScope) {
			prob = append(prob, c.Probability(s.Features))
			y = append(y, s.Correct)
			w = append(w, s.weight())
			in = append(in, te[i].target != "")
		}
	}
	if len(prob) == 0 {
		row.LogLoss = math.Inf(1)
		return row
	}
	var ll, tw float64
	for i, p := range prob {
		q := p
		if !y[i] {
			q = 1 - p
		}
		ll -= w[i] * math.Log(max(q, 1e-6))
		tw += w[i]
	}
	row.LogLoss = ll / tw
	row.ECE = WeightedECE(prob, y, w, 10)
	sw := Sweep(prob, y, in, []float64{DefaultThresholds().Answer})[0]
	row.Precision, row.Coverage, row.OOSHandoff = sw.Precision, sw.Coverage, sw.OOSHandoff
	return row
}
