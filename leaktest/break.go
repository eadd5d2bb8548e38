package leaktest

import (
	"fmt"
)

// Break is how the target broke during a run: it stopped completing ops,
// its ops started failing after a phase of working, or a resource reached
// its limit. Growth that ends so is the strongest evidence of a leak there
// is: the run is decided on the data up to the break, without waiting for
// MinOps, and the report leads with what broke.
type Break struct {
	Reason StopReason // StopStalled, StopFailing or StopExhausted
	Op     int64      // ops completed when it broke (0 in a Watch)
	// What broke, as the message's first line says it: "the target
	// stopped completing ops at op 9,994 (op error: … too many open files)".
	What string
	// Exhausted: the symbol at its limit, its value and the limit.
	Symbol       Symbol
	Value, Limit float64
	LimitName    string // "RLIMIT_NOFILE", "GOMEMLIMIT", …
}

func (b *Break) Error() string { return b.What }

// Limit is a resource's limit, for a symbol that can run out.
type Limit struct {
	Value float64
	Name  string // where the limit comes from: "RLIMIT_NOFILE", "GOMEMLIMIT", …
}

// exhaustedShare is how close to its limit a series must come to be
// exhausted, and exhaustedRise how much of the limit it must have climbed
// during the run: a resource that sits near its limit from the start is
// a large process, not a leak.
const (
	exhaustedShare = 0.9
	exhaustedRise  = 0.25
)

// failingShare is the share of the ops since the last snapshot that must
// have failed, after a run whose ops mostly worked (at most okShare
// failed), for the target to be failing.
const (
	failingShare = 0.5
	okShare      = 0.1
	failingMin   = 8 // ops, so one round of a slow target is not a trend
)

func (b *Break) exhausted(sym Symbol) bool {
	return b != nil && b.Reason == StopExhausted && b.Symbol == sym
}

func exhaustedText(sym Symbol, v float64, l Limit, at string) string {
	return fmt.Sprintf("%s reached %s of its limit %s (%s) %s", sym, formatValue(sym, v), formatValue(sym, l.Value), l.Name, at)
}
