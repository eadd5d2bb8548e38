package leaktest

// Hooks for the external tests, which create goroutines as user code.
var (
	NewGoroutineProbe = func() Probe { return newGoroutineProbe() }
	BaseLocation      = baseLocation
)

// NewHeapProbe lets benchmarks drive the heap probe alone (a Starter).
var NewHeapProbe = func() Probe { return newHeapProbe() }

// WriteBaseline writes rep's slopes as Baseline does.
var WriteBaseline = writeBaseline

// ReportForBaseline is a report of three symbols, one flat, in an order
// the baseline must sort.
func ReportForBaseline() *Report {
	return &Report{Axis: AxisOps, Ops: 1000, Verdicts: []Verdict{
		{Symbol: "process.rss", Trend: Trend{PerOp: 3, PerOpLo: 1, PerOpHi: 5}},
		{Symbol: "heap.bytes:flat", Trend: Trend{}},
		{Symbol: "heap.bytes:a", Trend: Trend{PerOp: 24, PerOpLo: 24, PerOpHi: 24}},
	}}
}
