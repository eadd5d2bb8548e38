package matchers_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/matchers"
	"github.com/leakslope/leakslope/runner"
)

func TestHaveSlopeAtMost(t *testing.T) {
	rep, err := leaktest.Run(context.Background(), leakyTarget(), leaktest.Name("slope"))
	if err != nil {
		t.Fatal(err)
	}
	// 32 B/op and then some for the slice that holds them.
	if !match(t, matchers.HaveSlopeAtMost("heap.bytes:*", "1KiB/op"), rep) {
		t.Error("32 B/op is not at most 1 KiB/op")
	}
	m := matchers.HaveSlopeAtMost("heap.bytes:*", "8B/op")
	if match(t, m, rep) {
		t.Error("32 B/op is at most 8 B/op?")
	}
	// leakyTarget may be inlined into this test, which prefixes its
	// closure's name; the site's file:line is what holds.
	if msg := m.FailureMessage(rep); !strings.Contains(msg, "to have slopes of heap.bytes:* at most 8B/op; not ruled out:\n    heap.bytes:matchers_test.") || !strings.Contains(msg, "leakyTarget (closure) matchers_test.go:") {
		t.Errorf("message:\n%s", msg)
	}
	// Runtime totals have series but no default budget: they can be bounded.
	if !match(t, matchers.HaveSlopeAtMost("runtime.goroutines", "0/op"), rep) {
		t.Error("runtime.goroutines grew under a target that starts none")
	}
	if _, err := matchers.HaveSlopeAtMost("nothing.like.this", "1/op").Match(rep); err == nil || !strings.Contains(err.Error(), `no symbol of the report matches "nothing.like.this"`) {
		t.Errorf("unmatched pattern: %v", err)
	}
	if _, err := matchers.HaveSlopeAtMost("heap.bytes:*", "1XB/op").Match(rep); err == nil || !strings.Contains(err.Error(), `unknown unit "XB"`) {
		t.Errorf("bad amount: %v", err)
	}
	wrongActual(t, matchers.HaveSlopeAtMost("x", "1/op"), "HaveSlopeAtMost")
}

// The message's own part, after the report's text, on a run that is
// exact: a gauge that grows by exactly one per op.
func TestHaveSlopeAtMostMessageGolden(t *testing.T) {
	var mu sync.Mutex
	n := 0
	rep, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error {
		mu.Lock()
		n++
		mu.Unlock()
		return nil
	}), leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(), leaktest.Workers(1),
		leaktest.WithProbes(leaktest.Gauge("queue.len", func() float64 { mu.Lock(); defer mu.Unlock(); return float64(n) })))
	if err != nil {
		t.Fatal(err)
	}
	m := matchers.HaveSlopeAtMost("gauge:*", "0.5/op")
	if match(t, m, rep) {
		t.Fatal("1/op is at most 0.5/op?")
	}
	msg := m.FailureMessage(rep)
	i := strings.Index(msg, "\nto have slopes of ")
	if i < 0 || !strings.HasPrefix(msg, "Expected\n    <matchers.report>: leaktest: ") {
		t.Fatalf("message:\n%s", msg)
	}
	golden(t, "have_slope_at_most", msg[i+1:])
}
