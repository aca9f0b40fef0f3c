package console

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
)

// maxCalibrationExamples bounds the labeled questions a curve ranks.
const maxCalibrationExamples = 500

// calibrationView is the calibration page's data.
type calibrationView struct {
	KB       string
	KBs      []string
	Curve    answer.CalibrationCurve
	Current  answer.Thresholds
	Category string // the category being set ("" the KB's)
	// Rows are the sweep of Category (or the KB), with Expected the row
	// at the proposed threshold Proposed.
	Rows       []answer.SweepRow
	Proposed   float64
	Expected   *answer.SweepRow
	Categories []calCategory
	Reliab     *chart
	Curves     *chart
}

// calCategory is one category's thresholds and evidence.
type calCategory struct {
	Name     string
	Answer   float64
	Own      bool // the category has its own thresholds
	Examples int
}

// calibration draws the KB's reliability diagram and threshold curves
// from its labeled questions (agents' resolutions naming the article or
// "no answer"), and previews a threshold (?threshold=, ?category=).
func (con *Console) calibration(r *request) error {
	cv, err := con.calibrationData(r)
	if err != nil {
		return err
	}
	return r.render(fiber.StatusOK, "calibration", con.calibrationPage(r, cv))
}

func (con *Console) calibrationPage(r *request, cv *calibrationView) *view {
	v := r.view("cal.title", "calibration", cv)
	cv.Reliab = reliabilityChart(v, cv.Curve)
	cv.Curves = sweepChart(v, cv.Rows, cv.Current.Answer, cv.Proposed)
	return v
}

func (con *Console) calibrationData(r *request) (*calibrationView, error) {
	kb, kbs, err := r.editorKB()
	if err != nil {
		return nil, err
	}
	e, _ := con.engine()
	c := r.c
	ctx := c.UserContext()
	examples, err := e.LabeledOutcomes(ctx, kb, maxCalibrationExamples)
	if err != nil {
		return nil, err
	}
	cv := &calibrationView{KB: kb, KBs: kbs, Category: strings.TrimSpace(c.FormValue("category"))}
	if cv.Curve, err = e.CalibrationCurve(ctx, kb, examples, nil); err != nil {
		return nil, err
	}
	st, _, err := e.Settings.Get(ctx, kb)
	if err != nil {
		return nil, err
	}
	cv.Current = st.ThresholdsFor(cv.Category)
	cv.Rows = cv.Curve.Sweep
	if cv.Category != "" {
		cv.Rows = cv.Curve.Categories[cv.Category].Sweep
	}
	names := slices.Sorted(maps.Keys(cv.Curve.Categories))
	for n := range st.Categories {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, n := range names {
		_, own := st.Categories[n]
		cv.Categories = append(cv.Categories, calCategory{Name: n, Answer: st.ThresholdsFor(n).Answer, Own: own, Examples: cv.Curve.Categories[n].Examples})
	}
	if s := c.FormValue("threshold"); s != "" {
		t, err := strconv.ParseFloat(s, 64)
		if err != nil || t <= 0 || t > 1 || math.IsNaN(t) {
			return nil, badInput("err.threshold")
		}
		cv.Proposed = t
		for i := range cv.Rows {
			if math.Abs(cv.Rows[i].Threshold-t) < 1e-9 {
				cv.Expected = &cv.Rows[i]
			}
		}
	}
	return cv, nil
}

// setThreshold saves the answer threshold of the KB or of one category
// (which then gets thresholds of its own, the KB's otherwise).
func (con *Console) setThreshold(r *request) error {
	cv, err := con.calibrationData(r)
	if err != nil {
		return err
	}
	if cv.Proposed == 0 {
		return badInput("err.threshold")
	}
	e, _ := con.engine()
	ctx := r.c.UserContext()
	st, _, err := e.Settings.Get(ctx, cv.KB)
	if err != nil {
		return err
	}
	if cv.Category == "" {
		st.Thresholds.Answer = cv.Proposed
	} else {
		th := st.ThresholdsFor(cv.Category)
		th.Answer = cv.Proposed
		st.Categories = maps.Clone(st.Categories) // the stored map is the settings cache's
		if st.Categories == nil {
			st.Categories = map[string]answer.Thresholds{}
		}
		st.Categories[cv.Category] = th
	}
	if _, err := e.Settings.Put(ctx, st); err != nil {
		v := con.calibrationPage(r, cv)
		he, fault := humanOf(err)
		if fault {
			return err
		}
		v.Err = &he
		return r.render(he.Status, "calibration", v)
	}
	q := "/console/calibration?kb=" + urlq(cv.KB) + "&msg=threshold"
	if cv.Category != "" {
		q += "&category=" + urlq(cv.Category)
	}
	return r.c.Redirect(q, fiber.StatusSeeOther)
}
