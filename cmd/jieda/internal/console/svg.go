package console

import (
	"fmt"
	"strings"

	"github.com/jieda/jieda/answer"
)

// chart is an inline SVG line/bar chart on [0,1]×[0,1], laid out here
// and drawn by the "chart" template (no chart library).
type chart struct {
	W, H       int
	Title      string
	Lines      []chartLine
	Bars       []chartBar
	XTicks     []chartTick
	YTicks     []chartTick
	Marks      []chartMark
	XLabel     string
	YLabel     string
	Diagonal   string // the perfect-calibration line, when drawn
	PlotX      int
	PlotY      int
	PlotW      int
	PlotH      int
	Descriptor string // a text alternative for screen readers
}

// chartLine is one series; Class sets its stroke and dash (told apart
// without colour). Dots mark its points (a one-point series shows too).
type chartLine struct {
	Name, Class, Points string
	Dots                []chartTick // Pos is x; Label is y, both in SVG units as text
}

// chartBar is one bar, in SVG units.
type chartBar struct {
	X, Y, W, H float64
	Label      string
}

// chartTick is an axis label at a position in SVG units.
type chartTick struct {
	Pos   float64
	Label string
}

// chartMark is a vertical marker (a threshold) at X in SVG units.
type chartMark struct {
	X            float64
	Label, Class string
}

const (
	chartW, chartH = 560, 300
	padL, padR     = 48, 16
	padT, padB     = 16, 40
)

func newChart(title, xl, yl string) *chart {
	c := &chart{W: chartW, H: chartH, Title: title, XLabel: xl, YLabel: yl,
		PlotX: padL, PlotY: padT, PlotW: chartW - padL - padR, PlotH: chartH - padT - padB}
	for i := 0; i <= 10; i += 2 {
		f := float64(i) / 10
		c.XTicks = append(c.XTicks, chartTick{Pos: c.x(f), Label: fmt.Sprintf("%.1f", f)})
		c.YTicks = append(c.YTicks, chartTick{Pos: c.y(f), Label: fmt.Sprintf("%.0f%%", 100*f)})
	}
	return c
}

// x and y map [0,1] to SVG units.
func (c *chart) x(f float64) float64 { return float64(c.PlotX) + f*float64(c.PlotW) }
func (c *chart) y(f float64) float64 { return float64(c.PlotY) + (1-f)*float64(c.PlotH) }

// line adds a series of (x, y) points in [0,1].
func (c *chart) line(name, class string, xs, ys []float64) {
	var b strings.Builder
	l := chartLine{Name: name, Class: class}
	for i := range xs {
		fmt.Fprintf(&b, "%.1f,%.1f ", c.x(xs[i]), c.y(ys[i]))
		l.Dots = append(l.Dots, chartTick{Pos: c.x(xs[i]), Label: fmt.Sprintf("%.1f", c.y(ys[i]))})
	}
	l.Points = strings.TrimSpace(b.String())
	c.Lines = append(c.Lines, l)
}

// mark adds a vertical marker at threshold t.
func (c *chart) mark(t float64, label, class string) {
	c.Marks = append(c.Marks, chartMark{X: c.x(t), Label: label, Class: class})
}

// reliabilityChart draws the reliability diagram: per confidence bin, how
// often the top article was right, against the diagonal of a perfectly
// calibrated model.
func reliabilityChart(v *view, cc answer.CalibrationCurve) *chart {
	c := newChart(v.T("cal.reliability"), v.T("cal.axis.confidence"), v.T("cal.axis.accuracy"))
	c.Diagonal = fmt.Sprintf("%.1f,%.1f %.1f,%.1f", c.x(0), c.y(0), c.x(1), c.y(1))
	var desc []string
	for _, b := range cc.Reliability {
		if b.Count == 0 {
			continue
		}
		w := c.x(b.Hi) - c.x(b.Lo)
		c.Bars = append(c.Bars, chartBar{X: c.x(b.Lo) + 2, Y: c.y(b.Accuracy), W: w - 4, H: c.y(0) - c.y(b.Accuracy),
			Label: v.T("cal.bin", b.Lo, b.Hi, b.Count, 100*b.Accuracy)})
		desc = append(desc, v.T("cal.bin", b.Lo, b.Hi, b.Count, 100*b.Accuracy))
	}
	c.Descriptor = strings.Join(desc, "; ")
	return c
}

// sweepChart draws precision, coverage and out-of-scope handoffs against
// the answer threshold, with the current (and a proposed) threshold.
func sweepChart(v *view, rows []answer.SweepRow, current, proposed float64) *chart {
	c := newChart(v.T("cal.curves"), v.T("cal.axis.threshold"), v.T("cal.axis.share"))
	xs := make([]float64, len(rows))
	prec, cov, oos := make([]float64, len(rows)), make([]float64, len(rows)), make([]float64, len(rows))
	for i, r := range rows {
		xs[i], prec[i], cov[i], oos[i] = r.Threshold, r.Precision, r.Coverage, r.OOSHandoff
	}
	c.line(v.T("cal.precision"), "s-precision", xs, prec)
	c.line(v.T("cal.coverage"), "s-coverage", xs, cov)
	c.line(v.T("cal.oos"), "s-oos", xs, oos)
	c.mark(current, v.T("cal.current", current), "m-current")
	if proposed > 0 && proposed != current {
		c.mark(proposed, v.T("cal.proposed", proposed), "m-proposed")
	}
	c.Descriptor = v.T("cal.curves.desc")
	return c
}
