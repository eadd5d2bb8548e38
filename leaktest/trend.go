package leaktest

// Trend is a series' Theil–Sen slope per op and per second, each with the
// bounds of Sen's interval at the level the decision used (Level, one
// sided per bound). Infinite bounds mean too few points to bound it.
type Trend struct {
	PerOp, PerOpLo, PerOpHi             float64
	PerSecond, PerSecondLo, PerSecondHi float64
	Level                               float64 // one-sided level of each bound
	P                                   float64 // p-value of "slope > budget" (intersection–union over the windows)
	Points                              int     // snapshots in the fit (after warm-up)
	// Resolution is the smallest slope sampled data could show over the
	// run (in the budget's unit: per op, or per second for a per-time
	// budget); 0 for exact data. A slope under it is never ruled out.
	Resolution float64
	// Per names the unit of the PerOp fields: "op", or "dump" when
	// Analyze trended dump files (x is then the dump's number).
	Per string
}

func (t Trend) per() string {
	if t.Per == "" {
		return "op"
	}
	return t.Per
}
