package matchers_test

import (
	"testing"

	"github.com/leakslope/leakslope/matchers"
)

func TestLeakGoroutines(t *testing.T) {
	m := matchers.LeakGoroutines()
	if !match(t, m, goroutineLeakReport()) {
		t.Error("a goroutine leak report does not match")
	}
	golden(t, "leak_goroutines_negated", m.NegatedFailureMessage(goroutineLeakReport()))
	if match(t, m, heapLeakReport()) {
		t.Error("a heap leak matched LeakGoroutines")
	}
	golden(t, "leak_goroutines", m.FailureMessage(heapLeakReport()))
	wrongActual(t, matchers.LeakGoroutines(), "LeakGoroutines")

	stop := make(chan struct{})
	defer close(stop)
	if !match(t, matchers.LeakGoroutines(), goroutineTarget(stop)) {
		t.Error("a goroutine-leaking target does not match")
	}
}
