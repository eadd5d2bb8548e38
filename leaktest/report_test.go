package leaktest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

func TestJSONCarriesTheContractFields(t *testing.T) {
	var held [][]byte
	dir := t.TempDir()
	rep, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error {
		held = append(held, make([]byte, 32))
		return nil
	}), leaktest.ArtifactsDir(dir), leaktest.Workers(1))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		Ops       *int64            `json:"ops"`
		DurationS *float64          `json:"duration_s"`
		Verdicts  []map[string]any  `json:"verdicts"`
		Artifacts map[string]string `json:"artifacts"`
		Snapshots []map[string]any  `json:"snapshots"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatal(err)
	}
	if j.Ops == nil || *j.Ops != rep.Ops || j.DurationS == nil || *j.DurationS <= 0 {
		t.Errorf("ops/duration_s = %v/%v", j.Ops, j.DurationS)
	}
	if len(j.Verdicts) == 0 || len(j.Snapshots) == 0 {
		t.Fatalf("%d verdicts, %d snapshots", len(j.Verdicts), len(j.Snapshots))
	}
	for _, field := range []string{"symbol", "kind", "decision", "slope_per_op", "slope_per_op_lo", "slope_per_op_hi", "slope_per_s", "budget", "first", "last", "site"} {
		if _, ok := j.Verdicts[0][field]; !ok {
			t.Errorf("verdict lacks %q: %v", field, j.Verdicts[0])
		}
	}
	v := j.Verdicts[0]
	if v["decision"] != "leak" || v["kind"] != "heap.bytes" || !strings.HasPrefix(v["site"].(string), "report_test.go:") || v["budget"] != "heap.bytes:* <= 0B/op" {
		t.Errorf("first verdict = %v", v)
	}
	for _, name := range []string{"first_profile", "last_profile", "json", "html"} {
		p := j.Artifacts[name]
		if !strings.HasPrefix(p, dir) {
			t.Errorf("artifact %s = %q, want under %s", name, p, dir)
		}
	}
	// The file on disk is the same report.
	disk, err := os.ReadFile(j.Artifacts["json"])
	if err != nil || !bytes.Contains(disk, []byte(`"decision": "leak"`)) {
		t.Errorf("report.json: %v\n%.300s", err, disk)
	}
	// The page charts the leaking symbol, offline.
	page, err := os.ReadFile(j.Artifacts["html"])
	if err != nil || !bytes.Contains(page, []byte(`<svg class="chart"`)) || !bytes.Contains(page, []byte("report_test.go:")) || !bytes.Contains(page, []byte(`<tr class="leak">`)) {
		t.Errorf("report.html: %v\n%.300s", err, page)
	}
	// The profiles are real pprof heap profiles, the last holding more.
	first, last := readProfile(t, j.Artifacts["first_profile"]), readProfile(t, j.Artifacts["last_profile"])
	if inuse(first) >= inuse(last) {
		t.Errorf("in-use space: first %d, last %d; want growth", inuse(first), inuse(last))
	}
}

func readProfile(t *testing.T, path string) *profile.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

func inuse(p *profile.Profile) int64 {
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "inuse_space" {
			idx = i
		}
	}
	var n int64
	for _, s := range p.Sample {
		for _, loc := range s.Location {
			for _, l := range loc.Line {
				if strings.Contains(l.Function.Filename, "report_test.go") {
					n += s.Value[idx]
					goto next
				}
			}
		}
	next:
	}
	return n
}

var _ = gzip.NewReader
var _ = io.EOF

func TestGaugeWithPerTimeBudget(t *testing.T) {
	var mu sync.Mutex
	queue := 0
	rep, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error {
		mu.Lock()
		queue++ // a queue nobody drains
		mu.Unlock()
		return nil
	}), leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(),
		leaktest.WithProbes(leaktest.Gauge("queue.len", func() float64 { mu.Lock(); defer mu.Unlock(); return float64(queue) })),
		leaktest.WithBudget("gauge:queue.len <= 1/s"), leaktest.Workers(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Verdicts) != 1 {
		t.Fatalf("verdicts = %+v", rep.Verdicts)
	}
	v := rep.Verdicts[0]
	if v.Symbol != "gauge:queue.len" || v.Decision != leaktest.Leak || v.Budget.String() != "gauge:queue.len <= 1/s" {
		t.Errorf("verdict = %s %s budget %s", v.Symbol, v.Decision, v.Budget)
	}
	if v.Trend.PerOp != 1 || v.Trend.PerSecondLo <= 1 {
		t.Errorf("trend = %+v, want 1/op and well over 1/s", v.Trend)
	}
	if !strings.Contains(rep.String(), "budget 1/s") {
		t.Errorf("message:\n%s", rep)
	}
}

func TestPanicKeepsTheReportSoFar(t *testing.T) {
	rep, err := leaktest.Run(context.Background(), runner.Func(func(_ context.Context, i int) error {
		if i == 2500 {
			panic("boom at 2500")
		}
		return nil
	}), leaktest.Workers(1), leaktest.Name("panicky"))
	var pe *runner.PanicError
	if !errors.As(err, &pe) || pe.Op != 2500 {
		t.Fatalf("err = %v, want the op's panic", err)
	}
	if rep == nil || rep.Stopped != leaktest.StopPanic || rep.Ops != 2500 || len(rep.Snapshots) < 3 {
		t.Fatalf("report = %+v", rep)
	}
	msg := rep.String()
	for _, want := range []string{"the run stopped early (panic)", "boom at 2500", "report_test.go", "report:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestCancelStopsWithinAnOpAndKeepsTheReport(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	// Counted, not timed: the other worker may run several ops while op
	// 3000's worker is descheduled before its cancel, but once cancel
	// returns it may start at most the one it was already taking.
	var started, atCancel atomic.Int64
	rep, err := leaktest.Run(ctx, runner.Func(func(ctx context.Context, i int) error {
		started.Add(1)
		if i == 3000 {
			cancel()
			atCancel.Store(started.Load())
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Microsecond):
		}
		return nil
	}), leaktest.Workers(2))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if late := started.Load() - atCancel.Load(); rep.Stopped != leaktest.StopCanceled || rep.Ops < 3001 || rep.Ops != started.Load() || late > 1 {
		t.Errorf("stopped %q after %d ops, %d started, %d of them after the cancel; want canceled right after op 3000, every op started completed, at most 1 started after", rep.Stopped, rep.Ops, started.Load(), late)
	}
}

func TestUndecidedAtTheCapPassesAndSaysSo(t *testing.T) {
	var held [][]byte
	rep, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error {
		held = append(held, make([]byte, 8))
		return nil
	}), leaktest.MaxDuration(2*time.Second), leaktest.MinOps(1<<40), leaktest.WarmUp(0), leaktest.Jobs(50), leaktest.SnapshotEvery(50), leaktest.Workers(1))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() || rep.Stopped != leaktest.StopMaxDuration {
		t.Fatalf("stopped %q failed %v", rep.Stopped, rep.Failed())
	}
	msg := rep.String()
	for _, want := range []string{"need ≥ 1,099,511,627,776 ops after warm-up before any verdict", "largest slope not ruled out: ", "B/op (heap.bytes:leaktest_test.TestUndecidedAtTheCapPassesAndSaysSo (closure) report_test.go:", "undecided"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestOwnAllocationsAndGoroutinesAreNeverSymbols(t *testing.T) {
	rep, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error { return nil }),
		leaktest.Jobs(10), leaktest.SnapshotEvery(10), leaktest.MinOps(5000))
	if err != nil {
		t.Fatal(err)
	}
	if rep.SnapshotsTaken <= 128 || len(rep.Snapshots) > 128 {
		t.Fatalf("%d snapshots taken, %d kept; the test wants more than 128 taken and at most 128 kept", rep.SnapshotsTaken, len(rep.Snapshots))
	}
	for _, v := range rep.Verdicts {
		if strings.Contains(v.Func, "leaktest.") && !strings.Contains(v.Func, "leaktest_test.") || strings.Contains(v.Func, "runner.") || strings.Contains(string(v.Symbol), "gleak") {
			t.Errorf("leakslope's own symbol: %s (%s)", v.Symbol, v.Func)
		}
	}
	if len(rep.Leaks()) != 0 {
		t.Errorf("a no-op target leaks:\n%s", rep)
	}
}
