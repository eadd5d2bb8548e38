package runner_test

import (
	"context"
	"testing"
	"time"

	"github.com/leakslope/leakslope/runner"
)

var sink int

//go:noinline
func bareOp(_ context.Context, i int) error {
	sink += i & 1
	return nil
}

// BenchmarkBareLoop is the floor BenchmarkHammer is compared against.
func BenchmarkBareLoop(b *testing.B) {
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		_ = bareOp(ctx, i)
	}
}

//go:noinline
func pureOp(_ context.Context, i int) error {
	if i < 0 {
		return context.Canceled
	}
	return nil
}

func BenchmarkHammer(b *testing.B) {
	for _, workers := range []int{1, 4} {
		b.Run(map[int]string{1: "workers=1", 4: "workers=4"}[workers], func(b *testing.B) {
			h, err := runner.New(runner.Func(pureOp), runner.Config{Workers: workers, Jobs: 1000})
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close()
			ctx := context.Background()
			dispatch(b, h, ctx)
		})
	}
}

// BenchmarkHammerSmallRounds is the per-round cost, at the default 100
// jobs per round: the stall watch (a timer per round, the last worker's
// signal) against none (a plain WaitGroup wait), and as leaktest runs it,
// under a context with the run's cap as its deadline.
func BenchmarkHammerSmallRounds(b *testing.B) {
	for _, c := range []struct {
		name     string
		stall    time.Duration
		deadline bool
	}{{"stall=on", 0, false}, {"stall=off", -1, false}, {"stall=on,ctx=deadline", 0, true}} {
		b.Run(c.name, func(b *testing.B) {
			h, err := runner.New(runner.Func(pureOp), runner.Config{Workers: 4, Jobs: 100, Stall: c.stall})
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close()
			ctx := context.Background()
			if c.deadline {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Hour)
				defer cancel()
			}
			dispatch(b, h, ctx)
		})
	}
}

// dispatch runs rounds until b.N ops are done and reports the cost per op
// dispatched.
func dispatch(b *testing.B, h *runner.Hammer, ctx context.Context) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for h.Ops() < int64(b.N) {
		if err := h.Round(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(h.Ops()), "ns/op-dispatched")
}
