package leaktest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"go.uber.org/goleak"

	"github.com/leakslope/leakslope/internal/decide"
	"github.com/leakslope/leakslope/internal/stats"
	"github.com/leakslope/leakslope/internal/units"
	"github.com/leakslope/leakslope/runner"
)

// runMu serializes runs. Heap accounting is process-wide (MemProfileRate,
// forced GCs, every goroutine's allocations), so two runs at once would
// see each other's ops; a second Run or Check waits for the first to end
// rather than fail, so t.Parallel tests stay correct, only slower. Other
// tests running in parallel still allocate: keep leak checks out of
// t.Parallel.
var runMu sync.Mutex

// Run hammers target, snapshots its memory at quiesce points, and decides
// for every symbol whether it leaks. It keeps hammering until every
// symbol is decided, or MaxDuration, or ctx ends.
//
// The error is non-nil when the run itself failed: bad options (nil
// report), an op that panicked, a probe that failed, or ctx ending. In all
// but the first the report so far is returned with it.
func Run(ctx context.Context, target runner.Target, opts ...Option) (*Report, error) {
	c := newConfig(opts)
	c.addDefaults(defaultBudgets, defaultTolerances)
	c.refuse("Run", "a hammered run snapshots between rounds: see SnapshotEvery", "Interval")
	c.refuse("Run", "a hammered run has no history to read", "Since")
	if c.maxDuration == 0 {
		c.errs = append(c.errs, errors.New("leaktest.MaxDuration(0s): want > 0"))
	}
	c.refuse("Run", "they bound AnalyzeFiles' dump files (probe.MaxResponse bounds a pprof response)", "MaxInput", "MaxSymbols")
	c.checkHammer()
	if target == nil {
		c.errs = append(c.errs, errors.New("nil target"))
	}
	if err := c.err(); err != nil {
		return nil, fmt.Errorf("leaktest: %w", err)
	}
	h, err := runner.New(target, c.hammer)
	if err != nil {
		return nil, fmt.Errorf("leaktest: %w", err)
	}
	defer h.Close()

	runMu.Lock()
	defer runMu.Unlock()

	ctx, stop := c.joinContext(ctx)
	defer stop()
	r := newRun(modeHammer, c, time.Now(), defaultMaxPoints)
	r.target, r.hammer = target, h
	return r.run(ctx)
}

// newRun sets up the state every mode shares; nothing is fitted yet.
func newRun(mode runMode, c *config, start time.Time, maxPoints int) *run {
	return &run{mode: mode, c: c, start: start, began: start, live: start, hist: newHistory(start, maxPoints), firstFitOps: -1,
		sticky: map[Symbol]bool{}, source: map[Symbol]int{}, fleet: map[Symbol]Symbol{}, members: map[Symbol][]Symbol{}, budgets: map[Symbol]*Budget{}, tolerances: map[Symbol]float64{}, floors: map[Symbol]float64{}}
}

// runMode is what the x axis counts.
type runMode int

const (
	modeHammer  runMode = iota // ops of a hammer (Run, Check)
	modeWatch                  // seconds (Watch)
	modeAnalyze                // dump files, in order (Analyze)
)

// Axis names, as Report.Axis and JSON "x" give them.
const (
	AxisOps     = "ops"
	AxisSeconds = "seconds"
	AxisDumps   = "dumps"
)

func (m runMode) axis() string {
	return [...]string{AxisOps, AxisSeconds, AxisDumps}[m]
}

// watchMinPoints is how many snapshots after the baseline Watch and
// Analyze-like runs need before a verdict: twice decide's window minimum,
// so the last-half window holds a full 8.
const watchMinPoints = 16

type run struct {
	mode   runMode
	c      *config
	target runner.Target
	hammer *runner.Hammer
	probes []Probe
	hist   *history
	start  time.Time // the x axis's 0: the run's start, or its history's
	began  time.Time // when the run began: start, but for a Watch with Since
	live   time.Time // when a watch's live part began: began, or after its history
	// liveSnaps counts the snapshots taken (not read from a history).
	liveSnaps int

	spacing      int64
	lastSnapOps  int64
	lastSnapTime time.Time
	firstFitOps  int64 // ops at the first snapshot after warm-up; -1 before
	taken        int   // snapshots taken, kept or thinned
	// What snapshots cost: the wall time of every probe's Take, all live
	// snapshots (history reads are not snapshots); the last few costs, for
	// snapCost; and, when the schedule was stretched for slow snapshots,
	// the least gap it kept between them and the cost that asked it.
	snapTotal    time.Duration
	snapCosts    [3]time.Duration
	finalErr     error // the final snapshot's, which ends nothing but is said
	own          int   // probes [0, own) are the in-process ones, not the given ones
	snapN        int
	stretchGap   time.Duration
	stretchCost  time.Duration
	hurried      bool // snapGap shortened the gap near the cap, for the points a verdict needs
	lastProgress time.Time
	looks        int

	sticky     map[Symbol]bool     // leak verdicts are final once made
	source     map[Symbol]int      // the index in probes of the probe that gives a symbol
	fleet      map[Symbol]Symbol   // a Fleet's symbols, and the group each is pooled into (itself when none)
	members    map[Symbol][]Symbol // a group's symbols, by the group's
	limits     map[Symbol]Limit    // the Limiters' limits, as of the report
	results    map[Symbol]decide.Result
	floors     map[Symbol]float64 // sampled symbols' resolution at the last look
	budgets    map[Symbol]*Budget
	tolerances map[Symbol]float64 // on the budget's axis
	order      []Symbol           // the symbols of the last look

	// The target broke (stalled, failing, exhausted): decided on the
	// points before breakAt (all when 0).
	brk     *Break
	breakAt int
	stuck   error // ops that did not return when a stalled round was aborted

	heap      *heapProbe
	artifacts *artifacts
	heldBy    map[string]*HeldBy // by site, for the heap leaks
	heldByErr []string           // why a holder could not say
	// label is the run's id, the value of its ops' runLabel; blocked the
	// goroutines blocked forever charged to it, by symbol; blockedErr
	// what the goroutine leak detection could not say, or found of others.
	label      string
	blocked    map[Symbol]*Blocked
	blockedErr []string

	goleakBefore goleak.Option
	minPoints    int      // decide's window minimum; 0 for its default
	flat         []Symbol // Analyze: grew, but not over the last half
	failing      int64    // consecutive failed ops, as of the last round (StopAfterFailures)
	prevOps      int64    // ops and op errors as of the round before
	prevErrs     int64
}

// ops is the hammer's count; 0 when watching.
func (r *run) ops() int64 {
	if r.hammer == nil {
		return 0
	}
	return r.hammer.Ops()
}

func (r *run) run(ctx context.Context) (*Report, error) {
	c := r.c
	// An unsafe artifacts directory is refused before anything starts.
	var err error
	if r.artifacts, err = newArtifacts(c, r.runName()); err != nil {
		return nil, fmt.Errorf("leaktest: %w", err)
	}
	r.goleakBaseline()
	r.label = newRunID()
	if !c.noHeap {
		r.heap = newHeapProbe()
		r.probes = append(r.probes, r.heap)
	}
	if !c.noGoroutine {
		r.probes = append(r.probes, newGoroutineProbe())
	}
	if !c.noResources {
		r.probes = append(r.probes, newResourceProbe())
	}
	r.own = len(r.probes)
	r.probes = append(r.probes, c.probes...)
	stopProbes, err := r.startProbes(ctx)
	if err != nil {
		r.artifacts.close()
		return nil, err
	}
	defer stopProbes()
	r.spacing = c.spacing
	if r.spacing == 0 {
		r.spacing = max(1, c.minOps/32)
	}
	jobs := int64(r.hammer.Config().Jobs)
	r.spacing = (r.spacing + jobs - 1) / jobs * jobs
	maxGap := max(c.maxDuration/64, 100*time.Millisecond)
	deadline := r.start.Add(c.maxDuration)

	// Ops see the cap as their context's deadline, so a well-behaved op
	// stops with the run.
	parent := ctx
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	// The workers run ops under the run's label: what the ops start
	// inherits it (see Blocked).
	ctx = pprof.WithLabels(ctx, pprof.Labels(runLabel, r.label))

	stopped, runErr := StopMaxDuration, error(nil)
	// A baseline at op 0, before anything ran: a warm-up point for charts.
	if err := r.snapshot(ctx, true); err != nil {
		stopped, runErr = StopError, err
	}
	for runErr == nil && r.brk == nil {
		err := r.hammer.Round(ctx)
		if err != nil {
			var pe *runner.PanicError
			var se *runner.StuckError
			var st *runner.StallError
			switch {
			case errors.As(err, &pe):
				stopped, runErr = StopPanic, err
			case errors.As(err, &st):
				stopped = StopStalled
				r.stalled(st)
			case errors.As(err, &se):
				stopped, runErr = StopStuck, err
			case parent.Err() != nil:
				stopped, runErr = StopCanceled, err
			case ctx.Err() != nil:
				// Our own cap, reached mid-round: not a failure.
			default:
				stopped, runErr = StopError, err
			}
			break
		}
		if err := r.checkFailing(); err != nil {
			stopped, runErr = StopError, err
			break
		}
		ops := r.hammer.Ops()
		now := time.Now()
		warm := ops < c.warmUp
		firstFit := !warm && r.firstFitOps < 0
		due := ops-r.lastSnapOps >= r.spacing || now.Sub(r.lastSnapTime) >= maxGap
		if due && !firstFit {
			// A slow snapshot is put off until the hammer has run long
			// enough since the last one ended (the first fitted one and
			// the final one are not).
			due = r.spaced(now, deadline, r.needPoints(), 1)
		}
		if firstFit || due {
			if err := r.snapshot(ctx, warm); err != nil {
				switch {
				case parent.Err() != nil:
					stopped, runErr = StopCanceled, err
				case ctx.Err() == nil:
					stopped, runErr = StopError, err
				}
				// Else the cap came mid-snapshot (a remote probe's request
				// carries the run's deadline): the final snapshot follows.
				break
			}
			if firstFit {
				r.fitFrom(ops)
			}
			if b := r.checkBreak(); b != nil {
				stopped = b.Reason
				break
			}
			if why := r.look(); why != "" {
				stopped = why
				break
			}
		}
		if time.Now().After(deadline) {
			break
		}
		if err := r.hammer.Pause(ctx); err != nil && parent.Err() != nil {
			stopped, runErr = StopCanceled, err
		}
	}
	// The hammer is quiesced whatever stopped it (Round returns only when
	// no op is in flight; a stall is its own case), so a last snapshot is
	// honest; it gets its own short context, since the run's may be what
	// ended. A target that broke was decided on the data up to the break.
	switch {
	case r.brk != nil:
		r.looks++
		r.decide(true, false)
	case stopped != StopError && stopped != StopStuck && stopped != StopLeak:
		if r.hammer.Ops() > r.lastSnapOps || r.hist.len() == 0 {
			// A slow probe (a large JVM's histogram) gets longer than 10 s.
			fctx, cancel := context.WithTimeout(context.Background(), max(10*time.Second, snapshotSpacing*r.snapCost()))
			if err := r.snapshot(fctx, r.hammer.Ops() < c.warmUp); err != nil {
				r.finalErr = err
			} else {
				if r.firstFitOps < 0 && r.hammer.Ops() >= c.warmUp {
					r.fitFrom(r.hammer.Ops())
				}
				if why := r.look(); why != "" && runErr == nil {
					stopped = why
				}
			}
			cancel()
		}
	}
	r.artifacts.writeProfile(ArtifactLastProfile, r.heap != nil && r.firstFitOps >= 0)
	// What holds the leaks is read now: the hammer is quiesced, and
	// teardown may free the holders.
	r.explainHeld(parent)
	// Then which goroutines are blocked forever: a detection marks them,
	// and a heap dump crashes on marked goroutines.
	r.findBlocked(parent)
	// The hammer's workers go first, then the target's teardown, then
	// goleak's check of what is left. Workers blocked in an op that
	// ignores its context cannot be closed.
	if stopped != StopStuck && r.stuck == nil {
		r.hammer.Close()
	}
	for _, f := range c.teardown {
		f()
	}
	return r.finish(stopped, runErr, r.goleakCheck())
}

// finish decides what is left undecided, assembles the report and writes
// its artifacts. The report comes back whatever ended the run.
func (r *run) finish(stopped StopReason, runErr error, leftover string) (*Report, error) {
	if r.results == nil {
		r.finalFits()
	}
	runErr = r.failedTarget(runErr)
	rep := r.report(stopped, runErr)
	rep.Goleak = leftover
	if err := r.applyBaseline(rep, runErr); err != nil && runErr == nil {
		runErr, rep.Err = err, err
	}
	r.writeProbeProfiles()
	// The page and the JSON list the artifacts as they are written: the
	// report shares the map.
	rep.Artifacts = r.artifacts.paths
	r.artifacts.writeHTML(rep)
	r.artifacts.writeJSON(rep)
	r.artifacts.close()
	rep.Warnings = append(rep.Warnings, r.artifacts.warnings...)
	if runErr != nil {
		return rep, fmt.Errorf("leaktest: %w", runErr)
	}
	return rep, nil
}

func (r *run) runName() string {
	if r.c.name != "" {
		return r.c.name
	}
	if r.target == nil {
		return "run"
	}
	if s, ok := r.target.(fmt.Stringer); ok {
		return s.String()
	}
	return "run"
}

// checkFailing ends a run whose target never worked (every op of its
// first round failed), or stopped answering: the last StopAfterFailures
// ops, counted in whole rounds, all failed.
func (r *run) checkFailing() error {
	e := r.hammer.Errors()
	// A target that has failed every op of a whole round, and never
	// worked, is not worth hammering: the run has failed.
	if ops := r.hammer.Ops(); !r.c.expectErrors && e.Count == ops && ops >= max(failingMin, int64(r.hammer.Config().Jobs)) {
		return mostlyFailed(e, ops)
	}
	if r.c.stopAfterFailures <= 0 {
		return nil
	}
	ops, errs := r.hammer.Ops()-r.prevOps, e.Count-r.prevErrs
	r.prevOps, r.prevErrs = r.hammer.Ops(), e.Count
	if ops > 0 && errs >= ops {
		r.failing += ops
	} else {
		r.failing = 0
	}
	if r.failing >= r.c.stopAfterFailures {
		return fmt.Errorf("the target stopped answering: the last %s ops all failed; the last: %v", units.Group(r.failing), e.Last)
	}
	return nil
}

// snapshot takes every probe's values at a quiesce point.
func (r *run) snapshot(ctx context.Context, warm bool) error {
	now := time.Now()
	ops := r.ops()
	var samples []Sample
	var cost, outside time.Duration // the probes' Take: all of them, the given ones
	defer func() { r.snapTotal += cost }()
	for i, p := range r.probes {
		t := time.Now()
		s, err := p.Take(ctx)
		took := time.Since(t)
		cost += took
		if i >= r.own {
			outside += took
		}
		if err != nil {
			return fmt.Errorf("probe %s at op %d: %w", p.Name(), ops, err)
		}
		if err := r.accept(i, s); err != nil {
			return err
		}
		samples = append(samples, s...)
	}
	var errs int64
	if r.hammer != nil {
		errs = r.hammer.Errors().Count
	}
	r.add(now, ops, errs, warm, samples)
	r.liveSnaps++
	r.lastSnapOps, r.lastSnapTime = ops, time.Now()
	// Only the given probes' cost spaces the schedule. The in-process ones
	// get slower as what they count leaks (a goroutine dump of a million
	// leaked goroutines): spaced by their cost, a cheap op that leaks would
	// run ever longer between snapshots, and the run itself run away with
	// the machine's memory. Their schedule stays the ops spacing the
	// decision rule is tuned to.
	r.snapCosts[r.snapN%len(r.snapCosts)] = outside
	r.snapN++
	return nil
}

// snapshotSpacing is k: a slow snapshot is followed by at least k× its
// cost of hammering (of waiting, in a Watch) before the next, so
// snapshotting takes at most 1/(k+1) of the run. 3 keeps it ≤ 25%: most of
// the run is the hammer's, which is what a leak needs to show, while a
// 2-minute run with 1 s snapshots (a JVM's class histogram) still gets
// ~30 of them, enough to fit and decide; a larger k would starve the fit,
// a smaller one give a third or more of the run to the probes.
const snapshotSpacing = 3

// slowSnapshot is the cost from which snapshotSpacing applies. Under it,
// the schedule is today's (ops spacing, maxGap): the in-process probes'
// snapshot (a forced GC, a heap profile read) costs ms to tens of ms even
// under -race on a loaded machine, and the ops spacing the decision rule
// is tuned to ("a leak of one object per 100 ops is visible within a few
// thousand ops") would be stretched out of shape by k× of it. Outside
// probes (jcmd, dotnet-dump, a command) cost 0.3 s and more.
const slowSnapshot = 100 * time.Millisecond

// snapCost is what a snapshot costs, as the schedule reckons it: the most
// of the last few, so that one fast snapshot does not undo the spacing
// (a JVM's histogram varies with its heap).
func (r *run) snapCost() time.Duration {
	var m time.Duration
	for _, c := range r.snapCosts {
		m = max(m, c)
	}
	return m
}

// snapGap is how long after the last snapshot ended the next may start:
// snapshotSpacing× the cost of a slow snapshot, else 0 (the schedule as
// it always was). The rule that keeps spacing from costing the verdict:
// need fitted snapshots are wanted, after of them come anyway at the end
// (Run's final one, after the cap); when the missing ones, at this gap,
// would not all fit before deadline, they are spread evenly over the time
// left instead, down to back to back (as before): snapshotting more of
// the run beats ending with too few points to decide. hurried says the
// gap was shortened so. need 0, or a zero deadline: no such rule.
func (r *run) snapGap(deadline time.Time, need, after int) (gap time.Duration, hurried bool) {
	cost := r.snapCost()
	if cost < slowSnapshot {
		return 0, false
	}
	gap = snapshotSpacing * cost
	missing := need - (r.hist.len() - r.hist.warm) - after
	if missing <= 0 || r.hist.len() == r.hist.warm || deadline.IsZero() {
		return gap, false // enough points, or warm-up (its end is snapshotted anyway)
	}
	// The last of them ends a cost before the deadline, so that the
	// hammer runs again before the cap and the final snapshot is taken.
	if slot := (deadline.Sub(r.lastSnapTime)-cost)/time.Duration(missing) - cost; slot < gap {
		return max(slot, 0), true
	}
	return gap, false
}

// spaced says whether a snapshot that is due at now may be taken: it may
// once snapGap has passed since the last one ended. When it may not, the
// schedule is stretched, and the report says so.
func (r *run) spaced(now, deadline time.Time, need, after int) bool {
	gap, hurried := r.snapGap(deadline, need, after)
	if since := now.Sub(r.lastSnapTime); since >= gap {
		// Taken sooner than the rule would have: the report warns.
		r.hurried = r.hurried || hurried && since < snapshotSpacing*r.snapCost()
		return true
	}
	r.stretched(gap)
	return false
}

// stretched notes a snapshot put off for the cost of the last ones: the
// least gap kept so, which the report gives as what snapshots were spaced
// at least by.
func (r *run) stretched(gap time.Duration) {
	if r.stretchGap == 0 || gap < r.stretchGap {
		r.stretchGap, r.stretchCost = gap, r.snapCost()
	}
}

// accept checks the samples of probe i before they join a snapshot, and
// notes its fleet symbols.
func (r *run) accept(i int, samples []Sample) error {
	// Two probes giving one symbol would be summed into nonsense (the
	// test's own open files plus a service's): say which.
	for _, x := range samples {
		if j, ok := r.source[x.Symbol]; !ok {
			r.source[x.Symbol] = i
		} else if j != i {
			return fmt.Errorf("probes %s and %s both give %s: leave one out (WithoutHeap, WithoutGoroutines and WithoutResources leave out the in-process ones)",
				r.probes[j].Name(), r.probes[i].Name(), x.Symbol)
		}
	}
	r.noteFleet(r.probes[i], samples)
	return nil
}

// add appends a snapshot to the history, thinning it first when full.
func (r *run) add(at time.Time, ops, errs int64, warm bool, samples []Sample) {
	if r.hist.full() {
		r.hist.thin()
		r.spacing *= 2
	}
	r.hist.add(at, ops, errs, warm, samples, r.isFleet)
	r.taken++
}

// budgetFor returns the budget of a symbol: the first user budget that
// matches, else the first default that does, else none.
func (r *run) budgetFor(sym Symbol) *Budget {
	if b, ok := r.budgets[sym]; ok {
		return b
	}
	var found *Budget
	for i := range r.c.budgets {
		if r.c.budgets[i].Matches(sym) {
			found = &r.c.budgets[i]
			break
		}
	}
	r.budgets[sym] = found
	return found
}

// look decides every budgeted symbol on the snapshots so far. It returns
// why the run should end now — every symbol decided, or a leak proven
// (unless UntilAllDecided) — or "" to go on.
func (r *run) look() StopReason {
	if r.firstFitOps < 0 {
		return ""
	}
	ops := r.ops()
	eligible := ops-r.firstFitOps >= r.c.minOps && r.hist.len()-r.hist.warm >= r.needPoints()
	if r.mode != modeHammer {
		eligible = r.hist.len()-r.hist.warm >= watchMinPoints
	}
	if !eligible {
		r.progress(ops, -1)
		return ""
	}
	r.decide(true, true)
	undecided := 0
	for _, sym := range r.order {
		if !r.sticky[sym] && r.results[sym].Decision != decide.Within && !r.undecidable(sym) && !r.gone(sym) {
			undecided++
		}
	}
	r.progress(ops, undecided)
	switch {
	case undecided == 0:
		return StopDecided
	case len(r.sticky) > 0 && !r.c.untilAll:
		return StopLeak
	}
	return ""
}

// needPoints is the fewest fitted points a hammered run's verdict needs:
// a fit's (decide's MinPoints) — or, when snapshots are slow, a watch's.
// A slow probe reaches MinOps in a few snapshots, and at a fit's 8 points
// every quarter window widens to the whole run, so a rise that stops
// after MinOps (classes still loading, a cache still filling) could pass
// for sustained growth; at 16 each half of the run is a window of its
// own, as in a watch.
func (r *run) needPoints() int {
	if r.snapCost() >= slowSnapshot {
		return max(r.fitPoints(), watchMinPoints)
	}
	return r.fitPoints()
}

// fitPoints is the fewest points decide fits a series on (its MinPoints).
func (r *run) fitPoints() int {
	if r.minPoints > 0 {
		return r.minPoints
	}
	return decide.DefaultMinPoints
}

// undecidable reports a sampled symbol that looks flat under a budget of
// no growth: its resolution shrinks as the run grows but never reaches 0,
// so hammering on cannot decide it. It stays undecided (the report says
// why) without holding the run.
func (r *run) undecidable(sym Symbol) bool {
	if r.floors[sym] == 0 {
		return false
	}
	limit := r.budgetFor(sym).limit()
	return limit <= 0 && r.results[sym].Fit.Hi <= limit
}

// decide decides every budgeted symbol on the snapshots so far. count
// makes it a look that spends α — when it can reject: a look where no
// series has the points a fit needs rejects nothing, so it spends none
// (the union bound is over the looks that could). Counting those would
// make every later look stricter for nothing: a slow probe (a JVM's
// histogram) reaches MinOps in a few snapshots, and with a thousand
// classes a leak then waited dozens more. A fleet's group pools its
// series' points, so it is the series, not the snapshots, that count.
func (r *run) decide(eligible, count bool) {
	r.order = r.order[:0]
	var series []decide.Series
	for _, sym := range r.decided() {
		b := r.budgetFor(sym)
		if b == nil {
			continue
		}
		p := r.points(sym)
		x := p.ops
		if b.PerTime > 0 {
			x = p.secs
		}
		r.order = append(r.order, sym)
		series = append(series, decide.Series{X: x, Y: p.vals, Blocks: p.blocks, Budget: b.limit(), Tolerance: r.toleranceFor(sym, b)})
	}
	if count {
		fit := r.fitPoints()
		for _, s := range series {
			if len(s.X) >= fit {
				r.looks++
				break
			}
		}
	}
	cfg := decide.Config{Alpha: r.c.alpha, Look: max(r.looks, 1), Eligible: eligible, MinPoints: r.minPoints, Broken: r.brk != nil}
	if r.hammer != nil && !r.c.expectErrors && len(r.order) > 0 {
		cfg.Ops, _, _ = r.fitted(r.hist.order[0])
		cfg.Errors = r.hist.errs[r.hist.warm : r.hist.warm+len(cfg.Ops)]
	}
	res := decide.Decide(series, cfg)
	r.results = make(map[Symbol]decide.Result, len(res))
	for i, sym := range r.order {
		// Sampled data that looks flat has not ruled out growth under its
		// resolution: within only when the bound plus it is.
		if f := r.resolution(sym, series[i].X); f > 0 {
			r.floors[sym] = f
			if b, tol := series[i].Budget, series[i].Tolerance; res[i].Decision == decide.Within {
				switch {
				case res[i].Fit.Hi+f <= b:
					res[i].Stopped, res[i].Tolerated = false, false
				case res[i].Recent.Hi+f <= b && r.brk == nil:
					res[i].Stopped, res[i].Tolerated = true, false
				case res[i].Tolerated && res[i].Fit.Hi+f <= b+tol:
					res[i].Stopped = false
				default:
					res[i].Decision, res[i].Stopped, res[i].Tolerated = decide.Undecided, false, false
				}
			}
		}
		r.results[sym] = res[i]
		if res[i].Decision == decide.Leak {
			r.sticky[sym] = true
		}
	}
}

// failingPlateaus counts the symbols left undecided because they went
// flat as the ops started failing.
func (r *run) failingPlateaus() int {
	n := 0
	for _, sym := range r.order {
		if res := r.results[sym]; res.Failing && res.Decision == decide.Undecided && !r.sticky[sym] {
			n++
		}
	}
	return n
}

// startProbes starts the probes that are Starters, in order; stop stops
// those started, the last first. When one fails to start, those started
// before it are stopped.
func (r *run) startProbes(ctx context.Context) (stop func(), err error) {
	var started []Starter
	stop = func() {
		for i := len(started) - 1; i >= 0; i-- {
			started[i].Stop()
		}
	}
	for _, p := range r.probes {
		if st, ok := p.(Starter); ok {
			if err := st.Start(ctx); err != nil {
				stop()
				return nil, fmt.Errorf("leaktest: probe %s: %w", p.Name(), err)
			}
			started = append(started, st)
		}
	}
	return stop, nil
}

// resolution is the sampled probes' resolution for sym over the x span
// of a fit.
func (r *run) resolution(sym Symbol, x []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	f := 0.0
	for _, p := range r.probes {
		if s, ok := p.(Sampler); ok {
			f += s.Resolution(sym, x[len(x)-1]-x[0])
		}
	}
	return f
}

// finalFits gives a run that never reached MinOps its trends, all
// undecided.
func (r *run) finalFits() {
	if r.firstFitOps >= 0 {
		r.decide(false, false)
	}
}

// progress writes a line at the first look, then at most one a second,
// and at the look that decides everything.
func (r *run) progress(ops int64, undecided int) {
	w := r.c.progress
	if w == nil {
		return
	}
	if undecided != 0 && !r.lastProgress.IsZero() && time.Since(r.lastProgress) < time.Second {
		return
	}
	r.lastProgress = time.Now()
	state := fmt.Sprintf("need %s ops after warm-up before deciding", units.Group(r.c.minOps))
	if r.mode == modeHammer && ops-r.firstFitOps >= r.c.minOps && r.firstFitOps >= 0 {
		state = fmt.Sprintf("need %d snapshots after warm-up before deciding", r.needPoints())
	}
	if r.mode != modeHammer {
		state = fmt.Sprintf("need %d snapshots after the first before deciding", watchMinPoints)
	}
	if undecided >= 0 {
		state = fmt.Sprintf("%d of %d symbols undecided", undecided, len(r.order))
	}
	done := units.Group(ops) + " ops, "
	if r.mode != modeHammer {
		done = ""
	}
	fmt.Fprintf(w, "leaktest: %s: %s%s, %d snapshots, %s\n", r.runName(), done, roundDuration(time.Since(r.start)), r.hist.len(), state)
}

// report assembles the Report.
func (r *run) report(stopped StopReason, runErr error) *Report {
	c := r.c
	rep := &Report{
		Name: r.runName(), Axis: r.mode.axis(),
		Duration: time.Since(r.start), Stopped: stopped, Err: runErr, Broken: r.brk,
		Alpha: c.alpha, Snapshots: r.hist.snapshots(), SnapshotsTaken: r.taken,
		SnapshotTime: r.snapTotal, SnapshotGap: r.stretchGap, SnapshotCost: r.stretchCost,
		series: map[Symbol]Series{},
	}
	if r.hammer != nil {
		rep.Hammer, rep.Ops, rep.Rounds, rep.OpErrors = r.hammer.Config(), r.hammer.Ops(), r.hammer.Rounds(), r.hammer.Errors()
		rep.MinOps, rep.WarmUp = c.minOps, c.warmUp
	}
	if r.mode == modeWatch {
		rep.Interval, rep.History, rep.Live = c.interval, r.began.Sub(r.start), r.liveSnaps
	}
	if s, ok := r.target.(fmt.Stringer); ok {
		rep.Target = s.String()
	}
	for _, p := range r.probes {
		rep.Probes = append(rep.Probes, p.Name())
	}
	r.limits = map[Symbol]Limit{}
	for _, p := range r.probes {
		if l, ok := p.(Limiter); ok {
			for sym, lim := range l.Limits() {
				r.limits[sym] = lim
			}
		}
	}
	undecided := 0
	for _, sym := range r.order {
		v := r.verdict(sym)
		r.proven(&v)
		if v.Decision == Undecided {
			undecided++
		}
		if v.Decision == Leak && isHeap(v.Kind()) {
			v.HeldBy = r.heldBy[sym.Site()]
		}
		rep.Verdicts = append(rep.Verdicts, v)
		if _, ok := r.hist.cols[sym]; ok && (v.Decision != Within || v.First != v.Last) {
			rep.series[sym] = r.hist.series(sym)
		}
	}
	for _, sym := range []Symbol{SymRuntimeHeapBytes, SymRuntimeGoroutine} {
		if _, ok := r.hist.cols[sym]; ok {
			rep.series[sym] = r.hist.series(sym)
		}
	}
	rep.Verdicts = append(rep.Verdicts, r.unseenBlocked(r.order)...)
	sortVerdicts(rep.Verdicts)
	if r.sticky[SymRuntimeHeapBytes] {
		// The sites growing most under the leaking heap total: what holds
		// them was asked too (explainHeld chose them alike).
		for _, i := range suspects(rep.Verdicts) {
			rep.Verdicts[i].HeldBy = r.heldBy[rep.Verdicts[i].Symbol.Site()]
		}
	}
	for _, p := range r.probes {
		if w, ok := p.(Warner); ok {
			rep.Warnings = append(rep.Warnings, w.Warnings(rep)...)
		}
	}
	rep.Warnings = append(rep.Warnings, r.heldByErr...)
	rep.Warnings = append(rep.Warnings, r.blockedErr...)
	if r.hurried {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("snapshots are slow (%v each): near the %v cap they were taken closer than %d× that apart, so the run would get the snapshots a verdict needs; a longer MaxDuration spaces them out",
			roundDuration(r.snapCost()), c.maxDuration, snapshotSpacing))
	}
	fitted := r.hist.len() - r.hist.warm
	switch r.mode {
	case modeWatch:
		r.watchWarnings(rep, fitted, undecided, runErr)
		return rep
	case modeAnalyze:
		r.analyzeWarnings(rep)
		return rep
	}
	switch {
	case r.firstFitOps < 0:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the run ended in warm-up (%s of %s ops): nothing was decided", units.Group(rep.Ops), units.Group(c.warmUp)))
	case stopped == StopLeak && undecided > 0:
		rep.Warnings = append(rep.Warnings, stoppedAtLeak(undecided))
	case r.brk != nil:
	case rep.Ops-r.firstFitOps < c.minOps:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("need ≥ %s ops after warm-up before any verdict (a cache may still be filling); ran %s: raise MaxDuration or lower MinOps",
			units.Group(c.minOps), units.Group(rep.Ops-r.firstFitOps)))
	case undecided > 0 && runErr == nil && stopped == StopMaxDuration:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d %s undecided at the %v cap pass; the largest slope not ruled out is shown, and a longer run (%s) narrows it",
			undecided, plural(undecided, "symbol", "symbols"), c.maxDuration, EnvMaxDuration))
	}
	if n := r.failingPlateaus(); n > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d %s went flat as the ops started failing (far more failed after than before): a limit reached, perhaps, so undecided, not within because the growth stopped",
			n, plural(n, "series", "series")))
	}
	if r.finalErr != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the final snapshot, after the hammer stopped, failed (%v): the verdicts are on the snapshots before it", r.finalErr))
	}
	if r.hist.stalled >= 0 {
		rep.Warnings = append(rep.Warnings, "the last snapshot was taken with ops in flight (the target had stalled): not a quiesce point, and what those ops hold is in it")
	}
	if r.stuck != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("after the stall, %v; their goroutines are left blocked", r.stuck))
	}
	if fitted < 8 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("need ≥ 8 snapshots after warm-up to fit a trend; have %d", fitted))
	}
	return rep
}

// verdict is sym's verdict as the run has decided it, with its trend on
// both axes and its origin; without what holds it.
func (r *run) verdict(sym Symbol) Verdict {
	res := r.results[sym]
	b := r.budgetFor(sym)
	v := Verdict{Symbol: sym, Budget: *b, Stopped: res.Stopped, Tolerated: res.Tolerated, Exhausted: r.brk.exhausted(sym)}
	switch {
	case r.sticky[sym]:
		v.Decision = Leak
	case res.Decision == decide.Within:
		v.Decision = Within
	default:
		v.Decision = Undecided
	}
	p := r.points(sym)
	other := p.secs
	if b.PerTime > 0 {
		other = p.ops
	}
	// The other axis's fit; a watch counted no ops: no slope per op.
	of := stats.Fit{Slope: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	if r.mode != modeWatch {
		of = stats.TheilSenBlocks(other, p.vals, p.blocks, res.Level)
	}
	v.Trend = Trend{Level: res.Level, P: res.P, Points: len(p.vals), Resolution: r.floors[sym]}
	if r.mode == modeAnalyze {
		v.Trend.Per = "dump"
	}
	if b.PerTime > 0 {
		v.Trend.PerSecond, v.Trend.PerSecondLo, v.Trend.PerSecondHi = res.Fit.Slope, res.Fit.Lo, res.Fit.Hi
		v.Trend.PerOp, v.Trend.PerOpLo, v.Trend.PerOpHi = of.Slope, of.Lo, of.Hi
	} else {
		v.Trend.PerOp, v.Trend.PerOpLo, v.Trend.PerOpHi = res.Fit.Slope, res.Fit.Lo, res.Fit.Hi
		v.Trend.PerSecond, v.Trend.PerSecondLo, v.Trend.PerSecondHi = of.Slope, of.Lo, of.Hi
	}
	v.First, v.Last, v.Restarts, v.Series = p.first, p.last, p.restarts, p.series
	if l, ok := r.limits[sym]; ok && l.Value > 0 {
		v.Limit = &l
		if s := v.Trend.PerSecond; s > 0 && !math.IsNaN(v.Last) && l.Value > v.Last {
			v.TimeToLimit = time.Duration(min((l.Value-v.Last)/s, float64(math.MaxInt64/2)/1e9) * float64(time.Second))
		}
	}
	v.Origin = r.origin(sym)
	return v
}

// origin is the first describing probe's word on where sym comes from.
func (r *run) origin(sym Symbol) Origin {
	for _, p := range r.probes {
		if d, ok := p.(Describer); ok {
			if o, ok := d.Describe(sym); ok {
				return o
			}
		}
	}
	return Origin{}
}

func stoppedAtLeak(undecided int) string {
	return fmt.Sprintf("the run stopped at the look that proved a leak; %d %s still undecided (UntilAllDecided, or the CLI's --all, decides them)",
		undecided, plural(undecided, "symbol was", "symbols were"))
}

// sortVerdicts puts leaks first: those charged to user code before those
// charged to the standard library alone, then heap bytes, goroutines and
// the rest, each by slope, most first. Then undecided by the slope not
// ruled out, then within budget by name.
func sortVerdicts(vs []Verdict) {
	rank := map[Decision]int{Leak: 0, Undecided: 1, Within: 2}
	kindRank := func(k Kind) int {
		switch k {
		case KindHeapBytes:
			return 0
		case KindGoroutines:
			return 1
		case KindHeapObjects:
			return 3
		}
		return 2
	}
	key := func(v Verdict) float64 {
		if v.Decision == Undecided {
			return upper(v)
		}
		if v.Budget.PerTime > 0 {
			return v.Trend.PerSecond
		}
		return v.Trend.PerOp
	}
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := vs[i], vs[j]
		if rank[a.Decision] != rank[b.Decision] {
			return rank[a.Decision] < rank[b.Decision]
		}
		if a.Decision == Within {
			return a.Symbol < b.Symbol
		}
		if a.UserCode != b.UserCode {
			return a.UserCode
		}
		if ka, kb := kindRank(a.Kind()), kindRank(b.Kind()); ka != kb {
			return ka < kb
		}
		if x, y := key(a), key(b); x != y && !math.IsNaN(x) && !math.IsNaN(y) {
			return x > y
		}
		return a.Symbol < b.Symbol
	})
}

// writeProbeProfiles writes the first/last heap profiles of a probe that
// reads them from elsewhere, when the run has no in-process heap probe.
func (r *run) writeProbeProfiles() {
	if r.heap != nil {
		return
	}
	for _, p := range r.probes {
		if pr, ok := p.(Profiler); ok {
			first, last := pr.Profiles()
			if first != nil && last != nil {
				r.artifacts.writeBytes(ArtifactFirstProfile, "first.pb.gz", first)
				r.artifacts.writeBytes(ArtifactLastProfile, "last.pb.gz", last)
				return
			}
		}
	}
}

// fitFrom makes the snapshot just taken, at ops, the first after warm-up:
// the fit starts there, and so does the heap profiles' diff.
func (r *run) fitFrom(ops int64) {
	r.firstFitOps = ops
	r.markFirst()
}

// markFirst keeps the heap profile of the first snapshot after warm-up.
func (r *run) markFirst() {
	r.artifacts.writeProfile(ArtifactFirstProfile, r.heap != nil)
	for _, p := range r.probes {
		if pr, ok := p.(Profiler); ok {
			pr.KeepFirst()
		}
	}
}
