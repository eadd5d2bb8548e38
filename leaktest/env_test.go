package leaktest_test

import (
	"context"
	"flag"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// A nightly soak changes the cap with no code change: the environment
// overrides MaxDuration in code.
func TestEnvironmentOverridesMaxDuration(t *testing.T) {
	t.Setenv(leaktest.EnvMaxDuration, "400ms")
	start := time.Now()
	rep, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error { return nil }),
		leaktest.MaxDuration(time.Hour), leaktest.MinOps(1<<40), leaktest.SnapshotEvery(1000))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stopped != leaktest.StopMaxDuration || time.Since(start) > 10*time.Second {
		t.Errorf("stopped %q after %v; the environment's 400ms cap should hold over the code's 1h", rep.Stopped, time.Since(start))
	}
}

func TestBadEnvironmentNamesTheVariable(t *testing.T) {
	t.Setenv(leaktest.EnvMaxDuration, "forever")
	t.Setenv(leaktest.EnvMinOps, "-3")
	_, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error { return nil }))
	for _, want := range []string{`LEAKSLOPE_MAX_DURATION="forever": want a positive duration`, `LEAKSLOPE_MIN_OPS="-3": want a whole number ≥ 0`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to contain %q", err, want)
		}
	}
}

// deadlineTB is a TB whose test ends soon, as with go test -timeout.
type deadlineTB struct {
	fakeTB
	deadline time.Time
}

func (d *deadlineTB) Deadline() (time.Time, bool) { return d.deadline, true }

func TestCheckLeavesRoomBeforeTheTestDeadline(t *testing.T) {
	const left = 4 * time.Second
	tb := &deadlineTB{fakeTB: fakeTB{name: "TestNearDeadline"}, deadline: time.Now().Add(left)}
	rep := leaktest.Check(tb, runner.Func(func(context.Context, int) error { return nil }), leaktest.MinOps(1<<40), leaktest.SnapshotEvery(1000))
	// The code asked for 30s; the deadline capped the run to 3/4 of what
	// was left, keeping the rest for the report.
	if rep.Stopped != leaktest.StopMaxDuration || rep.Duration >= left {
		t.Errorf("stopped %q after %v with %v left before the deadline", rep.Stopped, rep.Duration, left)
	}
}

func TestMemProfileRateIsRestored(t *testing.T) {
	before := runtime.MemProfileRate
	if _, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error { return nil }), leaktest.MaxDuration(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if runtime.MemProfileRate != before {
		t.Errorf("MemProfileRate = %d after the run, %d before", runtime.MemProfileRate, before)
	}
}

// The -leakslope.* flags are on a test binary's flag set, and not on that
// of a program that imports leaktest.
func TestFlagsOnlyInTestBinaries(t *testing.T) {
	if flag.Lookup("leakslope.max-duration") == nil || flag.Lookup("leakslope.min-ops") == nil || flag.Lookup("leakslope.artifacts") == nil {
		t.Fatal("the test binary lacks the -leakslope.* flags")
	}
	if testing.Short() {
		t.Skip("builds a program; runs without -short")
	}
	out, err := exec.Command("go", "run", "./testdata/flagprog").CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "false" {
		t.Errorf("a program importing leaktest has its flags: %q", got)
	}
}
