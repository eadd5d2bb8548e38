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

// warner is implemented by probes whose data has limits a reader must
// know of (sampled heap profiles): their warnings join the report's.
type warner interface {
	warnings(rep *Report) []string
}

// sampler is implemented by probes whose values are sampled (a remote
// heap profile): a flat series from them does not rule out growth under
// the sampling's resolution. resolution is the smallest slope, per unit
// of x, that the data could have shown over an x span of span.
type sampler interface {
	resolution(sym Symbol, span float64) float64
}

// profiler is implemented by probes that read a heap profile at each
// snapshot (a remote service's): the first after warm-up and the last are
// written as the report's first/last profiles.
type profiler interface {
	markFirst() // the profile just read is the first after warm-up
	profiles() (first, last []byte)
}
