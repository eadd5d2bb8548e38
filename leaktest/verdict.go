package leaktest

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
	// Origin: the charged function, its file:line, the stack, and whether
	// it is user code, from the first probe that describes the symbol.
	Origin
	// HeldBy: what keeps a leaking heap site's objects alive, from the
	// first probe (a Holder) that could say; nil otherwise. Under a
	// leaking runtime.heap.bytes, the undecided heap.bytes sites that grew
	// most (the suspects the failure message names under it) have theirs
	// too.
	HeldBy *HeldBy
}

// Kind is the symbol's kind, "heap.bytes" and so on.
func (v Verdict) Kind() Kind { return v.Symbol.Kind() }
