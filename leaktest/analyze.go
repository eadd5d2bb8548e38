package leaktest

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/leakslope/leakslope/internal/decide"
	"github.com/leakslope/leakslope/internal/stats"
	"github.com/leakslope/leakslope/internal/units"
)

// Analyze trends snapshots taken elsewhere: dump files read in the order
// they were taken (a pprof heap profile, a goroutine dump, a `!dumpheap
// -stat` log, a JVM class histogram each), the seed's dumps-at-intervals workflow. The x axis is
// the dump's number (Snapshot.Ops when they increase, else its position),
// so slopes and budgets are per dump (written per op:
// "heap.bytes:* <= 0B/op"); per-time budgets need every snapshot's Time.
//
// A handful of dumps may be too few to prove a leak at the family-wise α
// over all symbols: even a rise at every step of n dumps has p = 1/n!.
// Then the growing symbols stay undecided, and the report ranks them by
// how steadily they grew and says how many dumps would decide. With so few
// points every snapshot is fitted (no warm-up) and the tests run over the
// whole series; a leak verdict still needs the last half of the dumps to
// grow.
//
// Probes given with WithProbes are not taken; those that are Describers
// name the symbols' stacks.
func Analyze(snaps []Snapshot, opts ...Option) (*Report, error) {
	return analyze(snaps, false, opts)
}

// analyze is Analyze; files is true for AnalyzeFiles, whose MaxInput
// applies.
func analyze(snaps []Snapshot, files bool, opts []Option) (*Report, error) {
	c := newConfig(append([]Option{Name("analyze")}, opts...))
	c.addDefaults(defaultBudgets, defaultTolerances)
	refused := append(slices.Clone(hammerOptions), "Interval", "MaxDuration", "Since", "Progress", "Context", "UntilAllDecided", "WithoutHeldBy")
	if !files {
		refused = append(refused, "MaxInput", "MaxSymbols")
	}
	c.refuse("Analyze", "an analysis reads snapshots taken elsewhere, at once", refused...)
	if len(snaps) == 0 {
		c.errs = append(c.errs, errors.New("no snapshots"))
	}
	timed := true
	for i, s := range snaps {
		if s.Time.IsZero() || (i > 0 && !s.Time.After(snaps[i-1].Time)) {
			timed = false
		}
	}
	for _, b := range c.budgets {
		if b.PerTime > 0 && !timed {
			c.errs = append(c.errs, fmt.Errorf("budget %q is per time, and the dumps have no increasing times: give it per op (per dump)", b.String()))
		}
	}
	if err := c.err(); err != nil {
		return nil, fmt.Errorf("leaktest.Analyze: %w", err)
	}
	var start time.Time
	if timed {
		start = snaps[0].Time
	}
	r := newRun(modeAnalyze, c, start, len(snaps)+1)
	r.probes, r.minPoints, r.firstFitOps, r.looks = c.probes, len(snaps), 1, 1
	numbered := true // the caller's numbers (files skipped leave gaps)
	for i, s := range snaps {
		if s.Ops <= 0 || (i > 0 && s.Ops <= snaps[i-1].Ops) {
			numbered = false
		}
	}
	for i, s := range snaps {
		syms := make([]Symbol, 0, len(s.Values))
		for sym := range s.Values {
			syms = append(syms, sym)
		}
		sort.Slice(syms, func(a, b int) bool { return syms[a] < syms[b] })
		samples := make([]Sample, len(syms))
		for k, sym := range syms {
			samples[k] = Sample{sym, s.Values[sym]}
		}
		at := start
		if timed {
			at = s.Time
		}
		x := int64(i + 1)
		if numbered {
			x = s.Ops
		}
		r.hist.add(at, x, 0, false, samples, nil)
		r.taken++
	}
	var err error
	if r.artifacts, err = newArtifacts(c, r.runName()); err != nil {
		return nil, fmt.Errorf("leaktest.Analyze: %w", err)
	}
	r.decide(len(snaps) >= 3, false)
	// Growth must hold in the last half of the dumps, as a run's must in
	// its last quarter: with a handful of points, the Theil–Sen slope of
	// that half is the check.
	for sym, res := range r.results {
		if res.Decision != decide.Leak {
			continue
		}
		ops, _, vals := r.hist.fitted(sym)
		h := len(ops) / 2
		b := r.budgetFor(sym)
		if f := stats.TheilSen(ops[h:], vals[h:], 0.5); !(f.Slope > b.Max) {
			res.Decision = decide.Undecided
			r.results[sym] = res
			delete(r.sticky, sym)
			r.flat = append(r.flat, sym)
		}
	}
	rep, err := r.finish(StopAnalyzed, nil, "")
	if rep != nil {
		rep.Duration = 0
		if timed {
			rep.Duration = snaps[len(snaps)-1].Time.Sub(snaps[0].Time)
		}
	}
	return rep, err
}

// analyzeWarnings says what a short series of dumps could not decide:
// the suspects, steadiest first, and how many dumps would decide.
func (r *run) analyzeWarnings(rep *Report) {
	n := r.hist.len()
	m := len(r.order)
	if n < 3 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("need ≥ 3 dumps to see a trend; have %d", n))
	}
	for _, sym := range r.flat {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s grew, but not over the last half of the dumps: undecided", sym))
	}
	type suspect struct {
		v      Verdict
		rises  int
		p      float64
		growth float64
	}
	var sus []suspect
	for _, v := range rep.Verdicts {
		if v.Decision != Undecided || !(v.Trend.PerOp > v.Budget.Max) || v.Budget.PerTime > 0 {
			continue
		}
		_, _, vals := r.hist.fitted(v.Symbol)
		rises := 0
		for i := 1; i < len(vals); i++ {
			if vals[i] > vals[i-1] {
				rises++
			}
		}
		sus = append(sus, suspect{v: v, rises: rises, p: v.Trend.P, growth: v.Last - v.First})
	}
	if len(sus) == 0 || m == 0 {
		return
	}
	sort.SliceStable(sus, func(i, j int) bool {
		if sus[i].rises != sus[j].rises {
			return sus[i].rises > sus[j].rises
		}
		return sus[i].p < sus[j].p
	})
	threshold := stats.SpendAlpha(r.c.alpha, 1) / float64(m)
	need := dumpsToDecide(threshold)
	if need > n {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d dumps are too few to prove a leak among %s symbols at α = %g: a rise at every step has p = 1/%d! = %.2g, and Holm needs ≤ %.2g; %d dumps would decide a steady rise (%d more)",
			n, units.Group(int64(m)), r.c.alpha, n, 1/factorial(n), threshold, need, need-n))
	} else {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the growing symbols did not rise steadily enough to decide at α = %g over %s symbols; more dumps narrow it", r.c.alpha, units.Group(int64(m))))
	}
	for i, s := range sus {
		if i == 5 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("... and %d more suspects (all in report.json)", len(sus)-5))
			break
		}
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("suspect %d: %s rose in %d of %d steps, %s → %s (%s)",
			i+1, s.v.Symbol, s.rises, n-1, formatValue(s.v.Symbol, s.v.First), formatValue(s.v.Symbol, s.v.Last), formatSlope(s.v.Symbol, s.v.Trend.PerOp, "dump")))
	}
}

// dumpsToDecide is the fewest dumps whose rise at every step would be a
// leak at Holm's first threshold (the look's α over m symbols): the exact
// Kendall p of a strictly increasing series of k points is 1/k!.
func dumpsToDecide(threshold float64) int {
	k := 2
	for 1/factorial(k) > threshold {
		k++
	}
	return k
}

func factorial(k int) float64 {
	f := 1.0
	for i := 2; i <= k; i++ {
		f *= float64(i)
	}
	return f
}
