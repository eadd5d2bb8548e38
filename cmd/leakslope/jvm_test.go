package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/leakslope/leakslope/internal/histtest"
	"github.com/leakslope/leakslope/internal/javatest"
)

// hammer --jvm against a real Java service: the class it keeps per
// request is named, with the verdict, the charts and exit 1; a HashMap of
// strings is named by its entries and strings; a clean endpoint exits 0.
func TestHammerJVM(t *testing.T) {
	for _, tc := range []struct {
		path   string
		code   int
		want   []string // leaking symbols that must be among the leaks
		maxDur string
	}{
		{"/leak", 1, []string{"heap.bytes:" + javatest.SessionClass}, "80s"},
		{"/mapleak", 1, []string{"heap.objects:java.util.HashMap.Node", "heap.objects:java.lang.String"}, "80s"},
		// A clean service's noisy classes (int[], char[]) may stay
		// undecided: it passes at the cap.
		{"/clean", 0, nil, "30s"},
	} {
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
			svc := javatest.Start(t)
			dir := t.TempDir()
			out := filepath.Join(dir, "report.json")
			stdout, stderr, code := cli(t, "hammer", "--jvm", strconv.Itoa(svc.PID), "-t", "4", "-n", "10", "-w", "10ms",
				"--max-duration", tc.maxDur, "--out", dir, "--json", out, svc.URL+tc.path)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, stdout, stderr)
			}
			rep := readJSON(t, out)
			leaks := rep.leaks()
			for _, w := range tc.want {
				if !slices.Contains(leaks, w) {
					t.Errorf("leaks %q do not include %s\n%s", leaks, w, stdout)
				}
				if !strings.Contains(stdout, strings.SplitN(w, ":", 2)[1]) {
					t.Errorf("the report does not name %s:\n%s", w, stdout)
				}
			}
			for _, l := range leaks {
				if strings.Contains(l, "java.lang.invoke") || strings.Contains(l, "jdk.internal.reflect") {
					t.Errorf("%s leaks: the JVM's own machinery is left out", l)
				}
			}
			if tc.code == 0 && (len(leaks) > 0 || within(rep) < 100) {
				t.Errorf("clean: leaks %q, %d classes within budget (want hundreds)", leaks, within(rep))
			}
			if !strings.Contains(stdout, "snapshotting") {
				t.Errorf("the report does not say the time spent snapshotting:\n%s", stdout)
			}
			if tc.code == 1 {
				html := rep.Artifacts["html"]
				if b, err := os.ReadFile(html); err != nil || !strings.Contains(string(b), tc.want[0][strings.Index(tc.want[0], ":")+1:]) {
					t.Errorf("report.html (%q): %v, or it does not name the class", html, err)
				}
			}
		})
	}
}

// hammer --histogram replays a .NET service's recorded `!dumpheap -stat`
// outputs, one per snapshot, {pid} being --pid's: the growing class is a
// leak (exit 1), flat ones pass (exit 0), and a command that fails ends
// the run with exit 3, naming the command, its status and its first line,
// after the report so far.
func TestHammerHistogram(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	// --pid's process: its resident set is watched too, and stays flat.
	sleep := exec.Command("sleep", "300")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleep.Process.Kill(); sleep.Wait() }()
	pid := strconv.Itoa(sleep.Process.Pid)

	dir := t.TempDir()
	cmd := histtest.SOS(t, dir, 64, true)
	out := filepath.Join(dir, "report.json")
	stdout, stderr, code := cli(t, "hammer", "--pid", pid, "--histogram", cmd+" {pid}", "-n", "50", "--max-duration", "30s",
		"--out", t.TempDir(), "--json", out, srv.URL)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	if leaks := readJSON(t, out).leaks(); !slices.Contains(leaks, "heap.bytes:MyService.Session") || slices.ContainsFunc(leaks, func(l string) bool { return !strings.Contains(l, "MyService.Session") }) {
		t.Errorf("leaks %q, want MyService.Session's alone\n%s", leaks, stdout)
	}
	if args, _ := os.ReadFile(filepath.Join(dir, "args")); strings.TrimSpace(string(args)) != pid {
		t.Errorf("the command was given %q, want --pid's %s", args, pid)
	}

	stdout, stderr, code = cli(t, "hammer", "--histogram", histtest.SOS(t, t.TempDir(), 64, false), "-n", "50", "--max-duration", "10s",
		"--out", t.TempDir(), srv.URL)
	if code != 0 {
		t.Errorf("flat histograms: exit %d, want 0\n%s%s", code, stdout, stderr)
	}

	dir = t.TempDir()
	histtest.SOS(t, dir, 64, false)
	cmd = histtest.Replay(t, dir, "dumpheap-%d.log", 64, `[ $k -lt 30 ] || { echo "dotnet-dump: Process 4242 not running" >&2; exit 3; }`)
	// No verdict can end the run before the command fails (MinOps).
	stdout, stderr, code = cli(t, "hammer", "--histogram", cmd, "-n", "50", "--min-ops", "10000000", "--out", t.TempDir(), "--json", out, srv.URL)
	if code != 3 || !strings.Contains(stderr, "`"+cmd+"` exited with status 3: dotnet-dump: Process 4242 not running") {
		t.Errorf("failing command: exit %d, want 3 naming it\n%s%s", code, stdout, stderr)
	}
	if readJSON(t, out).verdict("heap.bytes:MyService.Session") == nil || !strings.Contains(stdout, "partial") {
		t.Errorf("no report so far:\n%s", stdout)
	}
}

// Misuse of --jvm and --histogram is bad usage, exit 2, naming the flag.
func TestJVMAndHistogramMisuse(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"watch", "--jvm", "-3"}, "--jvm -3: want a process id > 0"},
		{[]string{"watch", "--jvm", "2147483000"}, "--jvm 2147483000: no such process"},
		{[]string{"watch", "--jvm", self}, "is not a JVM"},
		{[]string{"watch", "--jvm", self, "--histogram", "true"}, "--jvm and --histogram both read a heap"},
		{[]string{"watch", "--pprof", "http://127.0.0.1:1/debug/pprof", "--histogram", "true"}, "--pprof and --histogram both read a heap"},
		{[]string{"watch", "--histogram", "dotnet-dump collect -p {pid}"}, "names {pid}: give --pid PID"},
		{[]string{"watch", "--histogram", "  "}, "--histogram: an empty command"},
		{[]string{"watch", "--histogram", "true", "--snapshot-timeout", "0s"}, "--snapshot-timeout 0s: want > 0"},
	} {
		stdout, stderr, code := cli(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, want 2 saying %q\n%s%s", tc.args, code, tc.want, stdout, stderr)
		}
	}
}

// watch --jvm: a Java service under its own load, snapshotted every
// --interval (stretched: jcmd takes longer than a third of it), x =
// seconds; the class it keeps is named (exit 1). (A clean JVM's classes
// are shown to pass by TestHammerJVM; a clean watch needs 16 snapshots
// ~2.5 s apart on a loaded machine, a minute of CI for no new path.)
func TestWatchJVM(t *testing.T) {
	svc := javatest.Start(t)
	load(t, svc.URL+"/leak")
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	stdout, stderr, code := cli(t, "watch", "--jvm", strconv.Itoa(svc.PID), "--interval", "100ms",
		"--max-duration", "90s", "--out", dir, "--json", out)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	rep := readJSON(t, out)
	if leaks := rep.leaks(); !slices.Contains(leaks, "heap.bytes:"+javatest.SessionClass) {
		t.Errorf("leaks %q do not include %s\n%s", leaks, javatest.SessionClass, stdout)
	}
	if rep.X != "seconds" || !strings.Contains(stdout, "slow snapshots (") {
		t.Errorf("x %q; the report does not say the interval was stretched:\n%s", rep.X, stdout)
	}
}

func within(r jsonReport) int {
	n := 0
	for _, v := range r.Verdicts {
		if v.Decision == "within" {
			n++
		}
	}
	return n
}
