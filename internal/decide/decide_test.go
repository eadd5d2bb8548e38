package decide

import (
	"math"
	"math/rand/v2"
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
	runs := 3000
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
