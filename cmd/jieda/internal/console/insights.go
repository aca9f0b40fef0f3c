package console

import (
	"fmt"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
)

// insightsView is the insights page's data.
type insightsView struct {
	KB       string
	KBs      []string
	Days     int
	Windows  []int
	In       answer.Insights
	Titles   map[string]string // article id → question
	Share    *chart
	MaxCount int
}

// insights shows, per article, how often it was answered, handed off and
// rated; the answered and handed-off shares per day; the top reasons.
func (con *Console) insights(r *request) error {
	kb, kbs, err := r.editorKB()
	if err != nil {
		return err
	}
	e, _ := con.engine()
	c := r.c
	iv := &insightsView{KB: kb, KBs: kbs, Days: c.QueryInt("days", 30), Windows: gapWindows, Titles: map[string]string{}}
	if !slices.Contains(gapWindows, iv.Days) {
		return badInput("err.gaps.window")
	}
	ctx := c.UserContext()
	until := e.Now()
	if iv.In, err = e.Insights(ctx, kb, until.Add(-time.Duration(iv.Days)*24*time.Hour), until.Add(time.Minute), 30); err != nil {
		return err
	}
	ids := make([]string, len(iv.In.Articles))
	for i, a := range iv.In.Articles {
		ids[i] = a.ArticleID
	}
	arts, err := e.Library.Articles(ctx, kb, ids)
	if err != nil {
		return err
	}
	for id, a := range arts {
		iv.Titles[id] = a.Question
	}
	for _, rc := range iv.In.Reasons {
		iv.MaxCount = max(iv.MaxCount, rc.Count)
	}
	v := r.view("ins.title", "insights", iv)
	iv.Share = shareChart(v, iv.In.Days)
	return r.render(fiber.StatusOK, "insights", v)
}

// shareChart draws the answered and handed-off shares per day.
func shareChart(v *view, days []answer.DayCount) *chart {
	c := newChart(v.T("ins.share"), v.T("ins.axis.day"), v.T("cal.axis.share"))
	c.XTicks = nil
	n := len(days)
	xs, ans, hand := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, d := range days {
		xs[i] = 0.5
		if n > 1 {
			xs[i] = float64(i) / float64(n-1)
		}
		total := float64(d.Answered + d.Clarified + d.HandedOff)
		if total > 0 {
			ans[i], hand[i] = float64(d.Answered)/total, float64(d.HandedOff)/total
		}
		if i == 0 || i == n-1 || n <= 8 {
			c.XTicks = append(c.XTicks, chartTick{Pos: c.x(xs[i]), Label: d.Day[5:]})
		}
	}
	if n > 0 {
		c.line(v.T("ins.answered"), "s-precision", xs, ans)
		c.line(v.T("ins.handedoff"), "s-oos", xs, hand)
	}
	c.Descriptor = fmt.Sprintf("%d", n)
	return c
}
