package leaktest_test

import (
	"testing"

	"github.com/leakslope/leakslope/internal/dump"
	"github.com/leakslope/leakslope/leaktest"
)

// The dump readers name their kinds by leaktest's vocabulary.
func TestDumpKindsAreLeaktests(t *testing.T) {
	for got, want := range map[string]leaktest.Kind{dump.KindHeapBytes: leaktest.KindHeapBytes, dump.KindHeapObjects: leaktest.KindHeapObjects, dump.KindGoroutines: leaktest.KindGoroutines} {
		if got != string(want) {
			t.Errorf("dump kind %q, leaktest's %q", got, want)
		}
	}
	s := leaktest.Sym(leaktest.KindHeapBytes, "store.Put store.go:12")
	if s != "heap.bytes:store.Put store.go:12" || s.Kind() != leaktest.KindHeapBytes || s.Site() != "store.Put store.go:12" || !s.Bytes() {
		t.Errorf("Sym = %q: kind %q, site %q, bytes %v", s, s.Kind(), s.Site(), s.Bytes())
	}
	if leaktest.SymProcessFDs.Bytes() || !leaktest.SymProcessRSS.Bytes() || leaktest.SymProcessRSS.Kind() != "process.rss" {
		t.Error("process symbols' kinds or units")
	}
}
