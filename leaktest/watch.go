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
	if c.since > 0 {
		if len(c.probes) != 1 {
			c.errs = append(c.errs, fmt.Errorf("Since reads one probe's history; given %d probes: watch them apart", len(c.probes)))
		} else if _, ok := c.probes[0].(Historian); !ok {
			c.errs = append(c.errs, fmt.Errorf("Since: probe %s cannot read history (a Historian can: probe.Prometheus)", c.probes[0].Name()))
		}
	} else if c.maxDuration == 0 {
		c.errs = append(c.errs, errors.New("leaktest.MaxDuration(0s): want > 0 (0 is for a Watch with Since: the history alone)"))
	}
	if err := c.err(); err != nil {
		return nil, fmt.Errorf("leaktest.Watch: %w", err)
	}
	runMu.Lock()
	defer runMu.Unlock()
	ctx, stop := c.joinContext(ctx)
	defer stop()
	began := time.Now()
	// The x axis starts where the history does.
	r := newRun(modeWatch, c, began.Add(-c.since), defaultMaxPoints)
	r.began = began
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
	r.findBlocked(ctx)
	return r.finish(stopped, runErr, "")
}

func (r *run) watch(ctx context.Context) (stopped StopReason, err error) {
	parent := ctx
	every := r.c.interval
	if r.c.since > 0 {
		// The history, decided at once; the live part only for what it
		// left undecided.
		spacing, err := r.history(ctx)
		if err != nil {
			if parent.Err() != nil {
				return StopCanceled, parent.Err()
			}
			return StopError, err
		}
		if r.hist.len() > 0 {
			if why := r.look(); why != "" {
				return why, nil
			}
		}
		if r.c.maxDuration == 0 {
			return StopMaxDuration, nil
		}
		// Go on at the spacing the history's points were kept at.
		every = max(every, spacing)
	}
	// MaxDuration caps the live part, however long the history took.
	r.live = time.Now()
	ctx, cancel := context.WithDeadline(ctx, r.live.Add(r.c.maxDuration))
	defer cancel()
	if r.hist.len() == 0 {
		if err := r.snapshot(ctx, true); err != nil {
			return r.ended(parent, err)
		}
	}
	// Snapshots every Interval, as a ticker would (a snapshot that overruns
	// it is followed at once), but a slow one is followed by at least
	// snapshotSpacing× its cost of waiting, whatever the points a verdict
	// needs: the watched service is someone's, under its own load, and on
	// a JVM each snapshot forces a full GC of it. Too few points by the cap
	// say to watch longer.
	next := time.Now().Add(every)
	wait := time.NewTimer(time.Until(next))
	defer wait.Stop()
	for {
		if gap, _ := r.snapGap(time.Time{}, 0, 0); gap > 0 {
			if at := r.lastSnapTime.Add(gap); at.After(next) {
				next = at
				r.stretched(gap)
			}
		}
		wait.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return StopCanceled, parent.Err()
			}
			return StopMaxDuration, nil
		case <-wait.C:
		}
		if r.hist.full() {
			// The snapshot thins the points to half; the interval doubles
			// so they stay evenly spread.
			every *= 2
		}
		// The next tick is an Interval after this one's, or now when this
		// snapshot overruns it.
		next = next.Add(every)
		if err := r.snapshot(ctx, false); err != nil {
			return r.ended(parent, err)
		}
		if now := time.Now(); next.Before(now) {
			next = now
		}
		if r.firstFitOps < 0 {
			r.fitFrom(0)
		}
		if b := r.exhaustion(0, "after "+time.Since(r.began).Round(100*time.Millisecond).String()); b != nil {
			// Decided on the data up to the break, as in Run.
			r.looks++
			r.decide(true, false)
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
	case time.Since(r.live) >= r.c.maxDuration:
		return StopMaxDuration, nil // the cap came mid-snapshot
	}
	return StopError, err
}

func (r *run) watchWarnings(rep *Report, fitted, undecided int, runErr error) {
	switch {
	case rep.Stopped == StopLeak && undecided > 0:
		rep.Warnings = append(rep.Warnings, stoppedAtLeak(undecided))
	case fitted < watchMinPoints && r.stretchGap > 0:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("need ≥ %d snapshots after the first before any verdict; have %d: the probes are slow (%v a snapshot), so snapshots were spaced ≥ %v apart; watch longer",
			watchMinPoints, fitted, roundDuration(r.stretchCost), roundDuration(r.stretchGap)))
	case fitted < watchMinPoints:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("need ≥ %d snapshots after the first before any verdict; have %d: watch longer or snapshot more often (Interval %v)",
			watchMinPoints, fitted, r.c.interval))
	case undecided > 0 && runErr == nil && rep.Stopped == StopMaxDuration && r.c.since > 0 && r.c.maxDuration == 0:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d %s undecided on the %v of history alone pass; the largest slope not ruled out is shown, and a longer history (Since) or a live watch after it (MaxDuration) narrows it",
			undecided, plural(undecided, "symbol", "symbols"), roundDuration(rep.History)))
	case undecided > 0 && runErr == nil && rep.Stopped == StopMaxDuration:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d %s undecided at the %v cap pass; the largest slope not ruled out is shown, and a longer watch narrows it",
			undecided, plural(undecided, "symbol", "symbols"), r.c.maxDuration))
	}
}

// history reads the last Since of the probe (a Historian) into the
// history, its first point the baseline, as a live watch's first
// snapshot is. The points are checked as live snapshots are. It returns
// the spacing the points are kept at, for the live part to go on at.
func (r *run) history(ctx context.Context) (time.Duration, error) {
	h := r.probes[0].(Historian)
	to := r.began
	// Once the history is thinned, its points are kept every'th apart, as
	// a live watch doubles its interval: evenly spread, as the fit wants.
	// The points between are still seen for restarts.
	var every, step time.Duration // kept points' spacing; the history's own
	var last, prev time.Time      // the last point kept; offered
	var pending []Sample          // the last point offered, when not kept
	err := h.History(ctx, r.start, to, r.c.interval, func(at time.Time, samples []Sample) error {
		if at.Before(r.start) || at.After(to) {
			return fmt.Errorf("probe %s: history point at %v, outside %v to %v", r.probes[0].Name(), at, r.start, to)
		}
		if !prev.IsZero() {
			if !at.After(prev) {
				return fmt.Errorf("probe %s: history point at %v, not after the one before", r.probes[0].Name(), at)
			}
			if d := at.Sub(prev); step == 0 || d < step {
				step = d
			}
		}
		prev = at
		if err := r.accept(0, samples); err != nil {
			return err
		}
		first := r.hist.len() == 0
		if every > 0 && at.Sub(last) < every {
			r.hist.observe(samples, r.isFleet)
			// A copy: the probe may reuse its slice.
			pending = append(pending[:0], samples...)
			return nil
		}
		pending = pending[:0]
		if r.hist.full() {
			every = 2 * max(every, step)
		}
		r.add(at, 0, 0, first, samples)
		last = at
		if !first && r.firstFitOps < 0 {
			r.fitFrom(0)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("probe %s, its history from %s: %w", r.probes[0].Name(), r.start.Format(time.RFC3339), err)
	}
	if len(pending) > 0 {
		// The newest point is kept, skipped or not: it is what is now.
		r.add(prev, 0, 0, false, pending)
	}
	return max(every, step), nil
}
