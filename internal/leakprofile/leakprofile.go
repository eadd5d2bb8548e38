// Package leakprofile lets a test that needs Go 1.27's goroutineleak
// profile skip, saying why, where the toolchain lacks it, and fail
// instead where it must run (.ci/run's Go 1.27 line). Tests only.
package leakprofile

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
)

// Need skips t where the toolchain has no goroutineleak profile, or fails
// it when LEAKSLOPE_NEED_GOROUTINELEAK=1 says the profile must be there.
func Need(t testing.TB) {
	t.Helper()
	if pprof.Lookup("goroutineleak") != nil {
		return
	}
	if os.Getenv("LEAKSLOPE_NEED_GOROUTINELEAK") == "1" {
		t.Fatalf("%s has no goroutineleak profile, and LEAKSLOPE_NEED_GOROUTINELEAK=1 says it must", runtime.Version())
	}
	t.Skipf("%s has no goroutineleak profile (Go 1.27 has; .ci/run runs this test with GOTOOLCHAIN=go1.27.3)", runtime.Version())
}
