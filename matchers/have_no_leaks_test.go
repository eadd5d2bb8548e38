package matchers_test

import (
	"testing"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/matchers"
)

func TestHaveNoLeaks(t *testing.T) {
	m := matchers.HaveNoLeaks()
	if !match(t, m, cleanReport()) {
		t.Error("a clean report does not match")
	}
	golden(t, "have_no_leaks_negated", m.NegatedFailureMessage(cleanReport()))
	if match(t, m, heapLeakReport()) {
		t.Error("a leak report matched HaveNoLeaks")
	}
	golden(t, "have_no_leaks", m.FailureMessage(heapLeakReport()))
	wrongActual(t, matchers.HaveNoLeaks(), "HaveNoLeaks")

	if !match(t, matchers.HaveNoLeaks(), cleanTarget()) {
		t.Error("a clean target leaks")
	}
	if match(t, matchers.HaveNoLeaks(leaktest.Workers(2)), leakyTarget()) {
		t.Error("a leaky target has no leaks")
	}
}
