package leaktest

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"

	"github.com/leakslope/leakslope/internal/render"
	"github.com/leakslope/leakslope/internal/stats"
)

// maxCharts caps the page: every leak and undecided symbol first, then the
// largest within-budget ones, then the runtime totals.
const maxCharts = 12

// page turns the report into the HTML page's data.
func (r *Report) page() *render.Page {
	p := &render.Page{
		Title: r.Name, Target: r.Target, Hammer: r.Hammer.String(), Ops: r.Ops,
		Duration: roundDuration(r.Duration).String(), Stopped: string(r.Stopped), Warnings: r.Warnings,
		Failed: r.Failed(), Goleak: r.Goleak, Verdict: "no leak", Snapshots: r.snapshotsText(),
	}
	switch {
	case len(r.Leaks()) > 0:
		p.Verdict = "leak"
	case r.Goleak != "":
		p.Verdict = "goroutines left behind"
	case len(r.Regressions) > 0:
		p.Verdict = "slopes higher than the baseline"
	case r.Err != nil:
		p.Verdict = "run stopped early: " + string(r.Stopped)
	}
	switch {
	case r.Err != nil:
		p.Error = r.Err.Error()
	case r.Broken != nil:
		p.Error = r.Broken.What
	}
	if r.Axis == AxisSeconds || r.Axis == AxisDumps {
		p.Hammer = r.extent() // no hammer ran
	}
	if len(r.Regressions) > 0 {
		// The page's warnings lead; the report's own slice is not shared.
		w := make([]string, 0, len(r.Regressions)+len(p.Warnings))
		for _, g := range r.Regressions {
			w = append(w, fmt.Sprintf("%s: was %s, now %s (baseline %s)", g.Symbol, g.Was, g.Now, r.Baseline))
		}
		p.Warnings = append(w, p.Warnings...)
	}
	heldShown := map[string]bool{}
	for _, v := range r.Verdicts {
		decision := string(v.Decision)
		switch {
		case v.Blocked != nil:
			decision += " (" + v.Blocked.text() + ")"
		case v.Exhausted:
			decision += " (exhausted: reached most of its limit)"
		case v.Stopped && v.Tolerated:
			decision = "within (growth stopped, within the tolerance)"
		case v.Stopped:
			decision = "within (growth stopped)"
		case v.Tolerated:
			decision = "within (noisy: within the tolerance)"
		}
		row := render.Symbol{Name: string(v.Symbol), Class: string(v.Decision), Decision: decision, Budget: budgetText(v),
			Slope:  slopeText(v),
			PerSec: formatSlope(v.Symbol, v.Trend.PerSecond, "s"),
			Values: formatValue(v.Symbol, v.First) + " → " + formatValue(v.Symbol, v.Last) + fleetText(v)}
		if v.Decision != Within {
			row.Stack = v.Stack
		}
		// A site's bytes and objects share one tree.
		if v.HeldBy != nil && !heldShown[v.Symbol.Site()] {
			heldShown[v.Symbol.Site()] = true
			row.HeldBy = v.HeldBy.page()
		}
		p.Symbols = append(p.Symbols, row)
	}
	p.Charts = r.charts()
	for _, k := range []string{ArtifactFirstProfile, ArtifactLastProfile, ArtifactJSON, ArtifactHTML} {
		if path := r.Artifacts[k]; path != "" {
			p.Artifacts = append(p.Artifacts, render.Artifact{Name: k, Path: path})
		}
	}
	if f, l := r.Artifacts[ArtifactFirstProfile], r.Artifacts[ArtifactLastProfile]; f != "" && l != "" {
		p.PprofDiff = fmt.Sprintf("go tool pprof -diff_base %s %s", f, l)
	}
	return p
}

func (r *Report) charts() []render.Chart {
	var out []render.Chart
	add := func(sym Symbol, decision string, slope, lo, hi, budget float64) {
		s, ok := r.series[sym]
		if !ok || len(out) >= maxCharts {
			return
		}
		if s = s.present(); len(s.Values) < 2 {
			return
		}
		ch := render.Chart{Symbol: string(sym), Decision: decision, Bytes: sym.Bytes(),
			Ops: s.Ops, Seconds: s.Seconds, Values: s.Values, WarmUp: s.WarmUp,
			Slope: slope, Lo: lo, Hi: hi, Budget: budget}
		switch r.Axis {
		case AxisSeconds:
			ch.Ops, ch.Seconds, ch.XName = s.Seconds, nil, "seconds"
		case AxisDumps:
			ch.Seconds, ch.XName = nil, "dump"
		}
		out = append(out, ch)
	}
	verdictChart := func(v Verdict) {
		if r.Axis == AxisSeconds {
			budget, err := v.Budget.PerSecond()
			if err != nil {
				budget = math.NaN() // no budget line on a time axis
			}
			add(v.Symbol, string(v.Decision), v.Trend.PerSecond, v.Trend.PerSecondLo, v.Trend.PerSecondHi, budget)
			return
		}
		budget := v.Budget.Max
		if v.Budget.PerTime > 0 {
			budget = math.NaN()
		}
		add(v.Symbol, string(v.Decision), v.Trend.PerOp, v.Trend.PerOpLo, v.Trend.PerOpHi, budget)
	}
	var within []Verdict
	for _, v := range r.Verdicts {
		if v.Kind() == KindHeapObjects {
			continue // its bytes chart tells the same story
		}
		if v.Decision == Within {
			within = append(within, v)
			continue
		}
		verdictChart(v)
	}
	// NaN (a fleet series with no fitted point) sorts last.
	last := func(v Verdict) float64 {
		if math.IsNaN(v.Last) {
			return math.Inf(-1)
		}
		return v.Last
	}
	sort.SliceStable(within, func(i, j int) bool { return last(within[i]) > last(within[j]) })
	for i, v := range within {
		if i == 3 {
			break
		}
		verdictChart(v)
	}
	for _, sym := range []Symbol{SymRuntimeHeapBytes, SymRuntimeGoroutine} {
		if s, ok := r.series[sym]; ok && len(s.Ops) > s.WarmUp {
			x := s.Ops
			if r.Axis == AxisSeconds {
				x = s.Seconds
			}
			f := stats.TheilSen(x[s.WarmUp:], s.Values[s.WarmUp:], r.Alpha)
			add(sym, "no budget", f.Slope, f.Lo, f.Hi, math.NaN())
		}
	}
	return out
}

// writeHTML writes report.html; the JSON's path is listed before it is
// written (same directory), so the page and the JSON name each other.
func (a *artifacts) writeHTML(rep *Report) {
	a.write(ArtifactHTML, "report.html", func(w io.Writer) error {
		if _, ok := a.paths[ArtifactJSON]; !ok {
			a.paths[ArtifactJSON] = filepath.Join(a.dir.Path, "report.json")
		}
		return rep.page().WriteHTML(w)
	})
}
