package leaktest

// Hooks for the external tests, which create goroutines as user code.
var (
	NewGoroutineProbe = func() Probe { return newGoroutineProbe() }
	BaseLocation      = baseLocation
)

// NewHeapProbe lets benchmarks drive the heap probe alone (a Starter).
var NewHeapProbe = func() Probe { return newHeapProbe() }
