package render

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"

	"github.com/leakslope/leakslope/internal/units"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH         = 640, 260
	padL, padR, padT, padB = 64, 16, 34, 40
	plotW, plotH           = chartW - padL - padR, chartH - padT - padB
)

// SVG draws a chart: the snapshots as points (warm-up greyed), the fitted
// Theil–Sen line with its slope interval as a band, the budget line, ops on
// the x axis with seconds on a second scale above, values in one unit.
func (c Chart) SVG() string {
	var b strings.Builder
	n := len(c.Ops)
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartW, chartH, html.EscapeString(c.Symbol))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(c.Symbol))
	if n == 0 {
		b.WriteString(`<text x="320" y="130" text-anchor="middle">no snapshots</text></svg>`)
		return b.String()
	}
	x0, x1 := c.Ops[0], c.Ops[n-1]
	if x1 == x0 {
		x1 = x0 + 1
	}
	y0, y1 := math.Inf(1), math.Inf(-1)
	for _, v := range c.Values {
		y0, y1 = math.Min(y0, v), math.Max(y1, v)
	}
	if y0 > 0 && y0 < (y1-y0)*2 {
		y0 = 0 // start at 0 when it costs little room: growth reads truer
	}
	if y1 == y0 {
		// Flat: show it from zero, so its level reads on the axis.
		switch {
		case y0 > 0:
			y0, y1 = 0, y0*1.25
		case y0 < 0:
			y0, y1 = y0*1.25, 0
		default:
			y1 = 1
		}
	}
	pad := (y1 - y0) * 0.05
	y1 += pad
	if y0 != 0 {
		y0 -= pad
	}
	px := func(x float64) float64 { return padL + (x-x0)/(x1-x0)*plotW }
	py := func(y float64) float64 { return padT + plotH - (y-y0)/(y1-y0)*plotH }
	clipY := func(y float64) float64 { return math.Max(padT, math.Min(padT+plotH, py(y))) }

	// Frame and warm-up region.
	fmt.Fprintf(&b, `<rect class="plot" x="%d" y="%d" width="%d" height="%d"/>`, padL, padT, plotW, plotH)
	if c.WarmUp > 0 && c.WarmUp < n {
		fmt.Fprintf(&b, `<rect class="warmup" x="%d" y="%d" width="%.1f" height="%d"><title>warm-up: left out of the fit</title></rect>`, padL, padT, px(c.Ops[c.WarmUp])-padL, plotH)
	}
	// Axes: values on the left in one unit, ops below, seconds above.
	div, unit := units.Scale(math.Max(math.Abs(y0), math.Abs(y1)), c.Bytes)
	for _, t := range ticks(y0/div, y1/div, 5) {
		y := py(t * div)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/><text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, padL, y, padL+plotW, y, padL-6, y+4, units.Tick(t))
	}
	yName := "count"
	if unit != "" {
		yName = unit
	}
	fmt.Fprintf(&b, `<text class="axis" x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">%s</text>`, padT+plotH/2, padT+plotH/2, yName)
	for _, t := range ticks(x0, x1, 6) {
		x := px(t)
		fmt.Fprintf(&b, `<line class="tickmark" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/><text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x, padT+plotH, x, padT+plotH+4, x, padT+plotH+16, units.Tick(t))
	}
	xName := c.XName
	if xName == "" {
		xName = "ops"
	}
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="middle">%s</text>`, padL+plotW/2, chartH-6, html.EscapeString(xName))
	if len(c.Seconds) == n && c.Seconds[n-1] > c.Seconds[0] {
		// The second scale: seconds at the ops where they were reached.
		s0, s1 := c.Seconds[0], c.Seconds[n-1]
		for _, t := range ticks(s0, s1, 5) {
			i := sort.SearchFloat64s(c.Seconds, t)
			if i >= n {
				i = n - 1
			}
			x := px(c.Ops[i])
			fmt.Fprintf(&b, `<line class="tickmark" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/><text class="tick secs" x="%.1f" y="%d" text-anchor="middle">%ss</text>`, x, padT, x, padT-4, x, padT-8, units.Tick(t))
		}
	}
	// Fit: the Theil–Sen line through the median residual of the fitted
	// points, and the band between the interval's slopes, pivoting there.
	if c.WarmUp < n && !math.IsNaN(c.Slope) {
		fx, fy := c.Ops[c.WarmUp:], c.Values[c.WarmUp:]
		cx, cy := median(fx), 0.0
		res := make([]float64, len(fx))
		for i := range fx {
			res[i] = fy[i] - c.Slope*(fx[i]-cx)
		}
		cy = median(res)
		at := func(slope, x float64) float64 { return cy + slope*(x-cx) }
		xa, xb := fx[0], fx[len(fx)-1]
		if !math.IsInf(c.Lo, 0) && !math.IsInf(c.Hi, 0) && !math.IsNaN(c.Lo) && !math.IsNaN(c.Hi) {
			fmt.Fprintf(&b, `<polygon class="band" points="%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f"><title>slope interval</title></polygon>`,
				px(xa), clipY(at(c.Hi, xa)), px(xb), clipY(at(c.Hi, xb)), px(xb), clipY(at(c.Lo, xb)), px(xa), clipY(at(c.Lo, xa)))
		}
		fmt.Fprintf(&b, `<line class="fit" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"><title>Theil–Sen fit</title></line>`, px(xa), clipY(at(c.Slope, xa)), px(xb), clipY(at(c.Slope, xb)))
		if !math.IsNaN(c.Budget) {
			// The budget: the steepest growth allowed from the first fitted point.
			fmt.Fprintf(&b, `<line class="budget" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"><title>budget</title></line>`, px(xa), clipY(fy[0]), px(xb), clipY(fy[0]+c.Budget*(xb-xa)))
		}
	}
	for i := range c.Ops {
		class := "pt"
		if i < c.WarmUp {
			class = "pt warm"
		}
		fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="2.5"/>`, class, px(c.Ops[i]), py(c.Values[i]))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
