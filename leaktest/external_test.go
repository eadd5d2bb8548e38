package leaktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// clock is a gauge that grows with time: a queue filled by a service's
// own load.
func clock(perSecond float64) func() float64 {
	start := time.Now()
	return func() float64 { return math.Floor(time.Since(start).Seconds() * perSecond) }
}

func TestWatchFindsGrowthOverTime(t *testing.T) {
	rep, err := leaktest.Watch(context.Background(),
		leaktest.WithProbes(leaktest.Gauge("queue.len", clock(200)), leaktest.Gauge("pool.size", func() float64 { return 8 })),
		leaktest.Interval(20*time.Millisecond), leaktest.MaxDuration(20*time.Second), leaktest.Name("watch-growth"), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Axis != leaktest.AxisSeconds || rep.Ops != 0 {
		t.Errorf("axis %q, ops %d", rep.Axis, rep.Ops)
	}
	leaks := rep.Leaks()
	if len(leaks) != 1 || leaks[0].Symbol != "gauge:queue.len" || leaks[0].Budget.String() != "gauge:* <= 0/s" {
		t.Fatalf("leaks = %+v\n%s", leaks, rep)
	}
	v := leaks[0]
	if v.Trend.PerSecondLo < 150 || v.Trend.PerSecondHi > 250 || !math.IsNaN(v.Trend.PerOp) {
		t.Errorf("trend = %+v, want ~200/s and no per-op slope", v.Trend)
	}
	for _, v := range rep.Verdicts {
		if v.Symbol == "gauge:pool.size" && v.Decision != leaktest.Within {
			t.Errorf("flat gauge: %s", v.Decision)
		}
	}
	text := rep.String()
	for _, want := range []string{"of watching (a snapshot every 20ms)", "gauge:queue.len\n    slope   ", "/s [", "budget 0/s"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"x":"seconds"`) || !strings.Contains(string(b), `"slope_per_op":null`) {
		t.Errorf("json: %.300s", b)
	}
	if _, err := os.Stat(rep.Artifacts["html"]); err != nil {
		t.Errorf("no report.html: %v", err)
	}
}

func TestWatchWithoutGrowthPasses(t *testing.T) {
	rep, err := leaktest.Watch(context.Background(),
		leaktest.WithProbes(leaktest.Gauge("pool.size", func() float64 { return 8 })),
		leaktest.Interval(10*time.Millisecond), leaktest.MaxDuration(10*time.Second), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() || rep.Stopped != leaktest.StopDecided || len(rep.Verdicts) != 1 || rep.Verdicts[0].Decision != leaktest.Within {
		t.Fatalf("%s", rep)
	}
}

func TestWatchRejectsPerOpBudgetsAndNoProbes(t *testing.T) {
	_, err := leaktest.Watch(context.Background(), leaktest.WithBudget("gauge:* <= 1/op"))
	if err == nil || !strings.Contains(err.Error(), `budget "gauge:* <= 1/op" is per op`) || !strings.Contains(err.Error(), "nothing to watch") {
		t.Errorf("err = %v", err)
	}
}

func TestWatchStopsOnAFailingProbeWithThePartialReport(t *testing.T) {
	var n atomic.Int32
	rep, err := leaktest.Watch(context.Background(),
		leaktest.WithProbes(leaktest.Gauge("conns", func() float64 {
			if n.Add(1) > 5 {
				return math.NaN() // the service went away
			}
			return float64(n.Load())
		})),
		leaktest.Interval(5*time.Millisecond), leaktest.ArtifactsDir(t.TempDir()))
	if err == nil || rep == nil || rep.Stopped != leaktest.StopError || len(rep.Snapshots) != 5 {
		t.Fatalf("err %v, report %v", err, rep)
	}
	if !strings.Contains(rep.String(), "this report is partial") {
		t.Errorf("%s", rep)
	}
}

func snaps(values ...map[leaktest.Symbol]float64) []leaktest.Snapshot {
	out := make([]leaktest.Snapshot, len(values))
	for i, v := range values {
		out[i] = leaktest.Snapshot{Values: v}
	}
	return out
}

func TestAnalyzeSaysHowManyMoreDumpsWouldDecide(t *testing.T) {
	var series []map[leaktest.Symbol]float64
	for i := 0; i < 8; i++ {
		m := map[leaktest.Symbol]float64{"heap.bytes:Session": float64(1000 + 500*i)}
		for k := 0; k < 20; k++ {
			m[leaktest.Symbol(fmt.Sprintf("heap.bytes:Flat%d", k))] = float64(100 + (i*7+k)%3)
		}
		series = append(series, m)
	}
	// 21 symbols: Holm's first threshold is 0.05·6/π²/21 ≈ 0.00145, and
	// 1/6! ≈ 0.00139 is the first steady rise under it.
	four, err := leaktest.Analyze(snaps(series[:4]...), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if four.Failed() || four.Axis != leaktest.AxisDumps {
		t.Fatalf("4 dumps decided a leak:\n%s", four)
	}
	text := four.String()
	for _, want := range []string{"4 dumps are too few to prove a leak among 21 symbols", "6 dumps would decide a steady rise (2 more)", "suspect 1: heap.bytes:Session rose in 3 of 3 steps", "/dump"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	six, err := leaktest.Analyze(snaps(series[:6]...), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if l := six.Leaks(); len(l) != 1 || l[0].Symbol != "heap.bytes:Session" || l[0].Trend.PerOp != 500 {
		t.Fatalf("6 dumps:\n%s", six)
	}
}

func TestAnalyzeNeedsGrowthInTheLastHalf(t *testing.T) {
	var series []map[leaktest.Symbol]float64
	for _, v := range []float64{100, 200, 300, 400, 500, 600, 700, 700, 700, 700, 700, 700} {
		series = append(series, map[leaktest.Symbol]float64{"heap.objects:Cache": v})
	}
	rep, err := leaktest.Analyze(snaps(series...), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() || !strings.Contains(rep.String(), "grew, but not over the last half") {
		t.Errorf("a cache that filled was called a leak:\n%s", rep)
	}
}

func TestStopAfterFailures(t *testing.T) {
	// One op in five failed all along (so the ops never "started
	// failing": that is a break of its own), then all do.
	rep, err := leaktest.Run(context.Background(), runner.Func(func(_ context.Context, i int) error {
		if i >= 3000 || i%5 == 0 {
			return errors.New("connection refused")
		}
		return nil
	}), leaktest.StopAfterFailures(500), leaktest.WithoutHeap(), leaktest.ArtifactsDir(t.TempDir()))
	if err == nil || rep == nil || rep.Stopped != leaktest.StopError || !regexp.MustCompile(`the target stopped answering: the last 500 ops all failed; the last: op 34\d\d: connection refused$`).MatchString(err.Error()) {
		t.Fatalf("err = %v", err)
	}
	if rep.Ops != 3500 {
		t.Errorf("ops = %d, want to stop at the round that made 500 failures", rep.Ops)
	}
}
