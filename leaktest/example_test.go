package leaktest_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

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
	}), leaktest.WithProbes(depth), leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources())
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

// Watch a service under its own load, with no hammer: here a gauge of a
// backlog that grows 100 a second. In practice the probe is Process(pid)
// or Pprof(baseURL).
func ExampleWatch() {
	start := time.Now()
	backlog := leaktest.Gauge("backlog", func() float64 { return math.Floor(100 * time.Since(start).Seconds()) })
	rep, err := leaktest.Watch(context.Background(), leaktest.WithProbes(backlog), leaktest.Interval(20*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	v := rep.Leaks()[0]
	fmt.Println(rep.Axis, v.Symbol, v.Decision, "budget", v.Budget)
	// Output: seconds gauge:backlog leak budget gauge:* <= 0/s
}

// Analyze dumps taken elsewhere, in order: here six `!dumpheap -stat`
// readings where one class grows at every step and one does not.
func ExampleAnalyze() {
	var dumps []leaktest.Snapshot
	for i := 0; i < 6; i++ {
		dumps = append(dumps, leaktest.Snapshot{Values: map[leaktest.Symbol]float64{
			"heap.objects:MyService.Session": float64(1200 + 250*i),
			"heap.objects:System.String":     float64(800 + 10*(i%2)),
		}})
	}
	rep, err := leaktest.Analyze(dumps)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range rep.Verdicts {
		fmt.Println(v.Symbol, v.Decision, v.Trend.PerOp, "per dump")
	}
	// Output:
	// heap.objects:MyService.Session leak 250 per dump
	// heap.objects:System.String undecided 0 per dump
}
