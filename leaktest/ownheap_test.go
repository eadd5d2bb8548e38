package leaktest

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkOwnHeap: leakslope's own heap after 2,000 snapshots of 5,000
// symbols, as the run keeps them (thinned to the history's cap).
// Goal: bounded, ≤ 64 MiB, whatever the number of snapshots.
func BenchmarkOwnHeap(b *testing.B) {
	const symbols, snapshots = 5000, 2000
	syms := make([]Symbol, symbols)
	for i := range syms {
		syms[i] = Symbol(fmt.Sprintf("heap.bytes:pkg.f%d x.go:%d", i, i))
	}
	samples := make([]Sample, symbols)
	var own float64
	for i := 0; i < b.N; i++ {
		before := heapInUse()
		start := time.Now()
		h := newHistory(start, defaultMaxPoints)
		for s := 0; s < snapshots; s++ {
			for k := range samples {
				samples[k] = Sample{syms[k], float64(s * k)}
			}
			if h.full() {
				h.thin()
			}
			h.add(start.Add(time.Duration(s)*time.Millisecond), int64(s*100), 0, s < 10, samples, nil)
		}
		own = float64(heapInUse()-before) / (1 << 20)
		if h.len() > defaultMaxPoints {
			b.Fatalf("history holds %d points", h.len())
		}
		runtime.KeepAlive(h)
	}
	b.ReportMetric(own, "own-MiB")
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// The history's memory does not grow with the number of snapshots: the
// same 5,000 symbols after 500 and after 2,000 snapshots take the same
// room, within a margin for the map's own bookkeeping.
func TestOwnMemoryIsBoundedBySymbolsNotSnapshots(t *testing.T) {
	measure := func(snapshots int) uint64 {
		syms := make([]Sample, 5000)
		for i := range syms {
			syms[i].Symbol = Symbol(fmt.Sprintf("heap.bytes:pkg.f%d x.go:%d", i, i))
		}
		before := heapInUse()
		start := time.Now()
		h := newHistory(start, defaultMaxPoints)
		for s := 0; s < snapshots; s++ {
			for k := range syms {
				syms[k].Value = float64(s + k)
			}
			if h.full() {
				h.thin()
			}
			h.add(start, int64(s), 0, false, syms, nil)
		}
		used := heapInUse() - before
		runtime.KeepAlive(h)
		return used
	}
	a, b := measure(500), measure(2000)
	if b > a+a/4 {
		t.Errorf("history after 2,000 snapshots uses %d B, after 500 %d B: it grows with the run", b, a)
	}
}
