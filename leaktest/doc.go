// Package leaktest is leakslope's core: it hammers a target (package
// runner), snapshots memory at the quiesce points between rounds, fits a
// trend to every symbol's series and decides, per symbol, leak, within
// budget or undecided.
//
// In a test:
//
//	func TestSessionStoreDoesNotLeak(t *testing.T) {
//		store := NewStore()
//		leaktest.Check(t, runner.Func(func(ctx context.Context, i int) error {
//			return store.Handle(ctx, fmt.Sprintf("user-%d", i))
//		}))
//	}
//
// Check fails the test with a message that names the growing symbols, most
// first: the allocation site in your code (function and file:line) or the
// goroutine creation site, the slope per op and per second with its
// interval, the budget, the first → last value, the stack, and the ready
// `go tool pprof -diff_base first.pb.gz last.pb.gz` command. A pass logs
// what was ruled out.
//
// # Symbols
//
//   - heap.bytes:SITE, heap.objects:SITE — live heap by allocation site,
//     exact (MemProfileRate = 1 during the run, read after forced GCs with
//     no op in flight). SITE is the innermost frame in user code; standard
//     library frames under it (fmt.Sprintf, map growth, append) are charged
//     to it. The runtime's own caches (sudogs, g structs, defer records,
//     timer heaps) and leakslope's own allocations are never symbols.
//   - goroutines:SITE — live goroutines by the go statement that made them.
//     Built with Go 1.27, a run also asks the runtime, at its end, which
//     goroutines are blocked forever (the goroutineleak profile): those
//     the run started make their site a leak however short the run
//     (Verdict.Blocked), with the stack they are blocked at.
//   - runtime.heap.bytes, runtime.goroutines — runtime totals (no default
//     budget; add one with WithBudget to test them).
//   - gauge:NAME — a value of yours (Gauge).
//   - process.fds, process.threads — the test's own process, against its
//     limits (RLIMIT_NOFILE, debug.SetMaxThreads); in package probe,
//     probe.Process reads them and process.rss for another process by pid.
//   - heap.bytes:SITE, heap.objects:SITE, goroutines:SITE of a remote Go
//     service, from its net/http/pprof endpoints (probe.Pprof). Its heap
//     profile is sampled: flat sites are never called within a budget
//     under the sampling's resolution.
//
// # Probes of your own
//
// A Probe is two methods; a probe may also implement Describer (where a
// symbol comes from), Starter (prepare and undo around a run), Sampler
// (its data is sampled), Profiler (first and last profiles), Warner
// (warnings for the report), Limiter (limits a series can run into),
// Holder (what holds a leak), Blocker (goroutines blocked forever),
// Fleet and Historian.
// The built-in probes use nothing else, so one of yours (a Redis INFO
// memory, a pool's connections) has their powers; see Example (probe).
//
// # Outside the process
//
// Run with WithoutHeap, WithoutGoroutines and WithoutResources and the
// probes of package probe (probe.Process, probe.Pprof) hammers a service
// from outside (the leakslope CLI's hammer). Watch
// snapshots probes every Interval with no hammer, x being time; with Since
// it first reads a Historian probe's past (probe.Prometheus's range
// queries) and decides on it at once. A Fleet probe's series have gaps
// and restarts, fitted between restarts, and may be pooled in groups.
// Analyze and
// AnalyzeFiles trend snapshots taken elsewhere — pprof heap profiles,
// goroutine dumps, SOS !dumpheap -stat logs, JVM class histograms — x
// being the dump's number.
//
// # Decision rule
//
// Theil–Sen slope with Sen's interval; leak when the lower bound is over
// the budget and the growth holds in the last half and last quarter of
// the run; within when the upper bound is at or under it; otherwise
// undecided, and the run goes on until all are decided or MaxDuration.
// Holm–Bonferroni across symbols and α spent across looks keep the
// family-wise false-leak rate of a run under Alpha (see internal/decide).
// No verdict is given before MinOps ops after warm-up, the time a bounded
// cache needs to fill.
//
// # Process-wide
//
// Heap accounting is process-wide: runs are serialized (a second Check
// waits for the first), and tests running beside a check in t.Parallel
// would be measured too.
package leaktest
