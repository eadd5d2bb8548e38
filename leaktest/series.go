package leaktest

import (
	"math"
	"slices"
)

// Series is one symbol's values over the kept snapshots of a run, in
// order, with the x axes the trend can use.
type Series struct {
	Symbol  Symbol
	Ops     []float64
	Seconds []float64
	Values  []float64
	WarmUp  int // the first WarmUp points are warm-up, left out of the fit
}

// present returns s without its gaps (a fleet series's missing scrapes,
// NaN): what a chart can draw.
func (s Series) present() Series {
	if !slices.ContainsFunc(s.Values, math.IsNaN) {
		return s
	}
	out := Series{Symbol: s.Symbol}
	for i, v := range s.Values {
		if math.IsNaN(v) {
			continue
		}
		if i < s.WarmUp {
			out.WarmUp++
		}
		out.Ops, out.Seconds, out.Values = append(out.Ops, s.Ops[i]), append(out.Seconds, s.Seconds[i]), append(out.Values, v)
	}
	return out
}
