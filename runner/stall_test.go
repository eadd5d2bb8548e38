package runner_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakslope/leakslope/runner"
)

// blockAfter is a target whose ops from op n on block until release is
// closed, ignoring their context: a target that stopped answering. Ops
// n-3 to n-1 fail with "too many open files" on the way. started counts
// the ops started.
func blockAfter(n int, release <-chan struct{}) (_ runner.Target, started *atomic.Int64) {
	started = new(atomic.Int64)
	return runner.Func(func(_ context.Context, i int) error {
		started.Add(1)
		switch {
		case i >= n:
			<-release
		case i >= n-3:
			return fmt.Errorf("open /proc/self/fd: too many open files")
		}
		return nil
	}), started
}

// roundAsync runs h.Round on its own goroutine, so a test can fail on a
// round that never returns instead of hanging.
func roundAsync(h *runner.Hammer, ctx context.Context) <-chan error {
	c := make(chan error, 1)
	go func() { c <- h.Round(ctx) }()
	return c
}

func awaitRound(t *testing.T, c <-chan error, within time.Duration) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(within):
		t.Fatalf("Round did not return within %v", within)
		return nil
	}
}

func TestStalledRoundReturnsWithoutWaiting(t *testing.T) {
	release := make(chan struct{})
	target, started := blockAfter(10, release)
	h := newHammer(t, target, runner.Config{Workers: 2, Jobs: 100, Stall: 250 * time.Millisecond})
	t.Cleanup(func() { close(release) }) // before h.Close: cleanups run last first
	start := time.Now()
	err := awaitRound(t, roundAsync(h, context.Background()), 10*time.Second)
	took := time.Since(start)
	var se *runner.StallError
	if !errors.As(err, &se) {
		t.Fatalf("Round = %v, want *StallError", err)
	}
	if !slices.Equal(se.Ops, []int{10, 11}) || se.Completed != 10 || se.LastOp != 9 {
		t.Errorf("stall = %+v, want ops [10 11] in flight after 10 completed, the last op 9", se)
	}
	if se.Threshold < 250*time.Millisecond || se.Since < se.Threshold || took < se.Threshold {
		t.Errorf("since %v, threshold %v, Round took %v: want since ≥ threshold ≥ Stall", se.Since, se.Threshold, took)
	}
	if h.Ops() != 10 {
		t.Errorf("Ops = %d after the stall, want the 10 completed", h.Ops())
	}
	// The last of ops 7, 8 and 9 to fail, which over 2 workers is not
	// always op 9.
	var last runner.OpError
	if e := h.Errors(); e.Count != 3 || !errors.As(se.LastErr, &last) || last != e.Last || last.Op < 7 || !strings.Contains(last.Error(), "too many open files") {
		t.Errorf("errors %+v, LastErr %v: want the 3 op errors, the last of them", e, se.LastErr)
	}
	msg := err.Error()
	for _, want := range []string{"no op completed for ", "ops [10 11] in flight since op 9 completed", "too many open files"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
	if again := h.Round(context.Background()); again != err {
		t.Errorf("a round after the stall = %v, want the stall again", again)
	}

	// The ops ignore their context: Abort gives up on them, by name.
	err = h.Abort(200 * time.Millisecond)
	var st *runner.StuckError
	if !errors.As(err, &st) || !slices.Equal(st.Ops, []int{10, 11}) || st.Grace != 200*time.Millisecond {
		t.Fatalf("Abort = %v, want *StuckError naming ops 10 and 11", err)
	}
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "no op completed") {
		t.Errorf("Abort's error %q does not carry the stall as its cause", err)
	}
	if again := h.Round(context.Background()); !errors.As(again, &se) {
		t.Errorf("a round after Abort = %v, want the stall again", again)
	}
	// Released, the ops return and the workers end: Abort now says so.
	close(release)
	release = make(chan struct{}) // for the cleanup
	if err := h.Abort(10 * time.Second); err != nil {
		t.Errorf("Abort after the ops were released = %v, want nil", err)
	}
	if h.Ops() != 10 || h.Errors().Count != 3 || started.Load() != 12 {
		t.Errorf("after Abort: %d ops, %d errors, %d started; want 10 and 3 as of the stall, and no op started after it", h.Ops(), h.Errors().Count, started.Load())
	}
}

func TestAbortCancelsOpsThatHonourTheirContext(t *testing.T) {
	canceled := make(chan error, 2)
	h := newHammer(t, runner.Func(func(ctx context.Context, i int) error {
		if i < 5 {
			return nil
		}
		<-ctx.Done() // blocks until the hammer's context ends
		canceled <- ctx.Err()
		return ctx.Err()
	}), runner.Config{Workers: 2, Jobs: 100, Stall: 200 * time.Millisecond})
	err := awaitRound(t, roundAsync(h, context.Background()), 10*time.Second)
	var se *runner.StallError
	if !errors.As(err, &se) || !slices.Equal(se.Ops, []int{5, 6}) || se.Completed != 5 {
		t.Fatalf("Round = %v, want a stall with ops 5 and 6 in flight after 5 completed", err)
	}
	start := time.Now()
	if err := h.Abort(10 * time.Second); err != nil {
		t.Fatalf("Abort = %v, want nil: the ops honour their context", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Abort took %v", d)
	}
	for range 2 {
		if err := <-canceled; !errors.Is(err, context.Canceled) {
			t.Errorf("an op's context ended with %v, want canceled", err)
		}
	}
	if e := h.Errors(); e.Count != 0 {
		t.Errorf("ops cut short by Abort counted as op errors: %+v", e)
	}
	if err := h.Round(context.Background()); err != se {
		t.Errorf("a round after Abort = %v, want the stall again", err)
	}
	if err := h.Abort(time.Millisecond); err != nil {
		t.Errorf("a second Abort = %v, want nil", err)
	}
}

// A slow target is not a stalled one: ops of 200ms against a Stall of
// 100ms, with the threshold at 10 × the slowest op completed (2s), and at
// 5 × Stall (500ms, 2.5 × the op) before the first.
func TestSlowSteadyTargetDoesNotStall(t *testing.T) {
	t.Parallel()
	h := newHammer(t, runner.Func(func(context.Context, int) error {
		time.Sleep(200 * time.Millisecond)
		return nil
	}), runner.Config{Workers: 2, Jobs: 4, Stall: 100 * time.Millisecond})
	for r := 0; r < 3; r++ {
		if err := awaitRound(t, roundAsync(h, context.Background()), 30*time.Second); err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
	}
	if h.Ops() != 12 {
		t.Errorf("ops = %d, want 12", h.Ops())
	}
}

// The threshold is 10 × the slowest op completed when that is over
// Stall: here ops of 100ms, then ops that never return.
func TestStallThresholdFollowsTheSlowestOp(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	h := newHammer(t, runner.Func(func(_ context.Context, i int) error {
		if i >= 8 {
			<-release
		}
		time.Sleep(100 * time.Millisecond)
		return nil
	}), runner.Config{Workers: 2, Jobs: 100, Stall: 50 * time.Millisecond})
	start := time.Now()
	err := awaitRound(t, roundAsync(h, context.Background()), 30*time.Second)
	took := time.Since(start)
	var se *runner.StallError
	if !errors.As(err, &se) || !slices.Equal(se.Ops, []int{8, 9}) || se.Completed != 8 {
		t.Fatalf("Round = %v, want a stall with ops 8 and 9 in flight after 8", err)
	}
	// Each worker slept 4 × 100ms before its op blocked: Since counts
	// from then, not from the round's start.
	if took-se.Since < 350*time.Millisecond || se.Since < se.Threshold {
		t.Errorf("since = %v of a round of %v, want it from the last completion (≥ 400ms in), and ≥ the threshold %v", se.Since, took, se.Threshold)
	}
	// Ops are timed from above, to within a few ticks of the watcher
	// (not a clock read per op): never under the 100ms slept, and on a
	// loaded machine somewhat over.
	if se.Threshold < time.Second || se.Threshold >= 10*time.Second {
		t.Errorf("threshold = %v, want 10 × a little over 100ms", se.Threshold)
	}
}

func TestColdStartIsGivenFiveTimesStall(t *testing.T) {
	t.Parallel()
	t.Run("a slow first op", func(t *testing.T) {
		t.Parallel()
		// 300ms is over Stall (200ms), under 5 × Stall: not a stall.
		h := newHammer(t, runner.Func(func(_ context.Context, i int) error {
			if i == 0 {
				time.Sleep(300 * time.Millisecond)
			}
			return nil
		}), runner.Config{Workers: 1, Jobs: 10, Stall: 200 * time.Millisecond})
		if err := awaitRound(t, roundAsync(h, context.Background()), 30*time.Second); err != nil {
			t.Fatalf("Round = %v, want the slow first op to pass", err)
		}
	})
	t.Run("a first op that never returns", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		target, _ := blockAfter(0, release)
		h := newHammer(t, target, runner.Config{Workers: 2, Jobs: 10, Stall: 100 * time.Millisecond})
		t.Cleanup(func() { close(release) })
		err := awaitRound(t, roundAsync(h, context.Background()), 30*time.Second)
		var se *runner.StallError
		if !errors.As(err, &se) {
			t.Fatalf("Round = %v, want *StallError", err)
		}
		if se.Threshold != 500*time.Millisecond || se.Since < se.Threshold || se.Completed != 0 || se.LastOp != -1 || !slices.Equal(se.Ops, []int{0, 1}) {
			t.Errorf("stall = %+v, want ops [0 1] in flight, none completed, for ≥ the 500ms threshold", se)
		}
		if msg := err.Error(); !strings.Contains(msg, "(threshold 500ms before the first op completes): ops [0 1] in flight since the round began") {
			t.Errorf("message %q", msg)
		}
		if h.Ops() != 0 {
			t.Errorf("Ops = %d, want 0", h.Ops())
		}
	})
}

// Stall < 0 turns the check off: a round whose op blocks until the
// round's context ends is ended by that context, not by a stall.
func TestNegativeStallTurnsTheCheckOff(t *testing.T) {
	h := newHammer(t, runner.Func(func(ctx context.Context, i int) error {
		if i >= 5 {
			<-ctx.Done()
		}
		return nil
	}), runner.Config{Workers: 1, Jobs: 100, Stall: -1})
	if s := h.Config().Stall; s != -1 {
		t.Fatalf("Config().Stall = %v, want -1 kept (not the default)", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	err := awaitRound(t, roundAsync(h, ctx), 30*time.Second)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Round = %v, want the deadline, not a stall", err)
	}
	if h.Ops() != 6 || h.Errors().Count != 0 {
		t.Errorf("ops %d, errors %d: want 6 (the last cut short by the deadline) and none", h.Ops(), h.Errors().Count)
	}
}

// A round whose context ends before the stall threshold keeps the
// Grace rule: ops that ignore it are stuck, not stalled.
func TestContextEndBeforeStallIsStuck(t *testing.T) {
	release, blocked := make(chan struct{}), make(chan int, 2)
	defer close(release)
	h := newHammer(t, runner.Func(func(_ context.Context, i int) error {
		if i >= 3 {
			blocked <- i
			<-release // ignores its context
		}
		return nil
	}), runner.Config{Workers: 2, Jobs: 100, Stall: time.Hour, Grace: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := roundAsync(h, ctx)
	<-blocked
	<-blocked
	cancel()
	err := awaitRound(t, c, 30*time.Second)
	var st *runner.StuckError
	if !errors.As(err, &st) || !slices.Equal(st.Ops, []int{3, 4}) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Round = %v, want *StuckError of ops 3 and 4 after the cancel", err)
	}
	err = h.Abort(10 * time.Millisecond)
	if !errors.As(err, &st) || !slices.Equal(st.Ops, []int{3, 4}) || st.Cause != context.Canceled {
		t.Errorf("Abort = %v, want ops 3 and 4 still stuck after the cancel", err)
	}
}

func TestAbortOnAQuiescedHammer(t *testing.T) {
	h := newHammer(t, runner.Func(func(context.Context, int) error { return nil }), runner.Config{Jobs: 10})
	if err := h.Round(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := h.Abort(time.Second); err != nil {
		t.Errorf("Abort = %v, want nil: no op in flight", err)
	}
	if err := h.Round(context.Background()); err == nil || !strings.Contains(err.Error(), "Abort") {
		t.Errorf("Round after Abort = %v, want it refused", err)
	}
}

// A healthy target never stalls: ops of about 1ms, rounds well over
// Stall, so a watcher that missed completions would call it stalled.
// (A Stall of a few milliseconds would be a scheduling hiccup's size:
// 4 workers on 2 cores can wait that long to be run.)
func TestSteadyTargetNeverStalls(t *testing.T) {
	t.Parallel()
	h := newHammer(t, runner.Func(func(context.Context, int) error {
		time.Sleep(time.Millisecond)
		return nil
	}), runner.Config{Workers: 2, Jobs: 1000, Stall: 100 * time.Millisecond})
	for r := 0; r < 2; r++ {
		start := time.Now()
		if err := awaitRound(t, roundAsync(h, context.Background()), 60*time.Second); err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
		if d := time.Since(start); d < 400*time.Millisecond {
			t.Fatalf("round %d took %v: too short to test the watcher", r, d)
		}
	}
}

func TestNegativeStallIsValid(t *testing.T) {
	if err := (runner.Config{Stall: -time.Second}).Validate(); err != nil {
		t.Errorf("Validate = %v, want a negative Stall accepted", err)
	}
	if runner.DefaultStall != 2*time.Second {
		t.Errorf("DefaultStall = %v", runner.DefaultStall)
	}
	h := newHammer(t, runner.Func(func(context.Context, int) error { return nil }), runner.Config{})
	if s := h.Config().Stall; s != runner.DefaultStall {
		t.Errorf("Config().Stall = %v, want the default filled in", s)
	}
}

func TestStallErrorMessage(t *testing.T) {
	e := &runner.StallError{Ops: []int{9994, 9995}, Completed: 9994, LastOp: 9993,
		Since: 2140 * time.Millisecond, Threshold: 2 * time.Second}
	if got, want := e.Error(), "no op completed for 2.1s (threshold 2s): ops [9994 9995] in flight since op 9,993 completed"; got != want {
		t.Errorf("Error() =\n%q, want\n%q", got, want)
	}
	e.LastErr = runner.OpError{Op: 9993, Err: errors.New("accept: too many open files")}
	if got := e.Error(); !strings.HasSuffix(got, "since op 9,993 completed; the last op error: op 9993: accept: too many open files") {
		t.Errorf("Error() = %q", got)
	}
	e.LastErr = &runner.PanicError{Op: 12, Value: "boom", Stack: []byte("goroutine 1 [running]:")}
	if got := e.Error(); !strings.HasSuffix(got, "; op 12 panicked: boom") {
		t.Errorf("Error() = %q, want the panic in one line", got)
	}
}
