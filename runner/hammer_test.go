package runner_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakslope/leakslope/runner"
)

func newHammer(t *testing.T, target runner.Target, cfg runner.Config) *runner.Hammer {
	t.Helper()
	h, err := runner.New(target, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func TestOpsAreNumberedOnceAcrossWorkers(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	h := newHammer(t, runner.Func(func(_ context.Context, i int) error {
		mu.Lock()
		seen[i]++
		mu.Unlock()
		return nil
	}), runner.Config{Workers: 4, Jobs: 50})
	for r := 0; r < 7; r++ {
		if err := h.Round(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if h.Ops() != 350 || len(seen) != 350 {
		t.Fatalf("ops = %d, distinct op numbers = %d, want 350", h.Ops(), len(seen))
	}
	for i := 0; i < 350; i++ {
		if seen[i] != 1 {
			t.Fatalf("op %d ran %d times", i, seen[i])
		}
	}
}

func TestNoOpInFlightAfterRound(t *testing.T) {
	var inFlight, maxSeen atomic.Int64
	h := newHammer(t, runner.Func(func(context.Context, int) error {
		n := inFlight.Add(1)
		for {
			m := maxSeen.Load()
			if n <= m || maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(100 * time.Microsecond)
		inFlight.Add(-1)
		return nil
	}), runner.Config{Workers: 3, Jobs: 30})
	for r := 0; r < 5; r++ {
		if err := h.Round(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := inFlight.Load(); n != 0 {
			t.Fatalf("round %d: %d ops in flight at the quiesce point", r, n)
		}
	}
	if m := maxSeen.Load(); m < 2 || m > 3 {
		t.Errorf("max concurrency = %d, want 2..3 with 3 workers", m)
	}
}

func TestOpErrorsAreCountedAndFirstKept(t *testing.T) {
	h := newHammer(t, runner.Func(func(_ context.Context, i int) error {
		if i%10 == 3 {
			return fmt.Errorf("boom %d", i)
		}
		return nil
	}), runner.Config{Workers: 1, Jobs: 100, KeepErrors: 3})
	if err := h.Round(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := h.Errors()
	if e.Count != 10 || len(e.First) != 3 {
		t.Fatalf("errors = %d kept %d, want 10 kept 3", e.Count, len(e.First))
	}
	if e.First[0].Op != 3 || e.First[0].Error() != "op 3: boom 3" {
		t.Errorf("first error = %v", e.First[0])
	}
	if h.Ops() != 100 {
		t.Errorf("ops = %d: failed ops are still completed ops, want 100", h.Ops())
	}
}

func TestPanicStopsTheRunWithStack(t *testing.T) {
	var after atomic.Int64
	h := newHammer(t, runner.Func(func(_ context.Context, i int) error {
		if i == 17 {
			panic(errors.New("kaboom"))
		}
		if i > 17 {
			after.Add(1)
		}
		return nil
	}), runner.Config{Workers: 1, Jobs: 100})
	err := h.Round(context.Background())
	var pe *runner.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Round = %v, want *PanicError", err)
	}
	if pe.Op != 17 || !strings.Contains(string(pe.Stack), "hammer_test.go") {
		t.Errorf("panic at op %d, stack:\n%s", pe.Op, pe.Stack)
	}
	if !strings.Contains(err.Error(), "kaboom") || !errors.Is(err, pe.Unwrap()) {
		t.Errorf("error text %q does not carry the panic value", err)
	}
	if after.Load() != 0 || h.Ops() != 17 {
		t.Errorf("after the panic: %d more ops ran, %d completed; want 0 and 17", after.Load(), h.Ops())
	}
	if err := h.Round(context.Background()); !errors.As(err, &pe) {
		t.Errorf("a round after a panic = %v, want the panic again", err)
	}
}

func TestCancellationStopsWithinOneOp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ran atomic.Int64
	h := newHammer(t, runner.Func(func(_ context.Context, i int) error {
		if ran.Add(1) == 5 {
			cancel()
		}
		return nil
	}), runner.Config{Workers: 1, Jobs: 1000})
	err := h.Round(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Round = %v, want context.Canceled", err)
	}
	if n := ran.Load(); n != 5 {
		t.Errorf("%d ops ran; cancellation during op 5 should stop the worker before op 6", n)
	}
}

func TestDeadlineStopsSlowRound(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	h := newHammer(t, runner.Func(func(ctx context.Context, i int) error {
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
		}
		return nil
	}), runner.Config{Workers: 2, Jobs: 10_000})
	err := h.Round(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Round = %v, want deadline exceeded", err)
	}
	// Counted, not timed: past the deadline each op returns at once, so a
	// hammer that went on would complete all 10,000 however slow the
	// machine.
	if n := h.Ops(); n >= 1000 {
		t.Errorf("%d ops completed after a 50ms deadline, want the round stopped early", n)
	}
}

func TestPauseWaitsAndHonoursContext(t *testing.T) {
	h := newHammer(t, runner.Func(func(context.Context, int) error { return nil }),
		runner.Config{Wait: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.Pause(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Pause = %v, want canceled", err)
	}
}

func TestBadConfigNamesTheField(t *testing.T) {
	_, err := runner.New(runner.Func(func(context.Context, int) error { return nil }), runner.Config{Workers: -1})
	if err == nil || !strings.Contains(err.Error(), "Workers = -1") {
		t.Errorf("err = %v, want it to name Workers", err)
	}
	if _, err := runner.New(nil, runner.Config{}); err == nil {
		t.Error("nil target accepted")
	}
}

func TestConfigString(t *testing.T) {
	if got := (runner.Config{Wait: time.Second}).String(); got != "4 workers × 100 jobs/round, 1s wait" {
		t.Errorf("String = %q", got)
	}
}

func TestOpIgnoringContextIsReportedStuck(t *testing.T) {
	release, started := make(chan struct{}), make(chan struct{})
	defer close(release)
	h := newHammer(t, runner.Func(func(_ context.Context, i int) error {
		if i == 3 {
			close(started)
			<-release // ignores its context
		}
		return nil
	}), runner.Config{Workers: 2, Jobs: 100, Grace: 500 * time.Millisecond})
	// Canceled once op 3 runs, not at a fixed time that a slow start could
	// reach first. Grace is room for the other worker to finish its op.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := roundAsync(h, ctx)
	<-started
	cancel()
	err := awaitRound(t, c, 30*time.Second)
	var se *runner.StuckError
	if !errors.As(err, &se) {
		t.Fatalf("Round = %v, want *StuckError", err)
	}
	if len(se.Ops) != 1 || se.Ops[0] != 3 || !errors.Is(err, context.Canceled) {
		t.Errorf("stuck = %+v, want op 3 and the cancel as cause", se)
	}
	if !strings.Contains(err.Error(), "does not honour its context") {
		t.Errorf("message %q", err)
	}
}
