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

// PprofWithLimit is Pprof with a smaller bound on what a response may
// have.
func PprofWithLimit(baseURL string, limit int64) Probe {
	p := Pprof(baseURL).(*pprofProbe)
	p.limit = limit
	return p
}

// MarkFirst, Profiles and Warnings drive a probe's report hooks as a run
// does.
func MarkFirst(p Probe)                      { p.(profiler).markFirst() }
func Profiles(p Probe) (first, last []byte)  { return p.(profiler).profiles() }
func Warnings(p Probe, rep *Report) []string { return p.(warner).warnings(rep) }
