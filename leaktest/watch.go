package leaktest

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Watch snapshots the probes given with WithProbes (probe.Process,
// probe.Pprof, a Gauge, one of yours) every Interval, with no hammer: a
// service under its own load. The x axis is time, so budgets are per second, minute or hour (the defaults
// are DefaultWatchBudgets); a per-op budget is an error. The first
// snapshot is the baseline, left out of the fit, and no verdict comes
// before 16 more. It watches until every symbol is decided, or
// MaxDuration, or ctx ends, and the report so far comes back in every
// case; a probe that fails (the process exited, the endpoint stopped
// answering) ends the watch with an error and that report.
//
// The in-process heap and goroutine probes are not used: they would
// watch the process that is watching.
func Watch(ctx context.Context, opts ...Option) (*Report, error) {
	c := newConfig(append([]Option{Name("watch")}, opts...))
	if len(c.probes) == 0 {
		c.errs = append(c.errs, errors.New("nothing to watch: give a probe with WithProbes (probe.Process, probe.Pprof, Gauge, one of yours)"))
	}
	for _, b := range c.budgets {
		if b.PerTime == 0 {
			c.errs = append(c.errs, fmt.Errorf("budget %q is per op, and a watch counts no ops: give it per s, min or h", b.String()))
		}
	}
	c.addDefaults(defaultWatchBudgets, defaultWatchTolerances)
	c.refuse("Watch", "a watch runs no hammer and no in-process probe", hammerOptions...)
	c.refuse("Watch", "they bound AnalyzeFiles' dump files (probe.MaxResponse bounds a pprof response)", "MaxInput", "MaxSymbols")
	if err := c.err(); err != nil {
		return nil, fmt.Errorf("leaktest.Watch: %w", err)
	}
	runMu.Lock()
	defer runMu.Unlock()
	ctx, stop := c.joinContext(ctx)
	defer stop()
	r := newRun(modeWatch, c, time.Now(), defaultMaxPoints)
	r.probes = c.probes
	var err error
	if r.artifacts, err = newArtifacts(c, r.runName()); err != nil {
		return nil, fmt.Errorf("leaktest.Watch: %w", err)
	}
	stopProbes, err := r.startProbes(ctx)
	if err != nil {
		r.artifacts.close()
		return nil, err
	}
	defer stopProbes()
	stopped, runErr := r.watch(ctx)
	r.explainHeld(ctx)
	return r.finish(stopped, runErr, "")
}

func (r *run) watch(ctx context.Context) (stopped StopReason, err error) {
	parent := ctx
	ctx, cancel := context.WithDeadline(ctx, r.start.Add(r.c.maxDuration))
	defer cancel()
	if err := r.snapshot(ctx, true); err != nil {
		return r.ended(parent, err)
	}
	every := r.c.interval
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return StopCanceled, parent.Err()
			}
			return StopMaxDuration, nil
		case <-tick.C:
		}
		if r.hist.full() {
			// The snapshot thins the points to half; the interval doubles
			// so they stay evenly spread.
			every *= 2
			tick.Reset(every)
		}
		if err := r.snapshot(ctx, false); err != nil {
			return r.ended(parent, err)
		}
		if r.firstFitOps < 0 {
			r.firstFitOps = 0
			r.markFirst()
		}
		if b := r.exhaustion(0, "after "+time.Since(r.start).Round(100*time.Millisecond).String()); b != nil {
			// Decided on the data up to the break, as in Run.
			r.looks++
			r.decide(true)
			return b.Reason, nil
		}
		if why := r.look(); why != "" {
			return why, nil
		}
	}
}

// ended classifies a failed snapshot: the watcher's own cancellation, the
// cap, or the probe's failure (the process exited, the endpoint stopped
// answering).
func (r *run) ended(parent context.Context, err error) (StopReason, error) {
	switch {
	case parent.Err() != nil:
		return StopCanceled, parent.Err()
	case time.Since(r.start) >= r.c.maxDuration:
		return StopMaxDuration, nil // the cap came mid-snapshot
	}
	return StopError, err
}

func (r *run) watchWarnings(rep *Report, fitted, undecided int, runErr error) {
	switch {
	case rep.Stopped == StopLeak && undecided > 0:
		rep.Warnings = append(rep.Warnings, stoppedAtLeak(undecided))
	case fitted < watchMinPoints:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("need ≥ %d snapshots after the first before any verdict; have %d: watch longer or snapshot more often (Interval %v)",
			watchMinPoints, fitted, r.c.interval))
	case undecided > 0 && runErr == nil && rep.Stopped == StopMaxDuration:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d %s undecided at the %v cap pass; the largest slope not ruled out is shown, and a longer watch narrows it",
			undecided, plural(undecided, "symbol", "symbols"), r.c.maxDuration))
	}
}
