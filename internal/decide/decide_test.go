package decide

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func line(n int, spacing float64, f func(i int, x float64) float64) Series {
	s := Series{X: make([]float64, n), Y: make([]float64, n)}
	for i := range s.X {
		s.X[i] = float64(i+1) * spacing
		s.Y[i] = f(i, s.X[i])
	}
	return s
}

func decideOne(s Series, look int) Result {
	return Decide([]Series{s}, Config{Alpha: 0.05, Look: look, Eligible: true})[0]
}

func TestSteadyLeakIsALeak(t *testing.T) {
	// One 64-byte object every 50 ops, snapshots every 300 ops.
	s := line(34, 300, func(_ int, x float64) float64 { return 4096 + 64*math.Floor(x/50) })
	r := decideOne(s, 1)
	if r.Decision != Leak {
		t.Fatalf("decision = %v (p=%g, fit %+v), want leak", r.Decision, r.P, r.Fit)
	}
	if r.Fit.Lo <= 0 || math.Abs(r.Fit.Slope-64.0/50) > 0.1 {
		t.Errorf("fit = %+v, want slope ≈ 1.28 B/op with positive lower bound", r.Fit)
	}
}

func TestFlatIsWithin(t *testing.T) {
	r := decideOne(line(10, 300, func(int, float64) float64 { return 512 }), 1)
	if r.Decision != Within || r.Fit.Hi != 0 {
		t.Errorf("decision = %v, fit %+v; want within with upper bound 0", r.Decision, r.Fit)
	}
}

func TestNotEligibleDecidesNothing(t *testing.T) {
	s := line(34, 300, func(_ int, x float64) float64 { return x })
	r := Decide([]Series{s}, Config{Alpha: 0.05, Look: 1})[0]
	if r.Decision != Undecided {
		t.Errorf("decision = %v before MinOps, want undecided", r.Decision)
	}
}

func TestTooFewPointsIsUndecided(t *testing.T) {
	r := decideOne(line(5, 300, func(_ int, x float64) float64 { return x }), 1)
	if r.Decision != Undecided || !r.Short {
		t.Errorf("decision = %v short=%v with 5 points, want undecided and short", r.Decision, r.Short)
	}
}

// An LRU capped at 4096 entries, one new entry per op, seen over 10,000
// ops: it grew, then stopped. Not a leak, and the run has seen it stop.
func TestCacheThatFilledIsNotALeak(t *testing.T) {
	s := line(34, 300, func(_ int, x float64) float64 { return 48 * math.Min(x+1000, 4096) })
	r := decideOne(s, 1)
	if r.Decision != Within || !r.Stopped {
		t.Errorf("decision = %v stopped=%v (p=%g), want within because the growth stopped", r.Decision, r.Stopped, r.P)
	}
}

// The same cache seen while still filling at the end is not decided
// either way: the run must go on.
func TestCacheStillFillingInLastQuarterIsNotALeak(t *testing.T) {
	s := line(34, 300, func(_ int, x float64) float64 { return 48 * math.Min(x, 9000) })
	if r := decideOne(s, 1); r.Decision == Leak {
		t.Errorf("cache filling until 9000 of 10200 ops: decision leak (p=%g)", r.P)
	}
}

// One step up (a map table doubling) in an otherwise flat series.
func TestOneStepIsNotALeak(t *testing.T) {
	for _, at := range []int{3, 17, 30} {
		s := line(34, 300, func(i int, _ float64) float64 {
			if i >= at {
				return 8192
			}
			return 4096
		})
		if r := decideOne(s, 1); r.Decision == Leak {
			t.Errorf("step at point %d: leak (p=%g)", at, r.P)
		}
	}
}

// The family-wise guarantee under adaptive stopping: clean noisy runs with
// many symbols, looked at after every new point until all are decided or a
// cap, never give a leak verdict more often than α. Symbols sit exactly at
// their budget, the hardest case for H0.
func TestFamilyWiseFalseLeakRateUnderAdaptiveStopping(t *testing.T) {
	runs := 3000 / simDivisor
	if testing.Short() {
		runs = 600
	}
	const alpha, workers = 0.05, 2
	type tally struct{ falseRuns, detected int }
	out := make(chan tally)
	for w := 0; w < workers; w++ {
		go func(seed uint64) {
			r := rand.New(rand.NewPCG(seed, 12))
			var tl tally
			for run := 0; run < runs/workers; run++ {
				f, d := simulateRun(r, alpha)
				if f {
					tl.falseRuns++
				}
				if d {
					tl.detected++
				}
			}
			out <- tl
		}(uint64(w))
	}
	var total tally
	for w := 0; w < workers; w++ {
		tl := <-out
		total.falseRuns += tl.falseRuns
		total.detected += tl.detected
	}
	rate := float64(total.falseRuns) / float64(runs)
	t.Logf("%d runs: false-leak rate %.4f (α=%g), real leak found in %.1f%%", runs, rate, alpha, 100*float64(total.detected)/float64(runs))
	if rate > alpha {
		t.Errorf("family-wise false-leak rate %.4f > α = %g", rate, alpha)
	}
	if total.detected < runs*9/10 {
		t.Errorf("real leak found in only %d of %d runs", total.detected, runs)
	}
}

// simulateRun is one adaptive run over 8 clean noisy symbols, half of them
// sitting exactly at their budget (the boundary of H0, the hardest case),
// a third in whole 112-byte objects (ties), and one real leak to show the
// look sequence has power. It looks every 4 points until all are decided.
func simulateRun(r *rand.Rand, alpha float64) (falseLeak, found bool) {
	const m, maxN = 8, 48
	full := make([]Series, m+1)
	for j := range full {
		budget := 0.0
		if j%2 == 1 {
			budget = 2
		}
		full[j] = Series{Budget: budget, X: make([]float64, maxN), Y: make([]float64, maxN)}
		for i := range full[j].X {
			x := float64(i+1) * 300
			noise := r.NormFloat64() * 400
			if j%3 == 0 {
				noise = math.Round(noise/112) * 112
			}
			full[j].X[i] = x
			full[j].Y[i] = budget*x + noise
		}
	}
	for i := range full[m].X {
		full[m].Y[i] = 5*full[m].X[i] + r.NormFloat64()*400
	}
	look := 0
	series := make([]Series, len(full))
	for n := 16; n <= maxN; n += 4 {
		look++
		for j := range full {
			series[j] = Series{X: full[j].X[:n], Y: full[j].Y[:n], Budget: full[j].Budget}
		}
		undecided := 0
		for j, rr := range Decide(series, Config{Alpha: alpha, Look: look, Eligible: true}) {
			switch {
			case rr.Decision == Leak && j < m:
				falseLeak = true
			case rr.Decision == Leak:
				found = true
			case rr.Decision == Undecided:
				undecided++
			}
		}
		if undecided == 0 {
			break
		}
	}
	return falseLeak, found
}

// parallel runs f runs times over two workers, each with its own seeded
// generator: the simulations are the slow part of the suite.
func parallel(runs int, f func(r *rand.Rand)) {
	const workers = 2
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 99))
			for run := w; run < runs; run += workers {
				f(r)
			}
		}(uint64(w))
	}
	wg.Wait()
}

// shape is a clean or leaking series' value at point i (1-based x = i·300).
type shape func(i int) float64

// adaptive runs the look sequence of a run over full series: the first
// eligible look at first points, then a look every step points up to the
// series' length, until every series is decided. It returns each series'
// final decision and whether it was ever within at a look before its end.
func adaptive(full []Series, first, step int, alpha float64) (final []Decision, everWithin []bool) {
	final = make([]Decision, len(full))
	everWithin = make([]bool, len(full))
	leak := make([]bool, len(full)) // leak verdicts are final
	series := make([]Series, len(full))
	n := len(full[0].X)
	look := 0
	for k := first; k <= n; k += step {
		look++
		for j := range full {
			series[j] = Series{X: full[j].X[:k], Y: full[j].Y[:k], Budget: full[j].Budget, Tolerance: full[j].Tolerance}
		}
		undecided := 0
		for j, r := range Decide(series, Config{Alpha: alpha, Look: look, Eligible: true}) {
			switch {
			case leak[j] || r.Decision == Leak:
				leak[j], final[j] = true, Leak
			case r.Decision == Within:
				final[j] = Within
				everWithin[j] = true
			default:
				final[j] = Undecided
				undecided++
			}
		}
		if undecided == 0 {
			break
		}
	}
	return final, everWithin
}

func seriesOf(n int, budget float64, f shape) Series {
	s := Series{Budget: budget, X: make([]float64, n), Y: make([]float64, n)}
	for i := range s.X {
		s.X[i] = float64(i+1) * 300
		s.Y[i] = f(i)
	}
	return s
}

// boundedRise is a flat–rise–flat shape: flat at base, rising from point a
// to point b by total (linearly, in steps of quantum, or in one step), then
// flat, with optional noise. In the fitted run of any look it is either
// over (the last quarter is flat) or began after the first quarter of the
// run so far (b ≤ 4a), which is the rule's promise for bounded rises.
func boundedRise(r *rand.Rand, n int) shape {
	var a, b int
	if r.IntN(3) == 0 {
		a = r.IntN(12) // over before the first look (at 32 points)
		b = a + 2 + r.IntN(24-a-1)
	} else {
		a = 8 + r.IntN(n-56)
		b = min(a+4+r.IntN(3*a-3), n-40) // seen to stop before the end
		if b < a+2 {
			b = a + 2
		}
	}
	base := float64(r.IntN(1 << 20))
	total := float64(1+r.IntN(1<<16)) * 16
	quantum := 0.0
	switch r.IntN(3) {
	case 0:
		quantum = float64(int(16) << r.IntN(8)) // objects of one size
	case 1:
		quantum = total // one step (a table doubling)
	}
	noise := 0.0
	if r.IntN(2) == 0 {
		noise = 256 * r.Float64() // a few objects' worth
	}
	return func(i int) float64 {
		f := math.Min(math.Max(float64(i-a)/float64(b-a), 0), 1)
		v := total * f
		if quantum > 0 {
			v = math.Floor(v/quantum) * quantum
		}
		return base + v + r.NormFloat64()*noise
	}
}

// Flat, bounded rise, flat — a buffer filling late, a timer-driven
// plateau, a pool stepping up — of many shapes and positions, never gives
// a leak verdict more often than α over whole adaptive runs, and such
// runs end decided.
func TestBoundedRisesFalseLeakRate(t *testing.T) {
	runs := 3000 / simDivisor
	if testing.Short() {
		runs = 400
	}
	const alpha, n, m = 0.05, 128, 6
	var mu sync.Mutex
	falseRuns, decided := 0, 0
	parallel(runs, func(r *rand.Rand) {
		full := make([]Series, m)
		for j := range full {
			full[j] = seriesOf(n, 0, boundedRise(r, n))
			full[j].Tolerance = 0.5
		}
		final, _ := adaptive(full, 32, 4, alpha)
		bad, und := false, false
		for _, d := range final {
			bad = bad || d == Leak
			und = und || d == Undecided
		}
		mu.Lock()
		defer mu.Unlock()
		if bad {
			falseRuns++
		}
		if !und {
			decided++
		}
	})
	rate := float64(falseRuns) / float64(runs)
	t.Logf("%d runs of %d bounded rises each: false-leak rate %.4f (α=%g); %d runs ended decided", runs, m, rate, alpha, decided)
	if rate > alpha {
		t.Errorf("false-leak rate %.4f > α = %g over bounded rises", rate, alpha)
	}
	if decided < runs*9/10 {
		t.Errorf("only %d of %d runs of bounded rises ended decided", decided, runs)
	}
}

// A leak that starts late — when a cache is full and starts evicting into
// a list, when a pool runs dry — is flat for most of the fitted run: it is
// never within budget at any look, and is a leak by the end.
func TestLateLeakIsNeverWithinAndIsFound(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 128
	missed := 0
	for run := 0; run < 500/simDivisor; run++ {
		// From inside the first look's first quarter to late enough that
		// the run is 6× as long as the flat start by its last look.
		start := 8 + r.IntN(13)
		slope := 16 * float64(1+r.IntN(8))
		noise := 0.0
		if run%2 == 1 {
			noise = slope * 300 * 2 * r.Float64()
		}
		base := float64(r.IntN(1 << 20))
		s := seriesOf(n, 0, func(i int) float64 {
			return base + slope*300*float64(max(i-start, 0)) + r.NormFloat64()*noise
		})
		s.Tolerance = 0.5
		final, everWithin := adaptive([]Series{s}, 32, 4, 0.05)
		if everWithin[0] {
			t.Fatalf("run %d: leak of %g B/op starting at point %d (noise %g) was within budget at a look", run, slope, start, noise)
		}
		switch {
		case final[0] == Leak:
		case noise == 0:
			t.Fatalf("run %d: exact leak of %g B/op starting at point %d ended %v, want leak", run, slope, start, final[0])
		default:
			missed++
		}
	}
	if noisy := 250 / simDivisor; missed > noisy/20 {
		t.Errorf("%d of %d noisy late leaks still undecided after %d points", missed, noisy, n)
	}
	// Leaks that start later still, up to near the end: too late to be
	// proven in 128 points, and never within budget at any look on the way.
	for run := 0; run < 500/simDivisor; run++ {
		start := 24 + r.IntN(n-30)
		slope := float64(1 + r.IntN(64))
		s := seriesOf(n, 0, func(i int) float64 { return 4096 + slope*300*float64(max(i-start, 0)) })
		for k, look := 32, 1; k <= n; k, look = k+4, look+1 {
			rr := Decide([]Series{{X: s.X[:k], Y: s.Y[:k]}}, Config{Alpha: 0.05, Look: look, Eligible: true})[0]
			if k > start+1 && rr.Decision == Within {
				t.Fatalf("run %d: leak of %g B/op starting at point %d was within budget at the look at %d points", run, slope, start, k)
			}
		}
	}
}

// The same late rise that stops ends within budget because the growth
// stopped, never a leak.
func TestLateRiseThatStopsIsWithin(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n = 128
	for run := 0; run < 500/simDivisor; run++ {
		a := 8 + r.IntN(30)
		b := a + 4 + r.IntN(min(3*a-3, n-a-40))
		s := seriesOf(n, 0, func(i int) float64 {
			return 4096 + 64*float64(min(max(i-a, 0), b-a))
		})
		final, _ := adaptive([]Series{s}, 32, 4, 0.05)
		if final[0] != Within {
			t.Fatalf("run %d: rise from point %d to %d then flat ended %v, want within", run, a, b, final[0])
		}
	}
}

// A noisy but stationary series (a router's buffers, a janitor's
// evictions) is within by the tolerance within a few looks; a noisy leak
// well over the tolerance is not.
func TestNoisyStationaryIsWithinByTolerance(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n = 128
	looks := 0
	for run := 0; run < 300/simDivisor; run++ {
		s := seriesOf(n, 0, func(int) float64 { return 1<<20 + math.Round(r.NormFloat64()*2)*4096 })
		s.Tolerance = 1
		decidedAt := 0
		for k := 32; k <= n && decidedAt == 0; k += 4 {
			rr := Decide([]Series{{X: s.X[:k], Y: s.Y[:k], Budget: 0, Tolerance: 1}}, Config{Alpha: 0.05, Look: (k-32)/4 + 1, Eligible: true})[0]
			if rr.Decision == Leak {
				t.Fatalf("run %d: stationary noise is a leak at %d points", run, k)
			}
			if rr.Decision == Within {
				decidedAt = k
				if rr.Fit.Hi > 1 && !rr.Stopped || rr.Tolerated != (rr.Fit.Hi > 0 && !rr.Stopped) {
					t.Fatalf("run %d: within with fit %+v tolerated=%v stopped=%v, want Hi ≤ 1, tolerated when over 0", run, rr.Fit, rr.Tolerated, rr.Stopped)
				}
			}
		}
		if decidedAt == 0 {
			t.Fatalf("run %d: stationary noise undecided after %d points", run, n)
		}
		looks += (decidedAt-32)/4 + 1
	}
	t.Logf("stationary noise within after %.1f looks on average", float64(looks)/float64(300/simDivisor))
	// A slow leak of whole objects, exactly accounted (one 64-byte object
	// every 2,400 ops, far under the tolerance), has no noise to tolerate.
	stairs := seriesOf(n, 0, func(i int) float64 { return 4096 + 64*float64(i/8) })
	stairs.Tolerance = 1
	if _, everWithin := adaptive([]Series{stairs}, 32, 4, 0.05); everWithin[0] {
		t.Errorf("a staircase leak of 0.027 B/op was within by a tolerance of 1 B/op")
	}
	// A leak of 4 B/op under the same noise: never within by the
	// tolerance, and its last quarter taken for flat (Sen's bound at the
	// look's level) at most as often as α.
	within, runs := 0, 1500/simDivisor
	for run := 0; run < runs; run++ {
		s := seriesOf(n, 0, func(i int) float64 { return 1<<20 + 4*300*float64(i) + math.Round(r.NormFloat64()*2)*4096 })
		s.Tolerance = 1
		final, _ := adaptive([]Series{s}, 32, 4, 0.05)
		if final[0] == Within {
			within++
		}
	}
	if within > runs/20 {
		t.Errorf("a 4 B/op leak under noise ended within budget in %d of %d runs", within, runs)
	}
	t.Logf("a 4 B/op leak under noise ended within budget in %d of %d runs", within, runs)
}

// A target that broke: the series up to the break is decided before
// MinOps, and a flat end is not growth that stopped.
func TestBrokenTarget(t *testing.T) {
	s := line(28, 300, func(_ int, x float64) float64 { return 100 + math.Floor(x) })
	r := Decide([]Series{s}, Config{Alpha: 0.05, Look: 1, Broken: true})[0]
	if r.Decision != Leak {
		t.Errorf("growth up to the break: decision %v (p=%g), want leak before MinOps", r.Decision, r.P)
	}
	plateau := line(40, 300, func(_ int, x float64) float64 { return math.Min(x, 6000) })
	if r := Decide([]Series{plateau}, Config{Alpha: 0.05, Look: 1, Broken: true})[0]; r.Decision == Within {
		t.Errorf("a plateau of a broken target: within (stopped=%v), want not within", r.Stopped)
	}
	if r := Decide([]Series{plateau}, Config{Alpha: 0.05, Look: 1, Eligible: true})[0]; r.Decision != Within || !r.Stopped {
		t.Errorf("the same plateau of a working target: %v stopped=%v, want within because the growth stopped", r.Decision, r.Stopped)
	}
}

// A plateau while the target's ops start failing is not growth that
// stopped.
func TestPlateauWhileFailingIsNotStopped(t *testing.T) {
	plateau := line(40, 300, func(_ int, x float64) float64 { return math.Min(x, 6000) })
	ops := make([]float64, len(plateau.X))
	errs := make([]float64, len(plateau.X))
	for i, x := range plateau.X {
		ops[i] = x
		errs[i] = math.Max(0, x-6000) / 3 // a third fail once the plateau begins
	}
	if r := Decide([]Series{plateau}, Config{Alpha: 0.05, Look: 1, Eligible: true, Ops: ops, Errors: errs})[0]; r.Decision == Within || !r.Failing {
		t.Errorf("a plateau as ops start failing: %v (stopped=%v, failing=%v), want undecided", r.Decision, r.Stopped, r.Failing)
	}
	for i := range errs {
		errs[i] = ops[i] / 3 // a third fail all along: not a change
	}
	if r := Decide([]Series{plateau}, Config{Alpha: 0.05, Look: 1, Eligible: true, Ops: ops, Errors: errs})[0]; r.Decision != Within || !r.Stopped {
		t.Errorf("a plateau with errors all along: %v (stopped=%v), want within because the growth stopped", r.Decision, r.Stopped)
	}
}

// One dip early in a run is not noise now: an exact staircase leak with a
// dip at its start is not within, by the tolerance or as growth that
// stopped.
func TestStaircaseWithAnEarlyDipIsNotWithin(t *testing.T) {
	s := seriesOf(100, 0, func(i int) float64 { return 4096 + 64*float64(i/8) })
	s.Y[3] -= 16
	for _, tol := range []float64{0, 1} {
		s.Tolerance = tol
		if _, everWithin := adaptive([]Series{s}, 32, 4, 0.05); everWithin[0] {
			t.Errorf("tolerance %g: a staircase with one early dip was within budget", tol)
		}
	}
}
