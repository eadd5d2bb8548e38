//go:build unix

package probe_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/histtest"
	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/probe"
	"github.com/leakslope/leakslope/runner"
)

func histogramRun(cmd string, opts ...leaktest.Option) (*leaktest.Report, error) {
	return histogramRunWith(probe.Histogram(cmd, probe.PID(4242), probe.CommandTimeout(5*time.Second)), opts...)
}

func histogramRunWith(p leaktest.Probe, opts ...leaktest.Option) (*leaktest.Report, error) {
	base := []leaktest.Option{
		leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(),
		leaktest.WithProbes(p), leaktest.Workers(1), leaktest.Jobs(100), leaktest.MaxDuration(30 * time.Second),
	}
	return leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error { return nil }), append(base, opts...)...)
}

func TestHistogramReplaysDotnetDumps(t *testing.T) {
	dir := t.TempDir()
	cmd := histtest.SOS(t, dir, 64, true)
	rep, err := histogramRun(cmd + " {pid}")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, rep)
	}
	if !rep.Failed() {
		t.Fatalf("a growing MyService.Session passed:\n%s", rep)
	}
	for _, v := range rep.Verdicts {
		switch {
		case v.Symbol == "heap.bytes:MyService.Session" || v.Symbol == "heap.objects:MyService.Session":
			if v.Decision != leaktest.Leak {
				t.Errorf("%s: %s, want leak", v.Symbol, v.Decision)
			}
		case strings.HasSuffix(string(v.Symbol), ":Free"):
			t.Errorf("%s is a symbol: free space is not objects", v.Symbol)
		case v.Decision == leaktest.Leak:
			t.Errorf("%s: leak, but it is flat", v.Symbol)
		}
	}
	if args, _ := os.ReadFile(filepath.Join(dir, "args")); strings.TrimSpace(string(args)) != "4242" {
		t.Errorf("the command was given %q, want {pid} replaced by 4242", args)
	}
}

func TestHistogramCleanDumpsPass(t *testing.T) {
	rep, err := histogramRun(histtest.SOS(t, t.TempDir(), 64, false), leaktest.MaxDuration(15*time.Second))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, rep)
	}
	if rep.Failed() {
		t.Fatalf("flat dumps failed:\n%s", rep)
	}
	within := 0
	for _, v := range rep.Verdicts {
		if v.Decision == leaktest.Within {
			within++
		}
	}
	if within < 4 {
		t.Errorf("%d verdicts within budget, want the classes' 6:\n%s", within, rep)
	}
}

// A command that fails, hangs, prints what is not a histogram, or too
// much, ends the run with an error naming the command and what it did, and
// the report so far.
func TestHistogramCommandFailures(t *testing.T) {
	for _, tc := range []struct {
		name, fail string
		opts       []probe.CommandOption
		want       []string
	}{
		{name: "exit status", fail: `[ $k -lt 4 ] || { echo "dotnet-dump: Process 4242 not running" >&2; echo "more detail" >&2; exit 3; }`,
			want: []string{"exited with status 3: dotnet-dump: Process 4242 not running", "replay.sh"}},
		{name: "hang", fail: `[ $k -lt 4 ] || sleep 60`, opts: []probe.CommandOption{probe.CommandTimeout(500 * time.Millisecond)},
			want: []string{"did not finish within 500ms: killed"}},
		{name: "garbage", fail: `[ $k -lt 4 ] || { echo; echo "Segmentation fault (core dumped)"; echo "and more"; exit 0; }`,
			want: []string{"printed no class histogram", `its first line: "Segmentation fault (core dumped)"`}},
		{name: "malformed row", fail: `[ $k -lt 4 ] || { printf 'Statistics:\n MT Count TotalSize Class Name\n7ffb5f3e9b20 many 48 MyService.Session\n'; exit 0; }`,
			want: []string{"replay.sh`:3: Count \"many\""}},
		{name: "too much", fail: `[ $k -lt 4 ] || exec yes`, opts: []probe.CommandOption{probe.CommandMaxOutput(1 << 20)},
			want: []string{"printed over 1 MiB: killed"}},
		{name: "a child left holding stdout", fail: `[ $k -lt 4 ] || { sleep 30 & cat "$d/dumpheap-1.log"; exit 0; }`,
			want: []string{"ended, but left a process holding its output (killed)"}},
		{name: "JAVA_TOOL_OPTIONS", fail: `[ $k -lt 4 ] || { echo "Picked up JAVA_TOOL_OPTIONS: -Xss1m" >&2; echo "com.sun.tools.attach.AttachNotSupportedException: Unable to open socket file" >&2; exit 1; }`,
			want: []string{"exited with status 1: com.sun.tools.attach.AttachNotSupportedException: Unable to open socket file"}},
		{name: "cut off", fail: `[ $k -lt 4 ] || { head -n 5 "$d/dumpheap-2.log"; exit 0; }`,
			want: []string{"the histogram ends without its \"Total\" line: cut off?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			histtest.SOS(t, dir, 64, true)
			cmd := histtest.Replay(t, dir, "dumpheap-%d.log", 64, tc.fail)
			began := time.Now()
			rep, err := histogramRunWith(probe.Histogram(cmd, tc.opts...))
			if err == nil {
				t.Fatalf("no error:\n%s", rep)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to say %q", err, w)
				}
			}
			if rep == nil || len(rep.Snapshots) != 3 {
				t.Errorf("want the report of the 3 snapshots so far, got %v", rep)
			}
			// The hang is killed at its timeout, not waited out (60 s).
			if d := time.Since(began); d > 30*time.Second {
				t.Errorf("the run took %v", d)
			}
		})
	}
}

func TestHistogramReadsOtherFormats(t *testing.T) {
	for _, tc := range []struct {
		file, want string
	}{
		{"../internal/dump/testdata/pprof/heap.pb.gz", "heap.bytes:"},
		{"../internal/dump/testdata/jvm/jcmd-17-loaded.txt", "heap.bytes:java.util.HashMap.Node"},
	} {
		abs, err := filepath.Abs(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		p := probe.Histogram("cat " + abs)
		if err := p.(leaktest.Starter).Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		s, err := p.Take(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		found := false
		for _, x := range s {
			found = found || strings.HasPrefix(string(x.Symbol), tc.want)
		}
		if !found {
			t.Errorf("%s: no %s symbol in %d samples", tc.file, tc.want, len(s))
		}
	}
}

func TestHistogramPIDUnset(t *testing.T) {
	_, err := leaktest.Watch(context.Background(), leaktest.WithProbes(probe.Histogram("dotnet-dump collect -p {pid}")), leaktest.MaxDuration(time.Second))
	if err == nil || !strings.Contains(err.Error(), "names {pid}, and no process id is given") {
		t.Errorf("err = %v", err)
	}
}
