package matchers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/matchers"
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
