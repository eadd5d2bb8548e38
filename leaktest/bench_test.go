package leaktest_test

//go:generate go run gen_sites.go

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// BenchmarkTimeToLeakVerdict: one 64-byte object leaked every 50 ops.
// Goals: a leak verdict within 20,000 ops and 5s.
func BenchmarkTimeToLeakVerdict(b *testing.B) {
	var ops, secs float64
	for i := 0; i < b.N; i++ {
		var mu sync.Mutex
		var held []*[64]byte
		rep, err := leaktest.Run(context.Background(), runner.Func(func(_ context.Context, i int) error {
			if i%50 == 0 {
				mu.Lock()
				held = append(held, new([64]byte))
				mu.Unlock()
			}
			return nil
		}), leaktest.Name("bench-leak"))
		if err != nil || !rep.Failed() {
			b.Fatalf("no leak verdict: %v\n%s", err, rep)
		}
		ops += float64(rep.Ops)
		secs += rep.Duration.Seconds()
	}
	b.ReportMetric(ops/float64(b.N), "ops/verdict")
	b.ReportMetric(secs/float64(b.N), "s/verdict")
}

// BenchmarkTimeToCleanVerdict: a clean op. Goal: decided within 2s.
func BenchmarkTimeToCleanVerdict(b *testing.B) {
	var secs float64
	for i := 0; i < b.N; i++ {
		rep, err := leaktest.Run(context.Background(), runner.Func(func(_ context.Context, i int) error {
			var buf [64]byte
			copy(buf[:], fmt.Sprint(i))
			return nil
		}), leaktest.Name("bench-clean"))
		if err != nil || rep.Failed() || rep.Stopped != leaktest.StopDecided {
			b.Fatalf("clean op not decided clean: %v\n%s", err, rep)
		}
		secs += rep.Duration.Seconds()
	}
	b.ReportMetric(secs/float64(b.N), "s/verdict")
}

// BenchmarkSnapshot: the cost of one snapshot (two forced GCs, the heap
// profile, goroutines) with 100, 1,000 and 5,000 live allocation sites.
func BenchmarkSnapshot(b *testing.B) {
	for _, sites := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("sites=%d", sites), func(b *testing.B) {
			held := make([]*[16]byte, sites)
			for k := range held {
				held[k] = allocSite(k)
			}
			probe := leaktest.NewHeapProbe()
			if err := probe.(leaktest.Starter).Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			defer probe.(leaktest.Starter).Stop()
			// Allocate once more under MemProfileRate=1, so every site is in
			// the exact profile.
			for k := range held {
				held[k] = allocSite(k)
			}
			// Steady state: the first snapshot resolves every stack once.
			if _, err := probe.Take(context.Background()); err != nil {
				b.Fatal(err)
			}
			var n int
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s, err := probe.Take(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				n = len(s)
			}
			b.StopTimer()
			if n < 2*sites {
				b.Fatalf("%d samples for %d sites", n, sites)
			}
			runtime.KeepAlive(held)
		})
	}
}

// BenchmarkTimeToNoisyCleanVerdict: clean targets whose heap jitters — a
// TTL cache whose janitor evicts on a timer, a router behind httptest with
// a keep-alive client — are decided (within a tolerance, never at the
// cap). Goal: a few seconds each.
func BenchmarkTimeToNoisyCleanVerdict(b *testing.B) {
	for _, name := range []string{"ttl-cache-janitor", "router-httptest"} {
		var w workload
		for _, x := range workloads {
			if x.name == name {
				w = x
			}
		}
		b.Run(name, func(b *testing.B) {
			var ops, secs float64
			for i := 0; i < b.N; i++ {
				target, teardown := w.target()
				rep, err := leaktest.Run(context.Background(), target, append([]leaktest.Option{leaktest.Name("bench-" + name)}, w.opts...)...)
				teardown()
				if err != nil || rep.Failed() || rep.Stopped != leaktest.StopDecided {
					b.Fatalf("not decided clean: %v\n%s", err, rep)
				}
				ops += float64(rep.Ops)
				secs += rep.Duration.Seconds()
			}
			b.ReportMetric(ops/float64(b.N), "ops/verdict")
			b.ReportMetric(secs/float64(b.N), "s/verdict")
		})
	}
}
