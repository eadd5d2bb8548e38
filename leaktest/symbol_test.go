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

func TestPromSymbolBytes(t *testing.T) {
	for sym, want := range map[leaktest.Symbol]bool{
		`prom:process_resident_memory_bytes{instance="10.0.3.7:8080",job="api"}`: true,
		`prom:go_goroutines{job="worker"}`:                                       false,
		`prom:{job="api"}`:                                                       false,
		`prom:node_memory_bytes`:                                                 true,
		`prom:x{note="_bytes"}`:                                                  false,
	} {
		if sym.Kind() != leaktest.KindProm || sym.Bytes() != want {
			t.Errorf("%s: kind %q, bytes %v; want prom, %v", sym, sym.Kind(), sym.Bytes(), want)
		}
	}
}
