package leaktest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/leakslope/leakslope/internal/units"
	"github.com/leakslope/leakslope/runner"
)

// abortGrace is how long a stalled round's ops get to return once
// canceled. The stall is the news; ops that ignore their context are named
// in a warning and left, rather than holding the report.
const abortGrace = time.Second

// stalled handles a round in which no op completed for a while: the
// target stopped working. It takes a snapshot anyway (not a quiesce
// point: the report says so), then cancels the ops in flight.
func (r *run) stalled(st *runner.StallError) {
	what := fmt.Sprintf("the target stopped completing ops at op %s: none completed for %v (ops %s in flight)",
		units.Group(st.Completed), roundDuration(st.Since), opList(st.Ops))
	if st.LastErr != nil {
		what += fmt.Sprintf("; the last op error: %v", st.LastErr)
	}
	r.brk = &Break{Reason: StopStalled, Op: st.Completed, What: what}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	warm := st.Completed < r.c.warmUp
	if err := r.snapshot(ctx, warm); err == nil {
		r.hist.stalled = r.hist.len() - 1
		if r.firstFitOps < 0 && !warm {
			r.fitFrom(st.Completed)
		}
	}
	if err := r.hammer.Abort(abortGrace); err != nil {
		r.stuck = err
	}
}

// opList prints op numbers, the first few of many.
func opList(ops []int) string {
	if len(ops) > 8 {
		return fmt.Sprintf("%v … and %d more", ops[:8], len(ops)-8)
	}
	return fmt.Sprint(ops)
}

// checkBreak looks, after a snapshot, for a target that broke: a resource
// at its limit that climbed there during the run, or ops that started
// failing after the run's ops had mostly worked.
func (r *run) checkBreak() *Break {
	ops, errs := r.hammer.Ops(), r.hammer.Errors()
	if b := r.exhaustion(ops, "at op "+units.Group(ops)); b != nil {
		return b
	}
	n := r.hist.len()
	if r.c.expectErrors || n < 2 {
		return nil
	}
	// The snapshot before this one, as the history keeps it (thinning
	// keeps the newest point and drops none after it).
	prevOps, prevErrs := int64(r.hist.ops[n-2]), int64(r.hist.errs[n-2])
	dOps, dErrs := ops-prevOps, errs.Count-prevErrs
	if prevOps > 0 && dOps >= failingMin && float64(dErrs) >= failingShare*float64(dOps) && float64(prevErrs) <= okShare*float64(prevOps) {
		what := fmt.Sprintf("the target's ops started failing at op %s: %s of the %s ops since op %s failed, after %s of the %s before",
			units.Group(prevOps), units.Group(dErrs), units.Group(dOps), units.Group(prevOps), units.Group(prevErrs), units.Group(prevOps))
		if errs.Last.Err != nil {
			what += fmt.Sprintf("; the last op error: %v", errs.Last.Err)
		}
		r.brk = &Break{Reason: StopFailing, Op: prevOps, What: what}
		// The growth up to the break is the evidence; the points after it
		// show the limit, not the leak.
		r.breakAt = r.hist.len() - 1
		return r.brk
	}
	return nil
}

// exhaustion looks for a series of a Limiter's that climbed during the run
// to most of its limit; at says when ("at op 9,994", "after 2.3s").
func (r *run) exhaustion(ops int64, at string) *Break {
	for _, p := range r.probes {
		l, ok := p.(Limiter)
		if !ok {
			continue
		}
		lims := l.Limits()
		for _, sym := range slices.Sorted(maps.Keys(lims)) {
			lim := lims[sym]
			col := r.hist.cols[sym]
			// A fleet's process at its limit restarts: not a broken target.
			if len(col) == 0 || lim.Value <= 0 || r.isFleet(sym) {
				continue
			}
			v := col[len(col)-1]
			if v >= exhaustedShare*lim.Value && v-slices.Min(col) >= exhaustedRise*lim.Value {
				r.brk = &Break{Reason: StopExhausted, Op: ops, What: exhaustedText(sym, v, lim, at),
					Symbol: sym, Value: v, Limit: lim.Value, LimitName: lim.Name}
				return r.brk
			}
		}
	}
	return nil
}

// fitted is a symbol's post-warm-up points, up to a break.
func (r *run) fitted(sym Symbol) (ops, secs, values []float64) {
	ops, secs, values = r.hist.fitted(sym)
	if r.breakAt > r.hist.warm && r.breakAt < r.hist.len() {
		n := r.breakAt - r.hist.warm
		ops, secs, values = ops[:n], secs[:n], values[:n]
	}
	return ops, secs, values
}

// toleranceFor is the Tolerance that applies to sym, on its budget's axis:
// per op, or per second for a per-time budget. A tolerance given on the
// other axis does not apply.
func (r *run) toleranceFor(sym Symbol, b *Budget) float64 {
	if t, ok := r.tolerances[sym]; ok {
		return t
	}
	t := 0.0
	for _, tol := range r.c.tolerances {
		if tol.Matches(sym) && (tol.PerTime > 0) == (b.PerTime > 0) {
			t = tol.limit()
			break
		}
	}
	r.tolerances[sym] = t
	return t
}

// failedTarget is the run's error once the verdicts are in: a target that
// broke with no leak to show for it failed the run, and so did one whose
// ops mostly failed — it has proven nothing about leaks.
func (r *run) failedTarget(runErr error) error {
	if runErr != nil {
		return runErr
	}
	if r.brk != nil && len(r.sticky) == 0 {
		return r.brk // a watched resource at its limit too
	}
	if r.hammer == nil {
		return nil
	}
	e, ops := r.hammer.Errors(), r.hammer.Ops()
	if !r.c.expectErrors && e.Count > 0 && 2*e.Count > ops && len(r.sticky) == 0 {
		return mostlyFailed(e, ops)
	}
	return nil
}

func mostlyFailed(e runner.Errors, ops int64) error {
	first := e.Last
	if len(e.First) > 0 {
		first = e.First[0]
	}
	return fmt.Errorf("the target failed %s of its %s ops: a run whose ops mostly failed has proven nothing (ExpectErrors, or the CLI's --expect-errors, if they fail on purpose); the first: %v",
		units.Group(e.Count), units.Group(ops), first)
}
