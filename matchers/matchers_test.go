package matchers_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onsi/gomega/types"

	goldenfile "github.com/leakslope/leakslope/internal/golden"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// golden compares a message with testdata/golden/NAME.txt.
func golden(t *testing.T, name, got string) { t.Helper(); goldenfile.Check(t, name+".txt", got) }

func budget(text string) leaktest.Budget {
	b, err := leaktest.ParseBudget(text)
	if err != nil {
		panic(err)
	}
	return b
}

var hammer = runner.Config{Workers: 4, Jobs: 100, KeepErrors: 5, Grace: 10 * time.Second}

// Hand-built reports, so the golden messages are exact.
func heapLeakReport() *leaktest.Report {
	return &leaktest.Report{Name: "spec heap", Hammer: hammer, Ops: 11000, Duration: 400 * time.Millisecond, Probes: []string{"heap", "goroutines"},
		Verdicts: []leaktest.Verdict{{Symbol: "heap.bytes:store.(*Store).Put store.go:12", Decision: leaktest.Leak,
			Trend:  leaktest.Trend{PerOp: 64, PerOpLo: 63, PerOpHi: 65, PerSecond: 160000},
			Budget: budget("heap.bytes:* <= 0B/op"), First: 64000, Last: 704000,
			Origin: leaktest.Origin{Func: "store.(*Store).Put", Site: "store.go:12", UserCode: true,
				Stack: []string{"example.com/store.(*Store).Put\n\t/src/store.go:12"}}}},
		Artifacts: map[string]string{"first_profile": "/tmp/a/first.pb.gz", "last_profile": "/tmp/a/last.pb.gz", "json": "/tmp/a/report.json"}}
}

func goroutineLeakReport() *leaktest.Report {
	return &leaktest.Report{Name: "spec goroutines", Hammer: hammer, Ops: 11000, Duration: 900 * time.Millisecond, Probes: []string{"heap", "goroutines"},
		Verdicts: []leaktest.Verdict{{Symbol: "goroutines:pool.(*Pool).spawn pool.go:30", Decision: leaktest.Leak,
			Trend:  leaktest.Trend{PerOp: 1, PerOpLo: 1, PerOpHi: 1, PerSecond: 12000},
			Budget: budget("goroutines:* <= 0/op"), First: 1000, Last: 11000,
			Origin: leaktest.Origin{Func: "pool.(*Pool).spawn", Site: "pool.go:30", UserCode: true}}}}
}

func cleanReport() *leaktest.Report {
	return &leaktest.Report{Name: "spec clean", Hammer: hammer, Ops: 11000, Duration: 300 * time.Millisecond, Probes: []string{"heap", "goroutines"},
		Verdicts: []leaktest.Verdict{{Symbol: "heap.bytes:store.(*Store).Get store.go:20", Decision: leaktest.Within, Budget: budget("heap.bytes:* <= 0B/op"), First: 4096, Last: 4096}}}
}

func match(t *testing.T, m types.GomegaMatcher, actual any) bool {
	t.Helper()
	ok, err := m.Match(actual)
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	return ok
}

// A leaky and a clean target, never seen by the matchers' authors' fixtures.
func leakyTarget() runner.Target {
	var mu sync.Mutex
	var held []*[32]byte
	return runner.Func(func(context.Context, int) error {
		p := new([32]byte)
		mu.Lock()
		held = append(held, p)
		mu.Unlock()
		return nil
	})
}

func goroutineTarget(stop chan struct{}) runner.Target {
	return runner.Func(func(context.Context, int) error {
		go func() { <-stop }()
		return nil
	})
}

func cleanTarget() runner.Target {
	return runner.Func(func(_ context.Context, i int) error {
		_ = strings.Repeat("x", i%64)
		return nil
	})
}

func wrongActual(t *testing.T, m types.GomegaMatcher, name string) {
	t.Helper()
	_, err := m.Match(42)
	if err == nil || !strings.Contains(err.Error(), name+" matcher expects a runner.Target or *leaktest.Report. Got:\n    <int>: 42") {
		t.Errorf("wrong actual: err = %v", err)
	}
}
