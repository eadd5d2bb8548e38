package leaktest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// slowProbe is an outside probe whose Take costs a known time, as a JVM's
// class histogram (jcmd GC.class_histogram) or a command printing
// dumpheap -stat does: a flat gauge, decided within once it has points.
type slowProbe struct{ cost time.Duration }

func (p slowProbe) Name() string { return "slow" }

func (p slowProbe) Take(context.Context) ([]leaktest.Sample, error) {
	time.Sleep(p.cost)
	return []leaktest.Sample{{Symbol: "gauge:slow.flat", Value: 64}}, nil
}

// trivial is a target doing next to nothing: the hammer alone would run
// thousands of rounds between two slow snapshots.
var trivial = runner.Func(func(context.Context, int) error { return nil })

// snapshotShare is the part of the run spent in the probes' Take.
func snapshotShare(t *testing.T, rep *leaktest.Report) float64 {
	t.Helper()
	if rep.SnapshotTime <= 0 || rep.SnapshotTime > rep.Duration {
		t.Fatalf("SnapshotTime %v of %v", rep.SnapshotTime, rep.Duration)
	}
	return rep.SnapshotTime.Seconds() / rep.Duration.Seconds()
}

// checkSnapshotJSON checks the report's JSON says the time snapshotting,
// and the gap when the schedule was stretched.
func checkSnapshotJSON(t *testing.T, rep *leaktest.Report, stretched, hurried bool) {
	t.Helper()
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatal(err)
	}
	if s, ok := j["snapshot_s"].(float64); !ok || s <= 0 || s > rep.Duration.Seconds() {
		t.Errorf("snapshot_s = %v", j["snapshot_s"])
	}
	if g, ok := j["snapshot_gap_s"].(float64); ok != stretched || (ok && !hurried && g < 3*j["snapshot_cost_s"].(float64)*0.99) {
		t.Errorf("snapshot_gap_s = %v, snapshot_cost_s = %v, want stretched %v", j["snapshot_gap_s"], j["snapshot_cost_s"], stretched)
	}
	for _, k := range []string{"ops", "duration_s", "verdicts", "artifacts"} {
		if _, ok := j[k]; !ok {
			t.Errorf("json lacks %q", k)
		}
	}
}

var slowText = regexp.MustCompile(`\nsnapshots: \d+ taken, \S+ of \S+ \(\d+%\) snapshotting; slow snapshots \(\S+ each\) spaced ≥ \S+ (of hammering )?apart\n`)

// A Run whose probe costs 150 ms a snapshot: each is followed by ≥ 3× that
// of hammering, so snapshotting is ~30% of the run (the baseline and the
// first fitted snapshot come back to back). The old schedule snapshotted
// every 400 ops (a fraction of a millisecond of this hammer), ~99% of the
// run, and needed 25 snapshots (~4 s) to reach MinOps.
func TestRunSpacesSlowSnapshots(t *testing.T) {
	const cost = 150 * time.Millisecond
	rep, err := leaktest.Run(context.Background(), trivial, leaktest.WithProbes(slowProbe{cost}),
		leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(),
		leaktest.MaxDuration(20*time.Second), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if share := snapshotShare(t, rep); share > 0.4 {
		t.Errorf("%.0f%% of the run snapshotting, want ≤ 40%% (~30%%)\n%s", 100*share, rep)
	}
	if rep.SnapshotTime < time.Duration(rep.SnapshotsTaken)*cost {
		t.Errorf("SnapshotTime %v for %d snapshots of %v", rep.SnapshotTime, rep.SnapshotsTaken, cost)
	}
	if rep.SnapshotCost < cost || rep.SnapshotGap < 3*rep.SnapshotCost {
		t.Errorf("SnapshotCost %v, SnapshotGap %v", rep.SnapshotCost, rep.SnapshotGap)
	}
	// Each snapshot after the first fitted one began ≥ its cost and 3× the
	// cost of hammering after the one before.
	s := rep.Snapshots
	for i := 2; i < len(s); i++ {
		if d := s[i].Elapsed - s[i-1].Elapsed; d < 4*cost {
			t.Errorf("snapshots %d and %d %v apart, want ≥ %v", i-1, i, d, 4*cost)
		}
	}
	if rep.Stopped != leaktest.StopDecided || len(rep.Verdicts) != 1 || rep.Verdicts[0].Decision != leaktest.Within {
		t.Errorf("want the flat gauge decided within:\n%s", rep)
	}
	if text := rep.String(); !slowText.MatchString(text) || !strings.Contains(text, "of hammering apart") {
		t.Errorf("text lacks the snapshots line:\n%s", text)
	}
	checkSnapshotJSON(t, rep, true, false)
	// Snapshots taken, kept or not, each cost ≥ cost: the count agrees.
	if rep.SnapshotsTaken != len(s) {
		t.Errorf("taken %d, kept %d", rep.SnapshotsTaken, len(s))
	}
}

// A Run whose probe costs 300 ms a snapshot under a 10 s cap: at 3× that
// of hammering between snapshots only 8 fitted ones would fit, short of
// the 16 a verdict needs when snapshots are slow; the gap shrinks near the
// cap so the run decides, and says so. The old schedule took them back to
// back (~99% of the run).
func TestRunHurriesSlowSnapshotsForAVerdict(t *testing.T) {
	const cost = 300 * time.Millisecond
	rep, err := leaktest.Run(context.Background(), trivial, leaktest.WithProbes(slowProbe{cost}),
		leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(),
		leaktest.MaxDuration(10*time.Second), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Verdicts) != 1 || rep.Verdicts[0].Decision != leaktest.Within || rep.Verdicts[0].Trend.Points < 16 {
		t.Fatalf("want the flat gauge decided within on ≥ 16 points:\n%s", rep)
	}
	if share := snapshotShare(t, rep); share > 0.7 {
		t.Errorf("%.0f%% of the run snapshotting, want ≤ 70%% (~55%%)\n%s", 100*share, rep)
	}
	// Spaced, if less than 3× the cost near the cap: the least gap kept.
	if rep.SnapshotGap <= 0 || rep.SnapshotGap >= 3*rep.SnapshotCost {
		t.Errorf("SnapshotGap %v, SnapshotCost %v", rep.SnapshotGap, rep.SnapshotCost)
	}
	text := rep.String()
	if !slowText.MatchString(text) || !strings.Contains(text, "taken closer than 3× that apart") {
		t.Errorf("text lacks the snapshots line or the warning:\n%s", text)
	}
	checkSnapshotJSON(t, rep, true, true)
}

// A Watch whose probe costs 150 ms, at a 10 ms Interval: the interval is
// stretched to the cost and 3× it of waiting. The old ticker snapshotted
// back to back: ~100% of the watch, every 150 ms.
func TestWatchStretchesIntervalForSlowSnapshots(t *testing.T) {
	const cost = 150 * time.Millisecond
	rep, err := leaktest.Watch(context.Background(), leaktest.WithProbes(slowProbe{cost}),
		leaktest.Interval(10*time.Millisecond), leaktest.MaxDuration(2500*time.Millisecond), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Snapshots
	if len(s) < 2 {
		t.Fatalf("%d snapshots:\n%s", len(s), rep)
	}
	for i := 1; i < len(s); i++ {
		if d := s[i].Elapsed - s[i-1].Elapsed; d < 4*cost {
			t.Errorf("snapshots %d and %d %v apart, want ≥ %v", i-1, i, d, 4*cost)
		}
	}
	if share := snapshotShare(t, rep); share > 0.4 {
		t.Errorf("%.0f%% of the watch snapshotting, want ≤ 40%%\n%s", 100*share, rep)
	}
	if rep.SnapshotCost < cost || rep.SnapshotGap < 3*rep.SnapshotCost {
		t.Errorf("SnapshotCost %v, SnapshotGap %v", rep.SnapshotCost, rep.SnapshotGap)
	}
	text := rep.String()
	if !slowText.MatchString(text) || strings.Contains(text, "of hammering") || !strings.Contains(text, "the probes are slow") {
		t.Errorf("text lacks the snapshots line or the warning:\n%s", text)
	}
	checkSnapshotJSON(t, rep, true, false)
}

// A fast in-process run keeps its schedule: a snapshot every 400 ops (29
// to decide a clean target at 11,000 ops), no stretch, and the text says
// what snapshotting took without the slow-snapshot part.
func TestFastRunSnapshotScheduleUnchanged(t *testing.T) {
	rep, err := leaktest.Run(context.Background(), trivial, leaktest.ArtifactsDir(t.TempDir()), leaktest.Workers(1))
	if err != nil {
		t.Fatal(err)
	}
	if rep.SnapshotGap != 0 || rep.SnapshotCost != 0 || rep.SnapshotsTaken < 25 {
		t.Errorf("gap %v, cost %v, %d snapshots taken", rep.SnapshotGap, rep.SnapshotCost, rep.SnapshotsTaken)
	}
	snapshotShare(t, rep)
	text := rep.String()
	if !regexp.MustCompile(`\nsnapshots: \d+ taken, \S+ of \S+ \(\d+%\) snapshotting\n`).MatchString(text) || strings.Contains(text, "slow snapshots") {
		t.Errorf("text:\n%s", text)
	}
	checkSnapshotJSON(t, rep, false, false)
}

// manyClasses is a probe like a JVM's class histogram: a thousand flat
// classes and one that grows by one object per op, read from the op count.
type manyClasses struct{ ops *atomic.Int64 }

func (p manyClasses) Name() string { return "classes" }

func (p manyClasses) Take(context.Context) ([]leaktest.Sample, error) {
	out := make([]leaktest.Sample, 0, 1001)
	for i := range 1000 {
		out = append(out, leaktest.Sample{Symbol: leaktest.Symbol(fmt.Sprintf("gauge:flat%04d", i)), Value: float64(i)})
	}
	return append(out, leaktest.Sample{Symbol: "gauge:leaky", Value: float64(p.ops.Load())}), nil
}

// A run whose snapshots are sparse reaches MinOps in a few snapshots,
// before a fit has its 8 points: those looks could reject nothing and
// spend no α, so with a thousand symbols the leak is proven as soon as
// its 8-point windows can show it (p = 1/8! per window), not dozens of
// snapshots later, when the windows have grown enough to beat the α
// shares of the looks counted in vain.
func TestSparseSnapshotsSpendNoAlphaBeforeAFit(t *testing.T) {
	var ops atomic.Int64
	target := runner.Func(func(context.Context, int) error { ops.Add(1); return nil })
	rep, err := leaktest.Run(context.Background(), target,
		leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(),
		leaktest.WithProbes(manyClasses{&ops}), leaktest.Workers(1), leaktest.Jobs(100),
		leaktest.WarmUp(100), leaktest.MinOps(1000), leaktest.SnapshotEvery(500), leaktest.MaxDuration(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Failed() {
		t.Fatalf("no leak:\n%s", rep)
	}
	// MinOps is reached at the 3rd fitted snapshot; the 8th can decide.
	if rep.SnapshotsTaken > 12 {
		t.Errorf("the leak took %d snapshots, want ≤ 12:\n%s", rep.SnapshotsTaken, rep)
	}
}

// risesThenStops is a slow probe (a class histogram's cost) whose gauge
// rises at each of its first 12 snapshots and then stays: a bounded rise,
// such as classes loading past MinOps.
type risesThenStops struct{ n *atomic.Int64 }

func (p risesThenStops) Name() string { return "rises" }

func (p risesThenStops) Take(context.Context) ([]leaktest.Sample, error) {
	time.Sleep(120 * time.Millisecond)
	return []leaktest.Sample{{Symbol: "gauge:classes", Value: float64(100 * min(p.n.Add(1), 12))}}, nil
}

// With slow snapshots MinOps comes after a few of them; at a fit's 8
// points every quarter window is the whole run, and a rise over them
// would be called sustained. A slow run waits for 16, where the rise
// that stopped shows in the last windows: not a leak.
func TestSlowSnapshotsNeedSixteenPoints(t *testing.T) {
	var n atomic.Int64
	rep, err := leaktest.Run(context.Background(), trivial, leaktest.WithProbes(risesThenStops{&n}),
		leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(),
		leaktest.WarmUp(100), leaktest.MinOps(100), leaktest.Jobs(100), leaktest.MaxDuration(20*time.Second), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() {
		t.Fatalf("a rise over the first 12 snapshots that stopped is a leak:\n%s", rep)
	}
	if len(rep.Verdicts) != 1 || rep.Verdicts[0].Decision != leaktest.Within {
		t.Errorf("want it within once it stopped:\n%s", rep)
	}
}

// The in-process probes get slower as what they count leaks (a goroutine
// dump of many leaked goroutines): that must not space the schedule, or a
// cheap op that leaks runs ever longer between snapshots and the run runs
// away with the machine's memory (seen: 18 GB in an end-to-end test).
func TestInProcessCostDoesNotSpaceSnapshots(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	rep, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error {
		go func() { <-block }()
		return nil
	}), leaktest.WithoutHeap(), leaktest.MaxDuration(30*time.Second), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Failed() {
		t.Fatalf("no leak:\n%s", rep)
	}
	// Decided within a few snapshots after MinOps, as ever.
	if rep.Ops > 100_000 || rep.SnapshotGap > 0 {
		t.Errorf("%d ops, snapshots spaced ≥ %v: the in-process cost spaced the schedule\n%s", rep.Ops, rep.SnapshotGap, rep)
	}
}
