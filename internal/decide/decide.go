// Package decide is leakslope's decision rule, as a pure function over the
// series of one look, so that it can be simulated by the thousand.
//
// For every series it tests H0: slope ≤ budget against H1: slope > budget.
// A leak verdict needs three things:
//
//  1. The run is long enough to have seen a cache fill (the caller's
//     Eligible, from MinOps): before that, an LRU capped at a few thousand
//     entries is indistinguishable from a leak, and no decision is made.
//  2. Growth holds now, not just once. The p-value is the largest of three
//     Kendall tests: over the whole fitted run, over its last half and over
//     its last quarter (an intersection–union test, valid at level α with no
//     adjustment). Growth that stopped (a cache reaching its cap, one map
//     table doubling, a runtime free list stepping up) leaves the last
//     quarter flat and cannot pass.
//  3. Holm–Bonferroni over all series of the look, at the look's share of α
//     (stats.SpendAlpha), so the family-wise false-leak rate over the whole
//     adaptive run stays ≤ α.
//
// A series is within budget when the upper bound of its slope, at the same
// level, is at or under the budget — over the whole run, or over the last
// quarter (the growth stopped). Otherwise it is undecided.
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
	X      []float64 // the budget's axis: ops, or seconds
	Y      []float64
	Budget float64 // max slope per unit of X
}

// Config is what one look knows about the run.
type Config struct {
	Alpha     float64 // family-wise false-leak rate over the whole run
	Look      int     // 1-based count of eligible looks, this one included
	Eligible  bool    // the run is long enough for decisions (MinOps reached)
	MinPoints int     // points each window needs; default 8
}

// Result is the decision for one series with the numbers behind it.
type Result struct {
	Decision Decision
	Fit      stats.Fit // whole run, bounds at Level
	Recent   stats.Fit // last quarter, bounds at Level
	P        float64   // intersection–union p-value for slope > budget
	Level    float64   // one-sided level of the bounds (Holm's, this look)
	Stopped  bool      // within because the growth stopped (last quarter flat)
	Short    bool      // too few points to decide
}

// Decide applies the rule to all series of one look.
func Decide(series []Series, cfg Config) []Result {
	if cfg.MinPoints <= 0 {
		cfg.MinPoints = 8
	}
	look := stats.SpendAlpha(cfg.Alpha, cfg.Look)
	res := make([]Result, len(series))
	p := make([]float64, len(series))
	for i, s := range series {
		res[i].Short = len(s.X) < cfg.MinPoints
		p[i] = 1
		if res[i].Short || !cfg.Eligible || flatWithin(s) {
			continue
		}
		p[i] = math.Max(stats.PGreater(s.X, s.Y, s.Budget),
			math.Max(windowP(s, 0.5, cfg.MinPoints), windowP(s, 0.75, cfg.MinPoints)))
	}
	reject, level := stats.Holm(p, look)
	for i, s := range series {
		r := &res[i]
		r.P, r.Level = p[i], level[i]
		r.Fit = stats.TheilSen(s.X, s.Y, r.Level)
		if r.Short {
			continue
		}
		wx, wy := window(s, 0.75, cfg.MinPoints)
		r.Recent = stats.TheilSen(wx, wy, r.Level)
		if !cfg.Eligible {
			continue
		}
		switch {
		case reject[i] && r.Fit.Lo > s.Budget && r.Recent.Lo > s.Budget:
			r.Decision = Leak
		case r.Fit.Hi <= s.Budget:
			r.Decision = Within
		case r.Recent.Hi <= s.Budget:
			r.Decision, r.Stopped = Within, true
		}
	}
	return res
}

// flatWithin reports a constant series under a non-negative budget: its
// p-value is 1 for certain, and skipping the tests keeps a look over
// thousands of clean allocation sites cheap.
func flatWithin(s Series) bool {
	if s.Budget < 0 {
		return false
	}
	for _, v := range s.Y[1:] {
		if v != s.Y[0] {
			return false
		}
	}
	return true
}

func windowP(s Series, from float64, minPoints int) float64 {
	x, y := window(s, from, minPoints)
	return stats.PGreater(x, y, s.Budget)
}

// window returns the points whose X lies in the last (1-from) of the X
// range, extended back to at least minPoints points.
func window(s Series, from float64, minPoints int) (x, y []float64) {
	n := len(s.X)
	if n == 0 {
		return nil, nil
	}
	cut := s.X[0] + from*(s.X[n-1]-s.X[0])
	i := n
	for i > 0 && s.X[i-1] >= cut {
		i--
	}
	if n-i < minPoints {
		i = max(0, n-minPoints)
	}
	return s.X[i:], s.Y[i:]
}
