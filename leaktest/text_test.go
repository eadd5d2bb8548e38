package leaktest

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/golden"
	"github.com/leakslope/leakslope/runner"
)

func mustBudget(text string) Budget {
	b, err := ParseBudget(text)
	if err != nil {
		panic(err)
	}
	return b
}

func goldenReports() map[string]*Report {
	hammer := runner.Config{Workers: 4, Jobs: 100, KeepErrors: 5, Grace: 10 * time.Second}
	leak := &Report{
		Name: "TestSessionStore", Hammer: hammer, Ops: 11000, Duration: 412 * time.Millisecond, Stopped: "decided",
		Verdicts: []Verdict{
			{Symbol: "heap.bytes:store.(*Store).Handle store.go:42", Decision: Leak,
				Trend:  Trend{PerOp: 112, PerOpLo: 110.5, PerOpHi: 113.25, PerSecond: 272000},
				Budget: mustBudget("heap.bytes:* <= 0B/op"), First: 115000, Last: 1234567,
				Origin: Origin{Func: "store.(*Store).Handle", Site: "store.go:42", UserCode: true,
					Stack: []string{"example.com/store.(*Store).Handle\n\t/src/store/store.go:42", "example.com/store.TestSessionStore.func1\n\t/src/store/store_test.go:17"}}},
			{Symbol: "goroutines:store.(*Store).watch store.go:77", Decision: Leak,
				Trend:  Trend{PerOp: 0.01, PerOpLo: 0.0098, PerOpHi: 0.0102, PerSecond: 24.3},
				Budget: mustBudget("goroutines:* <= 0/op"), First: 10, Last: 110,
				Origin: Origin{Func: "store.(*Store).watch", Site: "store.go:77", UserCode: true,
					Stack: []string{"example.com/store.(*Store).watch.func1\n\t/src/store/store.go:78"}}},
			{Symbol: "heap.objects:store.(*Store).Handle store.go:42", Decision: Leak, Origin: Origin{UserCode: true},
				Trend:  Trend{PerOp: 1, PerOpLo: 1, PerOpHi: 1, PerSecond: 2428},
				Budget: mustBudget("heap.objects:* <= 0/op"), First: 1000, Last: 11000},
			{Symbol: "heap.bytes:store.newBuf buf.go:9", Decision: Within, Trend: Trend{PerOp: 0, PerOpHi: 0},
				Budget: mustBudget("heap.bytes:* <= 0B/op"), First: 4096, Last: 4096},
		},
		Artifacts: map[string]string{"first_profile": "/tmp/ls/first.pb.gz", "last_profile": "/tmp/ls/last.pb.gz", "json": "/tmp/ls/report.json"},
	}
	pass := &Report{
		Name: "TestClean", Hammer: hammer, Ops: 11000, Probes: []string{"heap", "goroutines"}, Duration: 1500 * time.Millisecond, Stopped: "max duration",
		Verdicts: []Verdict{
			{Symbol: "heap.bytes:a.F a.go:1", Decision: Undecided, Trend: Trend{PerOp: 0, PerOpLo: -0.2, PerOpHi: 0.8}, Budget: mustBudget("heap.bytes:* <= 0B/op")},
			{Symbol: "heap.bytes:a.G a.go:2", Decision: Within, Trend: Trend{PerOpHi: 0}, Budget: mustBudget("heap.bytes:* <= 0B/op")},
			{Symbol: "process.rss", Decision: Within, Trend: Trend{PerSecond: 100, PerSecondHi: 2048, PerOpHi: math.Inf(1)}, Budget: mustBudget("process.rss <= 1MiB/min")},
		},
		OpErrors: runner.Errors{Count: 3, First: []runner.OpError{{Op: 7, Err: errors.New("connection refused")}}},
		Warnings: []string{"1 symbol undecided at the 30s cap pass; the largest slope not ruled out is shown"},
	}
	partial := &Report{
		Name: "TestPanics", Hammer: hammer, Ops: 2500, Duration: 90 * time.Millisecond, Stopped: "panic",
		Err:      &runner.PanicError{Op: 2500, Value: "boom", Stack: []byte("goroutine 7 [running]:\nmain.op()\n\t/src/op.go:3")},
		Warnings: []string{"need ≥ 10,000 ops after warm-up before any verdict (a cache may still be filling); ran 1,500: raise MaxDuration or lower MinOps"},
	}
	// Probes ran but saw nothing of the target's: say the check was made.
	empty := &Report{Name: "TestNothingLive", Hammer: hammer, Ops: 11000, Duration: 300 * time.Millisecond, Stopped: "decided", Probes: []string{"heap", "goroutines"}}
	// A slow outside probe: the schedule was stretched, and says so.
	slow := &Report{Name: "TestJVM", Hammer: hammer, Ops: 52000, Duration: 60 * time.Second, Stopped: "decided", Probes: []string{"jvm"},
		SnapshotsTaken: 24, SnapshotTime: 9100 * time.Millisecond, SnapshotCost: 400 * time.Millisecond, SnapshotGap: 1200 * time.Millisecond,
		Verdicts: []Verdict{{Symbol: "heap.bytes:com.example.Session", Decision: Within, Trend: Trend{PerOpHi: 0}, Budget: mustBudget("heap.bytes:* <= 0B/op")}}}
	return map[string]*Report{"leak": leak, "pass": pass, "partial": partial, "empty": empty, "slow": slow}
}

func TestReportTextGolden(t *testing.T) {
	for name, rep := range goldenReports() {
		golden.Check(t, name+".txt", rep.String())
	}
}
