package leaktest_test

import (
	"testing"
)

// Clean workloads run again and again never give a leak verdict: a CI
// gate that flakes is worse than none.
func TestCleanWorkloadsNeverLeakOnRepeat(t *testing.T) {
	if testing.Short() {
		t.Skip("repeats every clean workload; runs without -short")
	}
	runs := repeatRuns
	for _, w := range workloads {
		if w.leak {
			continue
		}
		t.Run(w.name, func(t *testing.T) {
			for i := 0; i < runs; i++ {
				rep := runWorkload(t, w, w.opts...)
				if rep.Failed() {
					t.Fatalf("run %d of %d: leak verdict on a clean workload:\n%s", i+1, runs, rep)
				}
			}
		})
	}
}
