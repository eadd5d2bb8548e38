package leaktest

import (
	"context"
	"fmt"
	"runtime"
	"runtime/pprof"
	"testing"
)

// BenchmarkBlockedDetection measures what asking the runtime for
// goroutines blocked forever (the goroutine probe's Blocked: a goroutine
// leak detection, its profile, a traceback of every goroutine) costs,
// beside what every snapshot already does (two forced GCs, the goroutine
// count by site), with 10,000 parked goroutines (none blocked forever)
// over a heap of 64 MiB. It decides whether the detection could run at
// every snapshot (see BENCHMARKS.md); it runs once, at a run's end.
func BenchmarkBlockedDetection(b *testing.B) {
	if pprof.Lookup("goroutineleak") == nil {
		b.Skipf("%s has no goroutineleak profile (Go 1.27 has)", runtime.Version())
	}
	heap := make([][]byte, 64<<10)
	for i := range heap {
		heap[i] = make([]byte, 1<<10)
	}
	hold := make(chan struct{})
	defer close(hold)
	for g := 0; g < 10_000; g++ {
		go func() { <-hold }()
	}
	p := newGoroutineProbe()
	ctx := context.Background()
	for _, bm := range []struct {
		name string
		f    func()
	}{
		{"gc", func() { runtime.GC(); runtime.GC() }},
		{"goroutine-count", func() {
			if _, err := p.Take(ctx); err != nil {
				b.Fatal(err)
			}
		}},
		{"detection", func() {
			got, err := p.Blocked(ctx, "1")
			if err != nil || len(got) != 0 {
				b.Fatalf("Blocked = %v, %v: want none", got, err)
			}
		}},
	} {
		b.Run(fmt.Sprintf("goroutines=10000/%s", bm.name), func(b *testing.B) {
			for b.Loop() {
				bm.f()
			}
		})
	}
	runtime.KeepAlive(heap)
}
