package leaktest_test

import (
	"context"
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
	if rep.Stopped != "max duration" || time.Since(start) > 10*time.Second {
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
	tb := &deadlineTB{fakeTB: fakeTB{name: "TestNearDeadline"}, deadline: time.Now().Add(4 * time.Second)}
	rep := leaktest.Check(tb, runner.Func(func(context.Context, int) error { return nil }), leaktest.MinOps(1<<40), leaktest.SnapshotEvery(1000))
	if rep.Stopped != "max duration" || time.Now().After(tb.deadline) {
		t.Errorf("stopped %q at %v past the deadline", rep.Stopped, time.Since(tb.deadline))
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
