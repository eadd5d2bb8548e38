package leaktest_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// keeper keeps n 16-byte objects per op from one allocation site, under
// a budget that allows it: only a baseline catches it growing.
type keeper struct {
	mu   sync.Mutex
	kept []*[16]byte
}

func (k *keeper) run(t *testing.T, n int, opts ...leaktest.Option) (*leaktest.Report, error) {
	t.Helper()
	target := runner.Func(func(context.Context, int) error {
		k.mu.Lock()
		defer k.mu.Unlock()
		for range n {
			k.kept = append(k.kept, new([16]byte)) // the kept site
		}
		return nil
	})
	base := []leaktest.Option{leaktest.WithoutGoroutines(), leaktest.WithoutResources(), leaktest.WithoutHeldBy(),
		leaktest.WarmUp(100), leaktest.MinOps(2000), leaktest.MaxDuration(6 * time.Second),
		leaktest.WithBudget("heap.bytes:* <= 1KiB/op"), leaktest.WithBudget("heap.objects:* <= 10/op"),
		leaktest.ArtifactsDir(t.TempDir())}
	return leaktest.Run(context.Background(), target, append(base, opts...)...)
}

// The golden-file way: LEAKSLOPE_UPDATE=1 writes the baseline; the same
// workload then passes against it; the same workload keeping twice as
// much fails, "was X, now Y", though within its budget.
func TestBaselineCatchesALeakThatGrew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kept.baseline.json")
	var k keeper
	t.Setenv(leaktest.EnvUpdate, "1")
	rep, err := k.run(t, 1, leaktest.Baseline(path))
	if err != nil || rep.Failed() {
		t.Fatalf("update run: %v\n%s", err, rep)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Format string `json:"format"`
		X      string `json:"x"`
		Slopes []struct {
			Symbol string   `json:"symbol"`
			Lo     *float64 `json:"lo"`
			Unit   string   `json:"unit"`
		} `json:"slopes"`
	}
	if err := json.Unmarshal(data, &f); err != nil || f.Format != "leakslope baseline v1" || f.X != "ops" || len(f.Slopes) == 0 {
		t.Fatalf("baseline file: %v\n%s", err, data)
	}
	for i := 1; i < len(f.Slopes); i++ {
		if f.Slopes[i-1].Symbol >= f.Slopes[i].Symbol {
			t.Errorf("slopes not sorted: %s before %s", f.Slopes[i-1].Symbol, f.Slopes[i].Symbol)
		}
	}

	t.Setenv(leaktest.EnvUpdate, "0")
	if rep, err := k.run(t, 1, leaktest.Baseline(path)); err != nil || rep.Failed() {
		t.Errorf("the same workload against its baseline: %v\n%s", err, rep)
	}
	rep, err = k.run(t, 2, leaktest.Baseline(path))
	if err != nil || !rep.Failed() || len(rep.Leaks()) > 0 {
		t.Fatalf("twice the objects: %v, want a regression and no leak over budget\n%s", err, rep)
	}
	text := rep.String()
	if !regexp.MustCompile(`heap\.objects:leaktest_test\.\(\*keeper\)\.run \(closure\) baseline_test\.go:\d+: was (0\.9\d*|1(\.0+)?)/op \[[^]]*\], now (1\.9\d*|2(\.0+)?)/op`).MatchString(text) {
		t.Errorf("the message does not say was ~1/op, now ~2/op:\n%s", text)
	}
	b, _ := json.Marshal(rep)
	if !strings.Contains(string(b), `"regressions":[{"symbol":"heap.`) {
		t.Errorf("json has no regressions: %.300s", b)
	}
	page, err := os.ReadFile(rep.Artifacts[leaktest.ArtifactHTML])
	if err != nil || !strings.Contains(string(page), "slopes higher than the baseline") || !strings.Contains(string(page), ", now ") {
		t.Errorf("report.html does not say the regression: %v", err)
	}
}

// A missing, corrupt or foreign baseline is an error naming it.
func TestBaselineBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.json"), "missing.json: no such file: write it with -leakslope.update"},
		{write("corrupt.json", "{\n\"format\": \"leakslope baseline v1\",\n\"slopes\": [}"), "corrupt.json:3: not a leakslope baseline"},
		{write("foreign.json", `{"format": "something else", "x": "ops", "slopes": []}`), `foreign.json: not a leakslope baseline (format "something else"`},
		{write("watch.json", `{"format": "leakslope baseline v1", "x": "seconds", "slopes": []}`), "watch.json is per seconds, this run's x is ops"},
	} {
		var k keeper
		rep, err := k.run(t, 0, leaktest.Baseline(tc.path), leaktest.MinOps(200), leaktest.MaxDuration(time.Second))
		if err == nil || !strings.Contains(err.Error(), tc.want) || rep == nil {
			t.Errorf("%s: err %v, want one saying %q, with the report", filepath.Base(tc.path), err, tc.want)
		}
	}
}

// The same slopes write the same bytes: sorted, no times.
func TestBaselineUpdateIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	rep := leaktest.ReportForBaseline()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for _, p := range []string{a, b} {
		if err := leaktest.WriteBaseline(p, rep); err != nil {
			t.Fatal(err)
		}
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if string(da) != string(db) || !strings.Contains(string(da), `"symbol": "heap.bytes:a"`) || strings.Contains(string(da), "heap.bytes:flat") {
		t.Errorf("two writes differ, or the flat symbol is in:\n%s\n%s", da, db)
	}
}

// A run that failed writes no baseline: its slopes are not the ones to
// keep.
func TestBaselineNotWrittenByAFailedRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.json")
	t.Setenv(leaktest.EnvUpdate, "1")
	rep, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error { panic("boom") }),
		leaktest.WithoutGoroutines(), leaktest.WithoutResources(), leaktest.Baseline(path), leaktest.ArtifactsDir(t.TempDir()))
	if err == nil {
		t.Fatalf("a panicking target did not fail the run:\n%s", rep)
	}
	if _, serr := os.Stat(path); serr == nil || !strings.Contains(strings.Join(rep.Warnings, "\n"), "not written: the run failed") {
		t.Errorf("baseline written (%v), or not said: %q", serr, rep.Warnings)
	}
}
