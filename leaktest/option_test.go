package leaktest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// An option that does not apply to an entry point is an error naming the
// option and the entry point, as goleak refuses a misplaced option.
func TestMisplacedOptionsAreRefused(t *testing.T) {
	probe := leaktest.Gauge("queue.len", func() float64 { return 0 })
	_, err := leaktest.Watch(context.Background(), leaktest.WithProbes(probe), leaktest.Workers(8), leaktest.MinOps(5))
	for _, want := range []string{"option Workers does not apply to Watch", "option MinOps does not apply to Watch"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Watch with Workers and MinOps: %v; want %q", err, want)
		}
	}
	snaps := []leaktest.Snapshot{{Ops: 1, Values: map[leaktest.Symbol]float64{"heap.objects:x": 1}}}
	_, err = leaktest.Analyze(snaps, leaktest.Teardown(func() {}), leaktest.Interval(time.Second))
	for _, want := range []string{"option Teardown does not apply to Analyze", "option Interval does not apply to Analyze"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Analyze with Teardown and Interval: %v; want %q", err, want)
		}
	}
	_, err = leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error { return nil }), leaktest.Interval(time.Second))
	if err == nil || !strings.Contains(err.Error(), "option Interval does not apply to Run") {
		t.Errorf("Run with Interval: %v", err)
	}
	// What applies is taken.
	if _, err := leaktest.Analyze(snaps, leaktest.Name("a"), leaktest.Alpha(0.01), leaktest.ArtifactsDir(t.TempDir())); err != nil {
		t.Errorf("Analyze with options that apply: %v", err)
	}
}
