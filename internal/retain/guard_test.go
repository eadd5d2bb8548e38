package retain

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// leakGoroutineAndDetect leaks a goroutine blocked forever on a channel
// nothing else can reach, and runs Go 1.27's leak detection, which marks
// it leaked.
func leakGoroutineAndDetect() {
	go func() {
		ch := make(chan int)
		<-ch
	}()
	// Detect until the goroutine, once blocked, is found: on a busy
	// machine it may not have reached the receive yet.
	p := pprof.Lookup("goroutineleak")
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		p.WriteTo(io.Discard, 0)
		if p.Count() > 0 {
			return
		}
	}
}

// TestGoroutineLeakGuard: once the goroutineleak profile has marked
// goroutines leaked, the runtime's heap dump writer crashes the process
// (it does not expect their status), so Capture refuses instead. Both
// run in child processes.
func TestGoroutineLeakGuard(t *testing.T) {
	switch os.Getenv("LEAKSLOPE_GUARD_CHILD") {
	case "capture":
		leakGoroutineAndDetect()
		_, err := Capture([]string{"x.f x.go:1"})
		var ue *UnavailableError
		if errors.As(err, &ue) && strings.Contains(err.Error(), "goroutineleak") {
			os.Stdout.WriteString("REFUSED: " + err.Error() + "\n")
		}
		return
	case "raw":
		leakGoroutineAndDetect()
		f, _ := os.CreateTemp("", "dump")
		defer os.Remove(f.Name())
		debug.WriteHeapDump(f.Fd())
		os.Stdout.WriteString("WROTE\n")
		return
	}
	if pprof.Lookup("goroutineleak") == nil {
		t.Skipf("%s has no goroutineleak profile (Go 1.27 has; .ci/run tests this package with GOTOOLCHAIN=go1.27.3)", runtime.Version())
	}
	child := func(mode string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGoroutineLeakGuard$", "-test.v")
		cmd.Env = append(os.Environ(), "LEAKSLOPE_GUARD_CHILD="+mode)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := child("capture")
	if err != nil || !strings.Contains(out, "REFUSED: retention paths are not available: the goroutineleak profile marked 1 goroutines leaked") {
		t.Errorf("Capture after leak detection: %v\n%s", err, out)
	}
	// Without the guard: the crash it prevents. If a later Go fixes the
	// writer, this says so, and the guard can go.
	out, err = child("raw")
	if err == nil || !strings.Contains(out, "dumpgs in STW - bad status") {
		t.Errorf("WriteHeapDump after leak detection did not crash (fixed in %s? then drop the guard): %v\n%s", runtime.Version(), err, out)
	}
}
