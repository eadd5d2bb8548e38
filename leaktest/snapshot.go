package leaktest

import "time"

// Snapshot is what the probes read at one quiesce point: the time, the ops
// completed so far, and a value per symbol. Symbols absent from Values were
// zero (an allocation site with nothing live).
type Snapshot struct {
	Time    time.Time
	Elapsed time.Duration
	Ops     int64
	WarmUp  bool // taken during warm-up, left out of the fit
	// Stalled: taken while ops were still in flight, because no op was
	// completing: not a quiesce point (ops in flight hold memory).
	Stalled bool
	Values  map[Symbol]float64
}
