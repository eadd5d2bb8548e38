// Package baseline compares the slopes of two runs of the same checks: a
// slope credibly higher than before is a regression, even when it is
// within its budget — a leak added a little at a time passes every check
// against a budget, not one against the last run.
package baseline

import (
	"cmp"
	"math"
	"slices"
)

// Slope is one symbol's slope in a run, with its confidence interval (Lo
// is -Inf and Hi +Inf where the run could not bound it).
type Slope struct {
	Symbol        string
	Slope, Lo, Hi float64
}

// Change is a symbol's slope before and after; Old or New is nil for a
// symbol only one run had.
type Change struct {
	Symbol     string
	Old, New   *Slope
	Regression bool
}

// Credible says whether now is credibly higher than was: now's lower bound
// is over zero (it grows) and over was's upper bound by more than
// tolerance of it (0.1: 10%). A symbol was did not have (nil) regresses
// when it now grows at all.
func Credible(was, now *Slope, tolerance float64) bool {
	if now == nil || !(now.Lo > 0) {
		return false
	}
	if was == nil {
		return true
	}
	return now.Lo > was.Hi+tolerance*math.Max(was.Hi, 0)
}

// Compare pairs the slopes of two runs by symbol: the regressions first,
// then the rest, each by symbol.
func Compare(old, new []Slope, tolerance float64) []Change {
	by := map[string]*Change{}
	var out []*Change
	get := func(sym string) *Change {
		if c := by[sym]; c != nil {
			return c
		}
		c := &Change{Symbol: sym}
		by[sym] = c
		out = append(out, c)
		return c
	}
	for i := range old {
		get(old[i].Symbol).Old = &old[i]
	}
	for i := range new {
		get(new[i].Symbol).New = &new[i]
	}
	res := make([]Change, len(out))
	for i, c := range out {
		c.Regression = Credible(c.Old, c.New, tolerance)
		res[i] = *c
	}
	slices.SortFunc(res, func(a, b Change) int {
		if a.Regression != b.Regression {
			if a.Regression {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Symbol, b.Symbol)
	})
	return res
}
