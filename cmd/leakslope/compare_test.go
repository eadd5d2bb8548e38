package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/baseline"
	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

var (
	keptMu sync.Mutex
	kept   []*[16]byte
)

// leakReport runs a workload keeping n 16-byte objects per op, from one
// allocation site whatever n, and writes its report.json.
func leakReport(t *testing.T, n int) string {
	t.Helper()
	rep, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error {
		keptMu.Lock()
		defer keptMu.Unlock()
		for range n {
			kept = append(kept, new([16]byte)) // the leaking site
		}
		return nil
	}), leaktest.WithoutGoroutines(), leaktest.WithoutResources(), leaktest.WithoutHeldBy(),
		leaktest.WarmUp(100), leaktest.MinOps(2000), leaktest.MaxDuration(30*time.Second), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil || !rep.Failed() {
		t.Fatalf("run: %v, no leak?\n%s", err, rep)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A leak that doubles between two runs is a regression, "was 16 B/op,
// now 32 B/op", exit 1; the same workload again, or one that leaks less,
// is not.
func TestCompareReports(t *testing.T) {
	once, again, twice := leakReport(t, 1), leakReport(t, 1), leakReport(t, 2)
	keptMu.Lock()
	kept = nil
	keptMu.Unlock()
	stdout, stderr, code := cli(t, "compare", once, twice)
	// One object an op, then two (their slice's growth is charged to the
	// same line, so the bytes are not exactly 16 and 32).
	site := "heap.objects:leakslope.leakReport (closure) compare_test.go:"
	if code != 1 || !regexp.MustCompile(regexp.QuoteMeta(site)+`\d+: was (0\.9\d*|1(\.0+)?)/op \[[^]]*\], now (1\.9\d*|2(\.0+)?)/op`).MatchString(stdout) {
		t.Errorf("doubled: exit %d, want 1 saying was ~1/op, now ~2/op\n%s%s", code, stdout, stderr)
	}
	// Sites flat in both runs (how many depends on what else the test
	// binary did) are not rows.
	if regexp.MustCompile(`(?m)^\S.*\s0( B)?/op \[0( B)?, 0( B)?\]\s+0( B)?/op \[0( B)?, 0( B)?\]`).MatchString(stdout) {
		t.Errorf("flat symbols are listed:\n%s", stdout)
	}
	for _, pair := range [][2]string{{once, again}, {twice, once}} {
		stdout, stderr, code = cli(t, "compare", pair[0], pair[1])
		if code != 0 || !strings.Contains(stdout, "no slope credibly higher") {
			t.Errorf("%s → %s: exit %d, want 0\n%s%s", pair[0], pair[1], code, stdout, stderr)
		}
	}
	// A tolerance over the rise lets it pass.
	if _, _, code = cli(t, "compare", "--tolerance", "150%", once, twice); code != 0 {
		t.Errorf("--tolerance 150%%: exit %d, want 0", code)
	}
}

// Symbols flat in both reports are summed up in one line, not listed.
func TestCompareSummarisesFlatSymbols(t *testing.T) {
	dir := t.TempDir()
	report := func(name string, grows float64) string {
		p := filepath.Join(dir, name)
		body := `{"x": "ops", "verdicts": [
			{"symbol": "heap.bytes:flat.go:1", "slope_per_op": 0, "slope_per_op_lo": 0, "slope_per_op_hi": 0},
			{"symbol": "heap.bytes:flat.go:2", "slope_per_op": 0, "slope_per_op_lo": 0, "slope_per_op_hi": 0},
			{"symbol": "process.rss", "slope_per_op": ` + strconv.FormatFloat(grows, 'g', -1, 64) + `, "slope_per_op_lo": 0, "slope_per_op_hi": 64}]}`
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stdout, stderr, code := cli(t, "compare", report("old.json", 10), report("new.json", 12))
	if code != 0 || strings.Contains(stdout, "flat.go") || !strings.Contains(stdout, "(and 2 symbols with no slope in either report)") || !strings.Contains(stdout, "process.rss") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// What is not two reports of the same check is bad input, exit 2, naming
// the file (and the line of malformed JSON).
func TestCompareBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ops := write("ops.json", `{"x": "ops", "verdicts": [{"symbol": "process.rss", "slope_per_op": 1, "slope_per_op_lo": 0, "slope_per_op_hi": 2}]}`)
	secs := write("secs.json", `{"x": "seconds", "verdicts": []}`)
	corrupt := write("corrupt.json", "{\"x\": \"ops\",\n \"verdicts\": [\n{]}")
	foreign := write("foreign.json", `{"name": "something else"}`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", ops}, "want OLD.json NEW.json, got 1 files"},
		{[]string{"compare", ops, corrupt}, corrupt + ":3: not a leakslope report"},
		{[]string{"compare", foreign, ops}, foreign + ": not a leakslope report"},
		{[]string{"compare", ops, filepath.Join(dir, "missing.json")}, "missing.json: no such file or directory"},
		{[]string{"compare", ops, secs}, "over ops, " + secs + " over seconds: not the same check"},
		{[]string{"compare", "--tolerance", "-5%", ops, ops}, `--tolerance "-5%": want a percentage`},
	} {
		stdout, stderr, code := cli(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, want 2 saying %q\n%s%s", tc.args, code, tc.want, stdout, stderr)
		}
	}
}

func TestCompareDelta(t *testing.T) {
	s := func(v float64) *baseline.Slope { return &baseline.Slope{Slope: v} }
	for _, tc := range []struct {
		old, new *baseline.Slope
		want     string
	}{
		{s(10), s(20), "+100%"}, {s(20), s(10), "-50%"}, {s(0), s(0), "0%"}, {s(0), s(3), "from 0"},
		{nil, s(1), "new"}, {s(1), nil, "gone"}, {s(math.NaN()), s(1), "?"}, {s(-4), s(-2), "+50%"},
	} {
		if got := delta(baseline.Change{Old: tc.old, New: tc.new}); got != tc.want {
			t.Errorf("delta(%v → %v) = %q, want %q", tc.old, tc.new, got, tc.want)
		}
	}
}

// --baseline FILE --update writes the slopes; without --update the same
// dumps pass against them, and a baseline whose slope was half fails,
// "was X, now Y", exit 1 though within every budget.
func TestBaselineFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dumps.baseline.json")
	args := func(more ...string) []string {
		a := []string{"analyze", "--budget", "heap.bytes:* <= 1MiB/op", "--budget", "heap.objects:* <= 100000/op", "--out", t.TempDir()}
		a = append(a, more...)
		for i := 1; i <= 6; i++ {
			a = append(a, "testdata/dumps/dumpheap-"+strconv.Itoa(i)+".log")
		}
		return a
	}
	if stdout, stderr, code := cli(t, args("--baseline", path, "--update")...); code != 0 || !strings.Contains(stdout, "baseline "+path+" written") {
		t.Fatalf("--update: exit %d\n%s%s", code, stdout, stderr)
	}
	if stdout, stderr, code := cli(t, args("--baseline", path)...); code != 0 {
		t.Errorf("the same dumps: exit %d, want 0\n%s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// MyService.Session's bytes at half their slope.
	halved := regexp.MustCompile(`("symbol": "heap\.bytes:MyService\.Session",\s*"slope": )[\d.]+,\s*"lo": [\d.]+,\s*"hi": [\d.]+`).ReplaceAll(data, []byte(`${1}6000, "lo": 5900, "hi": 6100`))
	if string(halved) == string(data) {
		t.Fatalf("no MyService.Session in the baseline:\n%s", data)
	}
	if err := os.WriteFile(path, halved, 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := cli(t, args("--baseline", path)...)
	if code != 1 || !strings.Contains(stdout, "heap.bytes:MyService.Session: was 5.86 KiB/dump [5.76 KiB, 5.96 KiB], now 11.") {
		t.Errorf("halved baseline: exit %d, want 1 saying was 5.86 KiB/dump, now 11.x KiB/dump\n%s%s", code, stdout, stderr)
	}
	corrupt := filepath.Join(t.TempDir(), "corrupt.json")
	os.WriteFile(corrupt, []byte("{\n\"format\": 3"), 0o600)
	if _, stderr, code := cli(t, args("--baseline", corrupt)...); code != 2 || !strings.Contains(stderr, corrupt+": not a leakslope baseline") {
		t.Errorf("corrupt baseline: exit %d, want 2 naming it\n%s", code, stderr)
	}
	if _, stderr, code := cli(t, args("--update")...); code != 2 || !strings.Contains(stderr, "--update writes the --baseline FILE, which is not given") {
		t.Errorf("--update alone: exit %d\n%s", code, stderr)
	}
}
