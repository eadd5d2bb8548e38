package probe

import "github.com/leakslope/leakslope/leaktest"

// PprofWithLimit is Pprof with a smaller bound on what a response may
// have.
func PprofWithLimit(baseURL string, limit int64) leaktest.Probe {
	p := Pprof(baseURL).(*pprofProbe)
	p.limit = limit
	return p
}
