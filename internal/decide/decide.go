// Package decide is leakslope's decision rule, as a pure function over the
// series of one look, so that it can be simulated by the thousand.
//
// For every series it tests H0: slope ≤ budget against H1: slope > budget.
// A leak verdict needs three things:
//
//  1. The run is long enough to have seen a cache fill (the caller's
//     Eligible, from MinOps): before that, an LRU capped at a few thousand
//     entries is indistinguishable from a leak, and no decision is made.
//     A target that broke (Config.Broken) lifts this wait: its failure is
//     the evidence that the growth did not stop by itself.
//  2. Growth is sustained over the whole fitted run, not a burst that the
//     end of the run happened to catch. The p-value is the largest of five
//     Kendall tests: over the whole fitted run and over each of its four
//     quarters (an intersection–union test, valid at level α with no
//     adjustment). Growth that stopped (a cache reaching its cap, one map
//     table doubling) leaves the last quarter flat; growth that started
//     late (a buffer filling after 200k ops) leaves the first quarter
//     flat; neither can pass. A rise is called a leak only once it has
//     held from the first quarter of the run so far to its end.
//  3. Holm–Bonferroni over all series of the look, at the look's share of α
//     (stats.SpendAlpha), so the family-wise false-leak rate over the whole
//     adaptive run stays ≤ α.
//
// Within budget is the other side, and it is never concluded while the
// recent part of the run grows: the last quarter must show no growth over
// the budget (its Kendall test not significant at α, its slope estimate
// not over budget + tolerance). Then a series is
// within when the upper bound of its slope, at the same level as the leak
// test's, is at or under the budget over the whole run, or over the last
// quarter (the growth stopped — unless the target broke, when a plateau is
// the limit, not a cap). A noisy but stationary series never reaches an
// upper bound of exactly 0; with a Tolerance it is within once its upper
// bound is at or under budget + tolerance, provided the series is noisy
// (it goes down somewhere; a staircase of whole leaked objects is not):
// what was ruled out is every slope over that bound.
// Otherwise it is undecided.
package decide

import (
	"math"

	"github.com/leakslope/leakslope/internal/stats"
)

// Decision is the outcome for one series.
type Decision int

const (
	Undecided Decision = iota
	Within
	Leak
)

// Series is one symbol's points after warm-up, in increasing X.
type Series struct {
	X []float64 // the budget's axis: ops, or seconds
	Y []float64
	// Blocks, when there are more than one, are the start indices of runs
	// of points compared only among themselves, each in increasing X: the
	// segments of a series between restarts, and of all the series of a
	// group. A slope is then fitted within blocks (stats' blocked
	// Theil–Sen and Kendall), never across a restart or between two
	// processes. nil: one block.
	Blocks []int
	Budget float64 // max slope per unit of X
	// Tolerance is how far over the budget the upper bound of a series
	// with no sign of growth may be and still be within: the precision
	// the caller asks of noisy series. 0: none (exact data needs none).
	Tolerance float64
}

// DefaultMinPoints is how many points each window needs unless
// Config.MinPoints says otherwise: a series shorter is undecided.
const DefaultMinPoints = 8

// Config is what one look knows about the run.
type Config struct {
	Alpha     float64 // family-wise false-leak rate over the whole run
	Look      int     // 1-based count of eligible looks, this one included
	Eligible  bool    // the run is long enough for decisions (MinOps reached)
	MinPoints int     // points each window needs; default DefaultMinPoints
	// Broken: the target stopped working (stalled, failing, a resource at
	// its limit). The caller passes the series up to the break; a look is
	// made whether or not MinOps was reached, and a flat end is not taken
	// for growth that stopped by itself.
	Broken bool
	// Ops and Errors, when given, are the ops and the op errors so far at
	// each point (the same points for every series): a series that went
	// flat as the ops started failing may have reached a limit, and is not
	// taken for growth that stopped.
	Ops, Errors []float64
}

// Result is the decision for one series with the numbers behind it.
type Result struct {
	Decision  Decision
	Fit       stats.Fit // whole run, bounds at Level
	Recent    stats.Fit // last quarter, bounds at Level
	P         float64   // intersection–union p-value for slope > budget
	Level     float64   // one-sided level of the bounds (Holm's, this look)
	Stopped   bool      // within because the growth stopped (last quarter flat)
	Tolerated bool      // within by the tolerance: the upper bound is over the budget
	Growing   bool      // the recent part grows: within is not concluded
	Failing   bool      // went flat as ops started failing: not "stopped"
	Short     bool      // too few points to decide
}

// quarters are the windows whose growth a leak must show, besides the
// whole run's: together they say the growth held all along.
var quarters = [][2]float64{{0, 0.25}, {0.25, 0.5}, {0.5, 0.75}, {0.75, 1}}

// Decide applies the rule to all series of one look.
func Decide(series []Series, cfg Config) []Result {
	if cfg.MinPoints <= 0 {
		cfg.MinPoints = DefaultMinPoints
	}
	eligible := cfg.Eligible || cfg.Broken
	look := stats.SpendAlpha(cfg.Alpha, cfg.Look)
	res := make([]Result, len(series))
	p := make([]float64, len(series))
	for i, s := range series {
		res[i].Short = len(s.X) < cfg.MinPoints
		p[i] = 1
		if res[i].Short || !eligible || flatWithin(s) {
			continue
		}
		p[i] = stats.PGreaterBlocks(s.X, s.Y, s.Blocks, s.Budget)
		for _, q := range quarters {
			if p[i] > look { // cannot be rejected by Holm at any rank
				break
			}
			w := window(s, q[0], q[1], cfg.MinPoints)
			p[i] = math.Max(p[i], stats.PGreaterBlocks(w.X, w.Y, w.Blocks, s.Budget))
		}
	}
	reject, level := stats.Holm(p, look)
	for i, s := range series {
		r := &res[i]
		r.P, r.Level = p[i], level[i]
		r.Fit = stats.TheilSenBlocks(s.X, s.Y, s.Blocks, r.Level)
		if r.Short {
			continue
		}
		w := window(s, 0.75, 1, cfg.MinPoints)
		r.Recent = stats.TheilSenBlocks(w.X, w.Y, w.Blocks, r.Level)
		if !eligible {
			continue
		}
		if reject[i] && r.Fit.Lo > s.Budget && r.Recent.Lo > s.Budget {
			r.Decision = Leak
			continue
		}
		if flatWithin(s) {
			r.Decision = Within
			continue
		}
		r.Growing = growing(s, r.Recent, w, cfg)
		if r.Growing {
			continue
		}
		// A series that went flat as the ops started failing may be at a
		// limit: within, by any route, would call the limit a plateau.
		if r.Failing = len(s.Blocks) <= 1 && failedAsItStopped(s, w.Y, cfg); r.Failing {
			continue
		}
		b, tol := s.Budget, s.Tolerance
		fell := w.falls()
		switch {
		case r.Fit.Hi <= b:
			r.Decision = Within
		case r.Recent.Hi <= b && !cfg.Broken && (fell || s.pausedLonger()):
			r.Decision, r.Stopped = Within, true
		case tol <= 0:
		case r.Fit.Hi <= b+tol && fell:
			r.Decision, r.Tolerated = Within, true
		case r.Recent.Hi <= b+tol && !cfg.Broken && fell:
			r.Decision, r.Stopped, r.Tolerated = Within, true, true
		}
	}
	return res
}

// failedAsItStopped reports that the ops failed far more after the series
// reached the level of its last quarter (recent) than before: at least 5%
// of them, and five times the earlier share. Ops and Errors count from the
// run's start.
func failedAsItStopped(s Series, recent []float64, cfg Config) bool {
	n := len(s.Y)
	if len(cfg.Ops) != n || len(cfg.Errors) != n || len(recent) == 0 || n < 2 {
		return false
	}
	level := recent[0]
	for _, v := range recent {
		level = min(level, v)
	}
	k := 0
	for k < n-1 && s.Y[k] < level {
		k++
	}
	rate := func(i, j int) float64 {
		if d := cfg.Ops[j] - cfg.Ops[i]; d > 0 {
			return (cfg.Errors[j] - cfg.Errors[i]) / d
		}
		return 0
	}
	if k == 0 || k == n-1 {
		return false
	}
	// Before: from the run's start to the last point under the level (the
	// counts are cumulative), so that a rise thinned into one interval
	// still has a before.
	before := 0.0
	if cfg.Ops[k-1] > 0 {
		before = cfg.Errors[k-1] / cfg.Ops[k-1]
	}
	after := rate(k, n-1)
	return after >= 0.05 && after >= 5*before
}

// growing reports growth over the budget in the recent part of the run
// (its last quarter): by Kendall's test at the run's α, unadjusted — a
// sensitive test, since its only cost on a clean series is a later
// verdict — or by a slope estimate over budget + tolerance. A leak that
// started before the last quarter grows through all of it; one that
// started inside it grows at its end; exact data that rose at its last
// point is growing now.
func growing(s Series, recent stats.Fit, w Series, cfg Config) bool {
	if recent.Slope > s.Budget+s.Tolerance {
		return true
	}
	// Exact data that just rose: the rise is the newest thing known. With
	// blocks, in the newest block alone, and only one long enough to be
	// more than a process warming up after a restart.
	if b, ok := w.newest(); ok && (len(w.Blocks) <= 1 || len(b.Y) >= cfg.MinPoints/2) {
		if n := len(b.Y); n >= 2 && b.Y[n-1] > b.Y[n-2] && !falls(b.Y) {
			return true
		}
	}
	return stats.PGreaterBlocks(w.X, w.Y, w.Blocks, s.Budget) <= cfg.Alpha
}

// blocks splits s into its blocks (sub-slices, not copies).
func (s Series) blocks() []Series {
	if len(s.Blocks) <= 1 {
		return []Series{s}
	}
	out := make([]Series, len(s.Blocks))
	for k, from := range s.Blocks {
		to := len(s.X)
		if k+1 < len(s.Blocks) {
			to = s.Blocks[k+1]
		}
		out[k] = Series{X: s.X[from:to], Y: s.Y[from:to]}
	}
	return out
}

// newest returns the block whose last point is the newest of s (the
// longest, of several); false when s has no points.
func (s Series) newest() (Series, bool) {
	var best Series
	found := false
	for _, b := range s.blocks() {
		n := len(b.X)
		if n == 0 {
			continue
		}
		if !found || b.X[n-1] > best.X[len(best.X)-1] || b.X[n-1] == best.X[len(best.X)-1] && n > len(best.X) {
			best, found = b, true
		}
	}
	return best, found
}

// falls reports that some block of s goes down somewhere.
func (s Series) falls() bool {
	for _, b := range s.blocks() {
		if falls(b.Y) {
			return true
		}
	}
	return false
}

// pausedLonger reports that every block of s has paused longer at its
// end than between its earlier rises.
func (s Series) pausedLonger() bool {
	long := false
	for _, b := range s.blocks() {
		if len(b.Y) >= 2 && !pausedLonger(b.X, b.Y) {
			return false
		}
		long = long || len(b.Y) >= 2
	}
	return long
}

// falls reports that y goes down somewhere: the noise that a tolerance is
// for. A staircase that only ever rises — a slow leak of whole objects,
// exactly accounted — has none, and no tolerance applies to it. Callers
// look at the last quarter: one dip early in a run is not noise now.
func falls(y []float64) bool {
	for i := 1; i < len(y); i++ {
		if y[i] < y[i-1] {
			return true
		}
	}
	return false
}

// pausedLonger reports that a series that only ever rises has been flat at
// its end for more than twice as long as any pause between two of its
// earlier rises. A slow leak of whole objects is a staircase whose last
// quarter may hold no step; only a pause longer than its steps' spacing
// says the growth stopped. (One step, a map table doubling, has no
// earlier pause: its flat last quarter is enough.)
func pausedLonger(x, y []float64) bool {
	n := len(y)
	if n < 2 {
		return false
	}
	end := n - 1
	for end > 0 && y[end-1] == y[n-1] {
		end--
	}
	tail := x[n-1] - x[end]
	longest, rose := 0.0, -1
	for i := 1; i <= end; i++ {
		if y[i] > y[i-1] {
			if rose >= 0 {
				longest = max(longest, x[i-1]-x[rose])
			}
			rose = i
		}
	}
	return tail > 2*longest
}

// flatWithin reports a constant series under a non-negative budget: its
// p-value is 1 for certain, and skipping the tests keeps a look over
// thousands of clean allocation sites cheap.
func flatWithin(s Series) bool {
	if s.Budget < 0 || len(s.Y) == 0 {
		return false
	}
	for _, v := range s.Y[1:] {
		if v != s.Y[0] {
			return false
		}
	}
	return true
}

// window returns the points whose X lies in [from, to] of the X range (as
// fractions of it), widened on both sides, as far as the series allows,
// to at least minPoints points.
func window(s Series, from, to float64, minPoints int) Series {
	if len(s.Blocks) > 1 {
		return blockWindow(s, from, to, minPoints)
	}
	x, y := window1(s, from, to, minPoints)
	return Series{X: x, Y: y}
}

// blockWindow is window over blocks: each block's points in the X range,
// the range widened by tenths of the span until they are minPoints.
func blockWindow(s Series, from, to float64, minPoints int) Series {
	x0, x1 := math.Inf(1), math.Inf(-1)
	for _, v := range s.X {
		x0, x1 = min(x0, v), max(x1, v)
	}
	span := x1 - x0
	for {
		lo, hi := x0+from*span, x0+to*span
		var w Series
		for _, b := range s.blocks() {
			start := len(w.X)
			for i, v := range b.X {
				if v >= lo && v <= hi {
					w.X, w.Y = append(w.X, v), append(w.Y, b.Y[i])
				}
			}
			if len(w.X) > start {
				w.Blocks = append(w.Blocks, start)
			}
		}
		if len(w.X) >= minPoints || (from <= 0 && to >= 1) {
			return w
		}
		from, to = max(0, from-0.1), min(1, to+0.1)
	}
}

func window1(s Series, from, to float64, minPoints int) (x, y []float64) {
	n := len(s.X)
	if n == 0 {
		return nil, nil
	}
	x0, span := s.X[0], s.X[n-1]-s.X[0]
	lo, hi := x0+from*span, x0+to*span
	i, j := 0, n
	for i < n && s.X[i] < lo {
		i++
	}
	for j > i && s.X[j-1] > hi {
		j--
	}
	for j-i < minPoints && (i > 0 || j < n) {
		if j < n {
			j++
		}
		if j-i < minPoints && i > 0 {
			i--
		}
	}
	return s.X[i:j], s.Y[i:j]
}
