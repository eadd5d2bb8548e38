package matchers_test

import (
	"testing"

	"github.com/leakslope/leakslope/matchers"
)

func TestLeakMemory(t *testing.T) {
	m := matchers.LeakMemory()
	if !match(t, m, heapLeakReport()) {
		t.Error("a heap leak report does not match")
	}
	golden(t, "leak_memory_negated", m.NegatedFailureMessage(heapLeakReport()))
	if match(t, m, goroutineLeakReport()) {
		t.Error("a goroutine leak matched LeakMemory")
	}
	if match(t, m, cleanReport()) {
		t.Error("a clean report matched")
	}
	golden(t, "leak_memory", m.FailureMessage(cleanReport()))
	wrongActual(t, matchers.LeakMemory(), "LeakMemory")

	// Targets are run.
	if !match(t, matchers.LeakMemory(), leakyTarget()) {
		t.Error("a leaky target does not leak memory")
	}
	if match(t, matchers.LeakMemory(), cleanTarget()) {
		t.Error("a clean target leaks memory")
	}
}
