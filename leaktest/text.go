package leaktest

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/leakslope/leakslope/internal/clean"
	"github.com/leakslope/leakslope/internal/units"
)

// maxBlocks caps the leak blocks of a failure message; the rest are
// counted ("and N more") and all are in report.json.
const maxBlocks = 8

// maxFrames caps each block's stack.
const maxFrames = 12

// String is the report as text: the failure message when something leaked
// (what grew, where, how fast, where the profiles went), else what the run
// ruled out.
func (r *Report) String() string {
	var b strings.Builder
	leaks := r.Leaks()
	name := ""
	if r.Name != "" {
		name = r.Name + ": "
	}
	// The header's first line, then what snapshotting cost, under it.
	snapshots := r.snapshotsText()
	header := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		if snapshots != "" {
			fmt.Fprintf(&b, "%s\n", snapshots)
		}
	}
	switch {
	case len(leaks) == 0 && len(r.Regressions) > 0 && r.Broken == nil:
		header("leaktest: %s%d %s credibly higher than the baseline in %s\n", name, len(r.Regressions), plural(len(r.Regressions), "slope", "slopes"), r.extent())
		r.writeRuledOut(&b)
	case len(leaks) == 0 && r.Goleak != "" && r.Broken == nil:
		header("leaktest: %sgoroutines left behind after %s\n", name, r.extent())
		r.writeRuledOut(&b)
	case len(leaks) > 0:
		n := countSites(leaks)
		if r.Broken != nil {
			// What broke is the news; the leaks are why.
			header("leaktest: %s%s\ngrowing until then: %d leaking %s in %s\n", name, r.Broken.What, n, plural(n, "symbol", "symbols"), r.extent())
		} else {
			header("leaktest: %s%d leaking %s in %s\n", name, n, plural(n, "symbol", "symbols"), r.extent())
		}
		r.writeLeaks(&b, leaks)
		r.writeTable(&b, true)
	case r.Broken != nil:
		header("leaktest: %s%s\nno leak proven on the data until then (%s)\n", name, r.Broken.What, r.extent())
		r.writeOpErrors(&b)
		b.WriteString("\n")
		r.writeRuledOut(&b)
	case r.Err != nil:
		header("leaktest: %sno leak found before the run stopped (%s) after %s\n", name, r.Stopped, r.extent())
		r.writeOpErrors(&b)
		b.WriteString("\n")
		r.writeRuledOut(&b)
	default:
		header("leaktest: %sno leak in %s\n", name, r.extent())
		r.writeRuledOut(&b)
		r.writeTable(&b, false)
	}
	if len(r.Regressions) > 0 {
		fmt.Fprintf(&b, "\nslopes credibly higher than the baseline %s:\n", r.Baseline)
		for _, g := range r.Regressions {
			fmt.Fprintf(&b, "    %s: was %s, now %s\n", g.Symbol, g.Was, g.Now)
		}
	}
	if r.Goleak != "" {
		fmt.Fprintf(&b, "\ngoroutines alive after teardown that were not before the run (goleak):\n%s\n", indent(r.Goleak, "    "))
	}
	if r.Err != nil && r.Err != error(r.Broken) {
		fmt.Fprintf(&b, "\nthe run stopped early (%s), this report is partial:\n%s\n", r.Stopped, indent(r.Err.Error(), "    "))
	}
	if r.Err == nil {
		r.writeOpErrors(&b)
	}
	r.writeArtifacts(&b, len(leaks) > 0)
	for i, w := range r.Warnings {
		if i == 0 {
			b.WriteString("\nwarnings:\n")
		}
		fmt.Fprintf(&b, "    %s\n", w)
	}
	// Names come from outside (dumps, profiles, op errors): a control
	// character in one must not drive the reader's terminal.
	return clean.Terminal(b.String())
}

// snapshotsText says what snapshotting took of a run that took
// snapshots live, and how slow ones were spaced when they were: "snapshots:
// 24 taken, 9.1s of 60s (15%) snapshotting; slow snapshots (0.4s each)
// spaced ≥ 1.2s of hammering apart". Empty when none was timed (Analyze's
// dumps, a history read alone).
func (r *Report) snapshotsText() string {
	if r.SnapshotTime <= 0 {
		return ""
	}
	// A watch's history was read, not snapshotted: its live part alone.
	n, d, live := r.SnapshotsTaken, r.Duration, ""
	if r.History > 0 {
		n, d, live = r.Live, r.Duration-r.History, " live"
	}
	s := fmt.Sprintf("snapshots: %d taken%s, %v of %v (%.0f%%) snapshotting", n, live, roundDuration(r.SnapshotTime), roundDuration(d),
		100*r.SnapshotTime.Seconds()/max(d.Seconds(), r.SnapshotTime.Seconds()))
	if r.SnapshotGap > 0 {
		what := "of hammering "
		if r.Axis == AxisSeconds {
			what = ""
		}
		s += fmt.Sprintf("; slow snapshots (%v each) spaced ≥ %v %sapart", roundDuration(r.SnapshotCost), roundDuration(r.SnapshotGap), what)
	}
	return s
}

// writeOpErrors counts the op errors and shows the first few: after the
// verdicts when the run worked, first when it did not.
func (r *Report) writeOpErrors(b *strings.Builder) {
	if r.OpErrors.Count == 0 {
		return
	}
	fmt.Fprintf(b, "\nop errors: %s of %s ops", units.Group(r.OpErrors.Count), units.Group(r.Ops))
	for _, e := range r.OpErrors.First {
		fmt.Fprintf(b, "\n    %v", e)
	}
	b.WriteString("\n")
}

// extent says how much the report covers: "12,000 ops over 3.1s (4
// workers × 100 jobs)", "45s of watching (a snapshot every 1s)", "6 dumps".
func (r *Report) extent() string {
	switch r.Axis {
	case AxisSeconds:
		if r.History > 0 && r.Live == 0 {
			return fmt.Sprintf("%v of history, decided on it alone", roundDuration(r.History))
		}
		if r.History > 0 {
			return fmt.Sprintf("%v of history, then %v of watching (a snapshot every %v)", roundDuration(r.History), roundDuration(r.Duration-r.History), r.Interval)
		}
		return fmt.Sprintf("%v of watching (a snapshot every %v)", roundDuration(r.Duration), r.Interval)
	case AxisDumps:
		return fmt.Sprintf("%d %s", len(r.Snapshots), plural(len(r.Snapshots), "dump", "dumps"))
	}
	return fmt.Sprintf("%s ops over %s (%s)", units.Group(r.Ops), roundDuration(r.Duration), strings.TrimSpace(r.Hammer.String()))
}

// writeLeaks writes one block per leaking site: a heap site's bytes and
// objects share a block.
func (r *Report) writeLeaks(b *strings.Builder, leaks []Verdict) {
	objects := map[string]Verdict{}
	for _, v := range leaks {
		if v.Kind() == KindHeapObjects {
			objects[v.Symbol.Site()] = v
		}
	}
	blocks := 0
	shown := map[string]bool{}
	for _, v := range leaks {
		if v.Kind() == KindHeapObjects {
			if _, ok := findBytes(leaks, v.Symbol.Site()); ok {
				continue // shown with its bytes
			}
		}
		if blocks == maxBlocks {
			more := countSites(leaks) - blocks
			fmt.Fprintf(b, "\n... and %d more (all in the JSON report)\n", more)
			return
		}
		blocks++
		shown[v.Symbol.Site()] = true
		fmt.Fprintf(b, "\n%s\n", v.Symbol)
		if v.Blocked != nil && math.IsNaN(v.Last) {
			// Goroutines blocked forever that no snapshot saw: no series.
			fmt.Fprintf(b, "    proof   %s\n", v.Blocked.text())
			writeStack(b, v)
			continue
		}
		fmt.Fprintf(b, "    slope   %s; budget %s\n", trendText(v), budgetText(v))
		if o, ok := objects[v.Symbol.Site()]; ok && v.Kind() == KindHeapBytes {
			fmt.Fprintf(b, "    objects %s\n", trendText(o))
		}
		span := "first snapshot after warm-up → last"
		switch r.Axis {
		case AxisDumps:
			span = "first dump → last"
		case AxisSeconds:
			span = "first snapshot after the baseline → last"
		}
		if v.Series > 0 {
			span += ", the mean of its series"
		}
		fmt.Fprintf(b, "    value   %s → %s (%s)\n", formatValue(v.Symbol, v.First), formatValue(v.Symbol, v.Last), span)
		writeFleet(b, v)
		if v.Symbol == SymRuntimeHeapBytes {
			r.writeSuspects(b)
		}
		if v.Exhausted && r.Broken != nil {
			fmt.Fprintf(b, "    limit   %s (%s): reached %.0f%% of it\n", formatValue(v.Symbol, r.Broken.Limit), r.Broken.LimitName, 100*r.Broken.Value/r.Broken.Limit)
		} else if v.Limit != nil {
			when := "not reached at this slope"
			switch {
			case v.Last >= v.Limit.Value:
				when = "reached"
			case v.TimeToLimit > 0:
				when = fmt.Sprintf("reached in %v at this slope", roundDuration(v.TimeToLimit))
			}
			fmt.Fprintf(b, "    limit   %s (%s): %s\n", formatValue(v.Symbol, v.Limit.Value), v.Limit.Name, when)
		}
		if v.HeldBy != nil {
			v.HeldBy.write(b, "    ")
		}
		if v.Blocked != nil {
			fmt.Fprintf(b, "    proof   %s\n", v.Blocked.text())
		}
		writeStack(b, v)
	}
}

// writeStack writes a leak's stack: where its objects were allocated, or
// where one of its goroutines is (blocked).
func writeStack(b *strings.Builder, v Verdict) {
	if len(v.Stack) == 0 {
		return
	}
	what := "allocated at"
	switch {
	case v.Blocked != nil && v.Site != "":
		what = "created at " + v.Site + "; one of them is blocked at"
	case v.Blocked != nil:
		what = "one of them is blocked at"
	case v.Kind() == KindGoroutines:
		what = "created at " + v.Site + "; one of them is at"
	}
	fmt.Fprintf(b, "    %s\n", what)
	for i, f := range v.Stack {
		if i == maxFrames {
			fmt.Fprintf(b, "        ... %d more frames\n", len(v.Stack)-maxFrames)
			break
		}
		fmt.Fprintf(b, "        %s\n", strings.ReplaceAll(f, "\n\t", "\n            "))
	}
}

// maxSuspects caps the sites named under a leaking heap total.
const maxSuspects = 3

// writeSuspects names, under a leaking heap total, the allocation sites
// that grew most without a verdict of their own (sampled data decides
// slowly, and the run stops at the proven leak): where to look first; and
// the top path of what holds each, when a Holder said.
func (r *Report) writeSuspects(b *strings.Builder) {
	for n, i := range suspects(r.Verdicts) {
		s := r.Verdicts[i]
		if n == 0 {
			b.WriteString("    growing most, not proven on their own (the heap profile is sampled):\n")
		}
		fmt.Fprintf(b, "        %s  %s\n", s.Symbol, slopeText(s))
		if s.HeldBy != nil {
			s.HeldBy.writeTop(b, "            ")
		}
	}
}

// suspects picks the verdicts writeSuspects names, from verdicts in the
// report's order (undecided ones by slope, most first): heap.bytes sites
// undecided with a positive slope, at most maxSuspects. It gives their
// indices.
func suspects(vs []Verdict) []int {
	var out []int
	for i, s := range vs {
		if s.Kind() != KindHeapBytes || s.Decision != Undecided || !(s.Trend.PerOp > 0 || s.Trend.PerSecond > 0) {
			continue
		}
		if out = append(out, i); len(out) == maxSuspects {
			break
		}
	}
	return out
}

func findBytes(leaks []Verdict, site string) (Verdict, bool) {
	for _, v := range leaks {
		if v.Kind() == KindHeapBytes && v.Symbol.Site() == site {
			return v, true
		}
	}
	return Verdict{}, false
}

// countSites counts leaking sites, a heap site's two symbols once.
func countSites(leaks []Verdict) int {
	n := 0
	for _, v := range leaks {
		if v.Kind() == KindHeapObjects {
			if _, ok := findBytes(leaks, v.Symbol.Site()); ok {
				continue
			}
		}
		n++
	}
	return n
}

// writeRuledOut says, per kind, over what budget a leak was ruled out and
// the largest slope that was not.
func (r *Report) writeRuledOut(b *strings.Builder) {
	type kindSum struct {
		n, within, undecided, tolerated int
		budgets                         map[string]bool
		worst                           *Verdict
	}
	kinds := map[Kind]*kindSum{}
	var order []Kind
	for i := range r.Verdicts {
		v := &r.Verdicts[i]
		k := v.Kind()
		s := kinds[k]
		if s == nil {
			s = &kindSum{budgets: map[string]bool{}}
			kinds[k] = s
			order = append(order, k)
		}
		s.n++
		s.budgets[budgetText(*v)] = true
		if v.Decision == Within {
			s.within++
			if v.Tolerated {
				s.tolerated++
			}
		} else {
			s.undecided++
		}
		if s.worst == nil || upper(*v) > upper(*s.worst) {
			s.worst = v
		}
	}
	// A probe that ran but saw nothing of the target's still gets its
	// line: the check was made.
	empty := map[Kind]string{}
	for _, p := range r.Probes {
		switch {
		case p == nameGoroutineProbe && kinds[KindGoroutines] == nil:
			empty[KindGoroutines] = "no leak: none of the target's goroutines was alive at any snapshot"
		case p == nameHeapProbe && kinds[KindHeapBytes] == nil:
			empty[KindHeapBytes] = "no leak: nothing the target allocated was live at any snapshot"
		}
	}
	for k := range empty {
		order = append(order, k)
	}
	slices.Sort(order)
	width := 0
	for _, k := range order {
		width = max(width, len(k))
	}
	for _, k := range order {
		s := kinds[k]
		if s == nil {
			fmt.Fprintf(b, "    %-*s  %s\n", width, k, empty[k])
			continue
		}
		var budgets []string
		for t := range s.budgets {
			budgets = append(budgets, t)
		}
		sort.Strings(budgets)
		fmt.Fprintf(b, "    %-*s  ", width, k)
		where := ""
		if strings.Contains(string(s.worst.Symbol), ":") {
			where = fmt.Sprintf(" at %d %s", s.n, plural(s.n, "site", "sites"))
		}
		switch {
		case s.undecided == 0 && s.tolerated > 0:
			// Noisy series were pinned down to within their tolerance,
			// not to the budget: the largest slope not ruled out says how
			// far.
			fmt.Fprintf(b, "no leak over %s%s but for %d noisy within tolerance", strings.Join(budgets, ", "), where, s.tolerated)
		case s.undecided == 0:
			fmt.Fprintf(b, "no leak over %s%s", strings.Join(budgets, ", "), where)
		default:
			fmt.Fprintf(b, "no leak found over %s%s (%d undecided)", strings.Join(budgets, ", "), where, s.undecided)
		}
		w := *s.worst
		if hi := upper(w); math.IsInf(hi, 1) {
			fmt.Fprintf(b, "; too few snapshots to bound the slope of %s\n", w.Symbol)
		} else if hi <= 0 {
			fmt.Fprintf(b, "; largest slope not ruled out: %s\n", formatRate(w, hi))
		} else {
			fmt.Fprintf(b, "; largest slope not ruled out: %s (%s)\n", formatRate(w, hi), w.Symbol)
		}
	}
}

// upper is the slope bound a verdict could not rule out, in its budget's
// unit.
func upper(v Verdict) float64 {
	if v.Budget.PerTime > 0 {
		return v.Trend.PerSecondHi + v.Trend.Resolution
	}
	return v.Trend.PerOpHi + v.Trend.Resolution
}

func (r *Report) writeArtifacts(b *strings.Builder, leaked bool) {
	first, last := r.Artifacts[ArtifactFirstProfile], r.Artifacts[ArtifactLastProfile]
	if first == "" && last == "" && r.Artifacts[ArtifactJSON] == "" {
		return
	}
	b.WriteByte('\n')
	if first != "" && last != "" {
		fmt.Fprintf(b, "profiles: go tool pprof -diff_base %s %s\n", first, last)
	}
	if h := r.Artifacts[ArtifactHTML]; h != "" {
		fmt.Fprintf(b, "charts:   %s\n", h)
	}
	if j := r.Artifacts[ArtifactJSON]; j != "" {
		fmt.Fprintf(b, "report:   %s\n", j)
	}
}

func trendText(v Verdict) string {
	t := v.Trend
	s := slopeText(v)
	if math.IsNaN(t.PerOp) {
		return s // a watch: time is the only axis
	}
	if !math.IsNaN(t.PerSecond) {
		s += fmt.Sprintf(", %s", formatSlope(v.Symbol, t.PerSecond, "s"))
	}
	return s
}

// slopeText is the slope on the run's own axis with its interval: per op
// (per dump), or per the budget's time unit in a watch.
func slopeText(v Verdict) string {
	t := v.Trend
	if math.IsNaN(t.PerOp) && !math.IsNaN(t.PerSecond) {
		return formatRate(v, t.PerSecond) + " " + rateInterval(v)
	}
	return formatSlope(v.Symbol, t.PerOp, t.per()) + " " + opInterval(v)
}

// rateInterval is the per-second slope's interval in the budget's time
// unit, as a per-time budget's decision used it.
func rateInterval(v Verdict) string {
	return fmt.Sprintf("[%s, %s]", formatRate(v, v.Trend.PerSecondLo), formatRate(v, v.Trend.PerSecondHi))
}

// opInterval is the per-op slope's interval, "[lo, hi]" in the symbol's
// unit: the message, the table and the HTML page all show it so.
func opInterval(v Verdict) string {
	return fmt.Sprintf("[%s, %s]", formatNum(v.Symbol, v.Trend.PerOpLo), formatNum(v.Symbol, v.Trend.PerOpHi))
}

func budgetText(v Verdict) string {
	if v.Budget.PerTime > 0 {
		return formatSlope(v.Symbol, v.Budget.Max, perName(v.Budget.PerTime))
	}
	return formatSlope(v.Symbol, v.Budget.Max, v.Trend.per())
}

// formatRate writes a slope (per op, or per second for a per-time budget)
// in the budget's own unit, so a bound reads against its budget.
func formatRate(v Verdict, rate float64) string {
	if v.Budget.PerTime > 0 {
		return formatSlope(v.Symbol, rate*v.Budget.PerTime.Seconds(), perName(v.Budget.PerTime))
	}
	return formatSlope(v.Symbol, rate, v.Trend.per())
}

func perName(d time.Duration) string {
	switch d {
	case time.Minute:
		return "min"
	case time.Hour:
		return "h"
	}
	return "s"
}

func formatSlope(sym Symbol, v float64, per string) string {
	if sym.Bytes() {
		return units.Bytes(v) + "/" + per
	}
	return units.Count(v) + "/" + per
}

func formatNum(sym Symbol, v float64) string {
	if sym.Bytes() {
		return strings.TrimSuffix(units.Bytes(v), " B")
	}
	return units.Count(v)
}

func formatValue(sym Symbol, v float64) string {
	if sym.Bytes() {
		return units.Bytes(v)
	}
	return units.Count(v)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func indent(s, pre string) string {
	return pre + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pre)
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d > time.Minute:
		return d.Round(time.Second)
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// fleetText is writeFleet's and the limit's facts on one line, for the
// HTML table: "; 4 series pooled; 3 restarts; limit 1 GiB in 7h12m".
func fleetText(v Verdict) string {
	var b strings.Builder
	if v.Series > 0 {
		fmt.Fprintf(&b, "; %d series pooled (the slope is per series)", v.Series)
	}
	if v.Restarts > 0 {
		fmt.Fprintf(&b, "; %d %s (fitted between them)", v.Restarts, plural(v.Restarts, "restart", "restarts"))
	}
	if v.Limit != nil && v.TimeToLimit > 0 {
		fmt.Fprintf(&b, "; limit %s (%s) in %v", formatValue(v.Symbol, v.Limit.Value), v.Limit.Name, roundDuration(v.TimeToLimit))
	}
	return b.String()
}

// writeFleet says how a fleet's verdict was fitted: the series a group
// pooled, the restarts between which the slope was fitted.
func writeFleet(b *strings.Builder, v Verdict) {
	if v.Series > 0 {
		fmt.Fprintf(b, "    series  %d pooled: the slope is per series\n", v.Series)
	}
	if v.Restarts > 0 {
		fmt.Fprintf(b, "    restarts %d (drops of more than half): the slope is fitted between them\n", v.Restarts)
	}
}
