package leaktest

import (
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
)

// maxRows caps the text table; report.json and report.html have all.
const maxRows = 12

// writeTable writes, benchstat-style, the symbols that moved during the
// run and were not shown in a leak block: aligned columns, units scaled,
// "~" for within budget, "?" for undecided, and footnotes for what a
// number alone would hide.
func (r *Report) writeTable(b *strings.Builder, skipLeaks bool) {
	var rows []Verdict
	for _, v := range r.Verdicts {
		if v.Kind() == KindHeapObjects || (skipLeaks && v.Decision == Leak) {
			continue
		}
		if v.Decision == Within && v.First == v.Last && upper(v) == 0 {
			continue // flat: nothing to read
		}
		rows = append(rows, v)
	}
	if len(rows) == 0 {
		return
	}
	notes := []string{}
	note := func(text string) string {
		for i, n := range notes {
			if n == text {
				return superscript(i + 1)
			}
		}
		notes = append(notes, text)
		return superscript(len(notes))
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "    symbol\tslope/%s\tinterval\t/s\tbudget\tfirst → last\tverdict\n", r.per())
	for i, v := range rows {
		if i == maxRows {
			fmt.Fprintf(tw, "    ... and %d more (all in report.json)\n", len(rows)-maxRows)
			break
		}
		mark := map[Decision]string{Leak: "LEAK", Within: "~", Undecided: "?"}[v.Decision]
		switch {
		case v.Exhausted:
			mark += " " + note("exhausted: the series reached most of its limit, and the run was decided up to there")
		case v.Stopped:
			mark += " " + note("within budget because the growth stopped: the last quarter of the run is flat")
		case v.Tolerated:
			mark += " " + note("within the tolerance for a noisy series (leaktest.Tolerance): no slope over the interval's upper bound")
		case v.Decision == Undecided && (math.IsInf(v.Trend.PerOpHi, 0) || math.IsInf(v.Trend.PerOpLo, 0)):
			mark += " " + note("too few snapshots to bound the slope")
		case v.Decision == Undecided:
			mark += " " + note("undecided: the interval holds the budget; a longer run narrows it")
		}
		// The interval is the one the decision used: per op, or per the
		// budget's time unit.
		interval := opInterval(v)
		if v.Budget.PerTime > 0 {
			interval = rateInterval(v)
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\t%s → %s\t%s\n", v.Symbol,
			slopeCell(v), interval,
			perSecond(v), budgetText(v), formatValue(v.Symbol, v.First), formatValue(v.Symbol, v.Last), mark)
	}
	tw.Flush()
	for i, n := range notes {
		fmt.Fprintf(b, "    %s %s\n", superscript(i+1), n)
	}
}

func superscript(n int) string {
	digits := []string{"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"}
	s := ""
	for _, c := range fmt.Sprint(n) {
		s += digits[c-'0']
	}
	return s
}

// slopeCell is the table's slope column: per op (per dump), or per the
// budget's time unit in a watch, which counted no ops.
func slopeCell(v Verdict) string {
	if math.IsNaN(v.Trend.PerOp) {
		return formatRate(v, v.Trend.PerSecond)
	}
	return formatSlope(v.Symbol, v.Trend.PerOp, v.Trend.per())
}

// perSecond is the table's /s column: "–" when the run had no clock
// (dumps without times).
func perSecond(v Verdict) string {
	if math.IsNaN(v.Trend.PerSecond) {
		return "–"
	}
	return formatSlope(v.Symbol, v.Trend.PerSecond, "s")
}
