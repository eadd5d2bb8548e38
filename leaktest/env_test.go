package leaktest_test

import (
	"context"
	"flag"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// A nightly soak changes the cap with no code change: the environment
// overrides MaxDuration in code.
func TestEnvironmentOverridesMaxDuration(t *testing.T) {
	t.Setenv(leaktest.EnvMaxDuration, "400ms")
	var deadline deadlineOf
	before := time.Now()
	rep, err := leaktest.Run(context.Background(), deadline.target(),
		leaktest.MaxDuration(time.Hour), leaktest.MinOps(1<<40), leaktest.SnapshotEvery(1000))
	if err != nil {
		t.Fatal(err)
	}
	// The cap is the ops' deadline: 400ms from the run's start, which is
	// between before and the first op. Read from the run, not timed, so a
	// slow machine's last snapshot does not count against it.
	d, first := deadline.get()
	if rep.Stopped != leaktest.StopMaxDuration || d.Before(before.Add(400*time.Millisecond)) || d.After(first.Add(400*time.Millisecond)) {
		t.Errorf("stopped %q, the ops' deadline %v after the run began; the environment's 400ms cap should hold over the code's 1h", rep.Stopped, d.Sub(before))
	}
}

// deadlineOf is a no-op target that records its ops' deadline (the run's
// cap) and when its first op began.
type deadlineOf struct {
	mu       sync.Mutex
	deadline time.Time
	first    time.Time
}

func (d *deadlineOf) target() runner.Target {
	return runner.Func(func(ctx context.Context, _ int) error {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.first.IsZero() {
			d.first = time.Now()
			d.deadline, _ = ctx.Deadline()
		}
		return nil
	})
}

func (d *deadlineOf) get() (deadline, first time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.deadline, d.first
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
	var deadline deadlineOf
	rep := leaktest.Check(tb, deadline.target(), leaktest.MinOps(1<<40), leaktest.SnapshotEvery(1000))
	// The code asked for 30s; the deadline capped the run to 3/4 of what
	// was left, keeping the rest for the report. The cap is the ops'
	// deadline, so the room is read from the run rather than timed (the
	// report's own time on a loaded machine is not the code's to promise):
	// left/4, less the few instructions from Check's call to the run's
	// start, which get half a second.
	d, _ := deadline.get()
	room := tb.deadline.Sub(d)
	if rep.Stopped != leaktest.StopMaxDuration || room > left/4 || room < left/4-500*time.Millisecond {
		t.Errorf("stopped %q with the run's cap %v before the test's deadline, want %v", rep.Stopped, room, left/4)
	}
	if rep.Duration >= leaktest.DefaultMaxDuration {
		t.Errorf("ran %v: the test's deadline did not cap the run", rep.Duration)
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
