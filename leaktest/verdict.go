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
	Func      string   // the charged function, closures named by their enclosing one
	Site      string   // file.go:LINE of the charged frame (allocation or go statement)
	Stack     []string // "function\n\tfile:line" per frame, innermost first
	// UserCode: charged to the user's code (or a library it called), not
	// to a standard-library frame with no user caller.
	UserCode bool
}

// Kind is the symbol's kind, "heap.bytes" and so on.
func (v Verdict) Kind() string { return v.Symbol.Kind() }
