package leaktest

// Hooks for the external tests, which create goroutines as user code.
var (
	NewGoroutineProbe = func() Probe { return newGoroutineProbe() }
	BaseLocation      = baseLocation
)

// NewHeapProbe and StartProbe let benchmarks drive the heap probe alone.
var NewHeapProbe = func() Probe { return newHeapProbe() }

func StartProbe(p Probe) (stop func()) {
	lc := p.(lifecycle)
	lc.start()
	return lc.stop
}
