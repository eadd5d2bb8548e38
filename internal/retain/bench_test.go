package retain

import (
	"runtime"
	"testing"
)

type benchNode struct {
	next *benchNode
	buf  [88]byte
}

var benchHeap []*benchNode

//go:noinline
func benchAlloc(prev *benchNode) *benchNode {
	return &benchNode{next: prev} // site:bench
}

// BenchmarkCapture dumps and explains a 100 MiB heap of a million objects
// (a slice of ten-node lists), all of one leaking site: the budget
// is a couple of seconds, with the analysis using about the heap's size
// again (see -benchmem's B/op: what Capture allocates).
func BenchmarkCapture(b *testing.B) {
	benchHeap = make([]*benchNode, 0, 100000)
	for range 100000 {
		var n *benchNode
		for range 10 {
			n = benchAlloc(n)
		}
		benchHeap = append(benchHeap, n)
	}
	defer func() { benchHeap = nil }()
	site := siteIn(b, "bench_test.go", "benchAlloc", "site:bench")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	b.ResetTimer()
	for b.Loop() {
		res, err := CaptureAtRunEnd([]string{site})
		if err != nil {
			b.Fatal(err)
		}
		if r := res[site]; r.Objects != 1000000 {
			b.Fatalf("%d objects", r.Objects)
		}
	}
}
