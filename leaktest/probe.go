package leaktest

import "context"

// Probe takes the values of a snapshot at a quiesce point: no op is in
// flight while Take runs.
type Probe interface {
	Name() string
	Take(ctx context.Context) ([]Sample, error)
}

// Sample is one symbol's value in a snapshot.
type Sample struct {
	Symbol Symbol
	Value  float64
}

// Describer is implemented by probes that can say where a symbol comes
// from: the charged function, its file:line, and the whole stack.
type Describer interface {
	Describe(sym Symbol) (fn, site string, stack []string, ok bool)
}

// lifecycle is implemented by built-in probes that change process state
// for the run (the heap probe sets MemProfileRate) and must restore it.
type lifecycle interface {
	start() error
	stop()
}

// userCoder is implemented by built-in probes that know whether a symbol
// is charged to user code: those lead a failure message.
type userCoder interface {
	inUserCode(sym Symbol) bool
}
