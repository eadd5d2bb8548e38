package leaktest

import "time"

// Decision is a verdict's outcome.
type Decision string

const (
	Leak      Decision = "leak"      // the slope's lower bound is over the budget, and growth holds now
	Within    Decision = "within"    // the slope's upper bound is at or under the budget
	Undecided Decision = "undecided" // neither: more data needed
)

// Verdict is the decision for one symbol, with what the failure message
// needs to say about it.
type Verdict struct {
	Symbol   Symbol
	Decision Decision
	Trend    Trend
	Budget   Budget
	First    float64 // value at the first snapshot after warm-up
	Last     float64 // value at the last snapshot
	// Stopped: within budget because the growth stopped (the last quarter
	// of the run is flat), not because there was none.
	Stopped bool
	// Tolerated: within budget by the Tolerance of a noisy series: the
	// upper bound of its slope is over the budget, by less than it.
	Tolerated bool
	// Exhausted: the series reached most of its resource's limit; the
	// report's Broken says which and when.
	Exhausted bool
	// Restarts: the drops of more than half (an OOM kill, a deploy) in
	// the fitted points of a fleet's series (a group's: of all its
	// series), where its segments begin. The slope is the climb's within
	// segments.
	Restarts int
	// Series: how many series a group pools (probe.Prometheus's
	// GroupBy); its slope is per series. 0 for a symbol of its own.
	Series int
	// Limit: the symbol's limit, when a probe knows it (a Limiter:
	// RLIMIT_NOFILE, a container's memory limit); nil otherwise.
	Limit *Limit
	// TimeToLimit: how long, from the last snapshot, the symbol would take
	// to reach its Limit at its slope per second; 0 when it has no limit,
	// is at or over it, or does not grow.
	TimeToLimit time.Duration
	// Origin: the charged function, its file:line, the stack, and whether
	// it is user code, from the first probe that describes the symbol.
	Origin
	// HeldBy: what keeps a leaking heap site's objects alive, from the
	// first probe (a Holder) that could say; nil otherwise. Under a
	// leaking runtime.heap.bytes, the undecided heap.bytes sites that grew
	// most (the suspects the failure message names under it) have theirs
	// too.
	HeldBy *HeldBy
	// Blocked: the goroutines of a goroutine symbol that the runtime
	// found blocked forever (Go 1.27's goroutineleak profile), charged to
	// the run; a leak whatever the trend. nil otherwise.
	Blocked *Blocked
}

// Kind is the symbol's kind, "heap.bytes" and so on.
func (v Verdict) Kind() Kind { return v.Symbol.Kind() }
