package leaktest

import (
	"context"
	"time"
)

// Probe takes the values of a snapshot. In Run it is called at a quiesce
// point: no op is in flight while Take runs. An error ends the run with
// the report so far, naming the probe.
//
// A probe may also implement any of Describer, Starter, Sampler,
// Profiler, Warner, Limiter, Holder, Blocker, Fleet and Historian; a run
// asks each probe for each, as io.Copy asks a writer for io.ReaderFrom. The built-in probes, here and
// in package probe, use these and nothing else, so a probe written
// elsewhere (a Redis INFO memory, a database's connection count) has
// their powers.
type Probe interface {
	// Name names the probe in errors and the report: "pprof
	// http://127.0.0.1:6060/debug/pprof".
	Name() string
	// Take reads the values of one snapshot. A symbol missing from a
	// snapshot is 0 there (a site with nothing live, a class with no
	// instance): a probe that cannot read a value must fail, not omit it.
	// (A Fleet's missing symbol is a gap instead: a pod not there.)
	Take(ctx context.Context) ([]Sample, error)
}

// Sample is one symbol's value in a snapshot.
type Sample struct {
	Symbol Symbol
	Value  float64
}

// Origin is where a symbol's values come from, as a failure message shows
// it under the symbol.
type Origin struct {
	// Func is the function charged: the allocating one for heap symbols
	// (closures named by their enclosing function), the one with the go
	// statement for goroutines: "store.(*Store).Put".
	Func string
	Site string // its file:line: "store.go:42"
	// Stack is the whole stack, innermost first, one "function\n\tfile:line"
	// entry per frame.
	Stack []string
	// UserCode is true when Func is the user's code (or a library it
	// calls), not the runtime's or the standard library's alone: leaks in
	// user code lead the failure message.
	UserCode bool
}

// Describer is implemented by probes that can say where a symbol comes
// from. The first probe of a run that knows a symbol describes it.
type Describer interface {
	Describe(sym Symbol) (Origin, bool)
}

// Starter is implemented by probes that prepare for a run and undo it
// after: Start is called once before the first snapshot (an error ends
// the run before it begins), Stop once after the last, however the run
// ended. The heap probe sets runtime.MemProfileRate in Start and restores
// it in Stop.
type Starter interface {
	Start(ctx context.Context) error
	Stop()
}

// Sampler is implemented by probes whose values are sampled (a heap
// profile records one allocation per 512 KiB): a flat series from them
// does not rule out growth under the sampling's resolution, and a verdict
// is never "within" a budget under it.
//
// Resolution is the smallest slope of sym, per unit of x (op, second in a
// Watch, dump in an Analyze), that the data could have shown over an x
// span of span; 0 for exact data. A verdict's Trend.Resolution is the sum
// over the run's probes.
type Sampler interface {
	Resolution(sym Symbol, span float64) float64
}

// Profiler is implemented by probes that read a heap profile at each
// snapshot (a remote service's): a run without the in-process heap probe
// writes theirs as the report's first and last profiles
// (ArtifactFirstProfile, ArtifactLastProfile).
type Profiler interface {
	// KeepFirst is called right after the first snapshot after warm-up:
	// the profile just read is the first.
	KeepFirst()
	// Profiles gives the kept first and the latest profile as gzipped
	// pprof protos; nil for none.
	Profiles() (first, last []byte)
}

// Warner is implemented by probes whose data has limits a reader must
// know of (sampled profiles, a total the source could not give): Warnings
// is called once the report's verdicts are set, and its warnings join the
// report's.
type Warner interface {
	Warnings(rep *Report) []string
}

// Limiter is implemented by probes whose symbols have limits the system
// can run out of (open files, threads, memory). Limits is read after
// every snapshot: a series that climbed during the run to most of its
// limit broke the target (StopExhausted), which decides it on the data so
// far.
type Limiter interface {
	Limits() map[Symbol]Limit
}

// Holder is implemented by probes that can say what keeps a leaking heap
// site's objects alive (HeldBy): the in-process heap probe reads a heap
// dump of the process; probe.Pprof asks a service that mounts package
// heldby. HeldBy is called once, at the end of a run or watch that found
// heap leaks, with their sites ("store.newSession store.go:38"; and, when
// runtime.heap.bytes leaked, the sites growing most under it) while
// the hammer is still quiesced and before any teardown; it is never
// called otherwise, so a run without a heap leak pays nothing. An error
// becomes a warning of the report: the verdicts stand without it.
type Holder interface {
	HeldBy(ctx context.Context, sites []string) (map[string]*HeldBy, error)
}

// Blocker is implemented by probes that can ask a Go runtime which
// goroutines are blocked forever (Go 1.27's goroutine leak detection, the
// goroutineleak profile): the in-process goroutine probe asks this
// process's, probe.Pprof its service's /debug/pprof/goroutineleak.
// Blocked is called once, at the end of a run or watch, after HeldBy (a
// detection marks the goroutines it finds, and the runtime's heap dump
// crashes on marked goroutines) and before any teardown. It returns them
// by creation-site symbol (the probe's goroutines:… symbols), but those
// alive at the probe's first snapshot; run is the value of the run's
// "leakslope.run" profiler label, which the ops' goroutines carry, for a
// probe that can read labels (Blocked.Labeled).
// A runtime without the profile gives nil and no error. An error becomes
// a warning of the report.
type Blocker interface {
	Blocked(ctx context.Context, run string) (map[Symbol]*Blocked, error)
}

// Fleet is implemented by probes whose symbols are the series of
// processes that come, go and restart: a fleet's, as Prometheus has it.
// For their symbols a run
//   - takes a snapshot without the symbol as a gap (no point), not as 0:
//     a pod that is gone has no memory, and one that came has no past;
//   - splits the series at every drop of more than half of its value (an
//     OOM kill, a deploy) into segments, and fits its slope within
//     segments only, never across a restart: repeated climb-and-restart
//     is a leak, and its slope is the climb's. Verdict.Restarts counts
//     them;
//   - pools the series that Group gives one group symbol into that
//     symbol: its slope is fitted within the segments of all of them
//     (per series: "grows 31 MiB/h per pod"), and it has the verdict,
//     not they. Verdict.Series counts them.
//
// A Limiter's limits of fleet symbols give their verdicts a TimeToLimit;
// a fleet series at its limit is not a broken target (it restarts).
type Fleet interface {
	// Group returns the symbol sym is pooled into, or sym itself.
	Group(sym Symbol) Symbol
}

// Historian is implemented by probes that can read the past, as
// Prometheus's range queries do: a Watch with Since reads the last while
// first, and decides on it at once, before it snapshots anything.
type Historian interface {
	// History calls add with the snapshots of the probe from from to to,
	// in time order, step apart or more (the probe may take a coarser
	// step, to ask its source for no more than it allows). An error from
	// add ends History with that error; what was added before stays.
	History(ctx context.Context, from, to time.Time, step time.Duration, add func(at time.Time, samples []Sample) error) error
}
