package leaktest_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// A session store that keeps every session: each op leaves 128 bytes
// behind, exactly, and Run says so.
func ExampleRun() {
	var mu sync.Mutex
	var sessions []*[128]byte
	rep, err := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		s := new([128]byte)
		mu.Lock()
		sessions = append(sessions, s)
		mu.Unlock()
		return nil
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	v := rep.Leaks()[0]
	fmt.Println(v.Decision, v.Kind(), v.Trend.PerOp, "B/op at", v.Func)
	// Output: leak heap.bytes 128 B/op at leaktest_test.ExampleRun (closure)
}

// A gauge watches a value of yours; here a queue nobody drains.
func ExampleGauge() {
	var mu sync.Mutex
	var queue []int
	depth := leaktest.Gauge("queue.len", func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return float64(len(queue))
	})
	rep, _ := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		mu.Lock()
		queue = append(queue, i)
		mu.Unlock()
		return nil
	}), leaktest.WithProbes(depth), leaktest.WithoutHeap(), leaktest.WithoutGoroutines())
	for _, v := range rep.Verdicts {
		fmt.Println(v.Symbol, v.Decision, v.Trend.PerOp, "per op; budget", v.Budget)
	}
	// Output: gauge:queue.len leak 1 per op; budget gauge:* <= 0/op
}

func ExampleParseBudget() {
	b, err := leaktest.ParseBudget("process.rss <= 1MiB/min")
	fmt.Println(b.Pattern, b.Max, b.PerTime, err)
	_, err = leaktest.ParseBudget("heap.bytes:* <= 1XB/op")
	fmt.Println(err)
	// Output:
	// process.rss 1.048576e+06 1m0s <nil>
	// budget "heap.bytes:* <= 1XB/op": column 18: unknown unit "XB" (want B, kB, KiB, MB, MiB, GB, GiB or none)
}
