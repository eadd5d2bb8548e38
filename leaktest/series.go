package leaktest

// Series is one symbol's values over the kept snapshots of a run, in
// order, with the x axes the trend can use.
type Series struct {
	Symbol  Symbol
	Ops     []float64
	Seconds []float64
	Values  []float64
	WarmUp  int // the first WarmUp points are warm-up, left out of the fit
}
