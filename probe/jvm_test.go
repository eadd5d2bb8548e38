//go:build unix

package probe_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/javatest"
	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/probe"
	"github.com/leakslope/leakslope/runner"
)

// jvmRun hammers path of a real Java service with its class histogram as
// the only probe.
func jvmRun(t *testing.T, svc *javatest.Service, path string, opts ...leaktest.Option) (*leaktest.Report, error) {
	t.Helper()
	base := []leaktest.Option{
		leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(),
		leaktest.WithProbes(probe.JVM(svc.PID)),
		leaktest.Workers(4), leaktest.Jobs(50), leaktest.MaxDuration(90 * time.Second),
	}
	return leaktest.Run(context.Background(), runner.HTTP("GET", svc.URL+path), append(base, opts...)...)
}

func TestJVMNamesTheLeakingClass(t *testing.T) {
	svc := javatest.Start(t)
	rep, err := jvmRun(t, svc, "/leak")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, rep)
	}
	bytes := leaktest.Sym(leaktest.KindHeapBytes, javatest.SessionClass)
	objects := leaktest.Sym(leaktest.KindHeapObjects, javatest.SessionClass)
	if !rep.Failed() {
		t.Fatalf("a Session kept per request passed:\n%s", rep)
	}
	var leaks []string
	for _, v := range rep.Verdicts {
		if strings.HasPrefix(string(v.Symbol), "heap.") && strings.Contains(string(v.Symbol), "java.lang.invoke") {
			t.Errorf("%s is a symbol: the JVM's own machinery is left out", v.Symbol)
		}
		if v.Decision != leaktest.Leak {
			continue
		}
		leaks = append(leaks, string(v.Symbol))
		// A Session is 24 bytes on a 64-bit JVM with compressed oops (a
		// 12-byte header, a long, a reference), one per request.
		switch v.Symbol {
		case bytes:
			if s := v.Trend.PerOp; s < 20 || s > 28 {
				t.Errorf("%s: slope %.2f B/op, want ~24", v.Symbol, s)
			}
		case objects:
			if s := v.Trend.PerOp; s < 0.9 || s > 1.1 {
				t.Errorf("%s: slope %.3f/op, want 1", v.Symbol, s)
			}
		}
	}
	// The service's own class leads, before the byte[] each Session holds.
	if len(leaks) == 0 || leaks[0] != string(bytes) {
		t.Errorf("leaks %v: want %s first", leaks, bytes)
	}
	if !strings.Contains(strings.Join(leaks, " "), string(bytes)) && !strings.Contains(strings.Join(leaks, " "), string(objects)) {
		t.Errorf("leaks %v do not name %s", leaks, javatest.SessionClass)
	}
	if !strings.Contains(rep.String(), javatest.SessionClass) {
		t.Errorf("the report does not name %s:\n%s", javatest.SessionClass, rep)
	}
	// The live heap's total is a chart.
	last := rep.Snapshots[len(rep.Snapshots)-1]
	if last.Values[leaktest.SymRuntimeHeapBytes] <= 0 {
		t.Errorf("no runtime.heap.bytes in the last snapshot")
	}
	if rep.SnapshotTime <= 0 {
		t.Errorf("SnapshotTime %v: jcmd's time is not counted", rep.SnapshotTime)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "java.lang.invoke") {
		t.Errorf("warnings do not say what was left out: %q", rep.Warnings)
	}
}

func TestJVMWithProcessWarnsOfTheResidentSet(t *testing.T) {
	svc := javatest.Start(t)
	rep, err := jvmRun(t, svc, "/clean", leaktest.MaxDuration(6*time.Second),
		leaktest.WithProbes(probe.Process(svc.PID)), leaktest.WithBudget("process.rss <= 1MiB/op"))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, rep)
	}
	w := strings.Join(rep.Warnings, "\n")
	if !strings.Contains(w, "process.rss of a JVM grows towards its maximum heap (-XX:MaxHeapSize=128 MiB here)") {
		t.Errorf("no warning about the resident set: %q", rep.Warnings)
	}
}

func TestJVMRefusesWhatIsNotAJVM(t *testing.T) {
	// This test's own process maps no libjvm.so; jcmd would SIGQUIT it.
	_, err := leaktest.Watch(context.Background(), leaktest.WithProbes(probe.JVM(os.Getpid())), leaktest.MaxDuration(time.Second))
	if err == nil || !strings.Contains(err.Error(), "is not a JVM") {
		t.Errorf("a Go process: err = %v", err)
	}
	cmd := exec.Command("true")
	cmd.Run()
	_, err = leaktest.Watch(context.Background(), leaktest.WithProbes(probe.JVM(cmd.Process.Pid)), leaktest.MaxDuration(time.Second))
	if err == nil || !strings.Contains(err.Error(), "is not running") {
		t.Errorf("an exited process: err = %v", err)
	}
}

// A JVM that exits mid-run ends the run with an error naming jcmd's
// command, and the report so far.
func TestJVMThatExitsEndsTheRun(t *testing.T) {
	svc := javatest.Start(t)
	n := 0
	target := runner.Func(func(ctx context.Context, i int) error {
		n++
		if n == 3000 {
			svc.Stop()
		}
		return nil
	})
	rep, err := leaktest.Run(context.Background(), target,
		leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(),
		leaktest.WithProbes(probe.JVM(svc.PID)), leaktest.Workers(1), leaktest.Jobs(100), leaktest.WarmUp(100), leaktest.MaxDuration(60*time.Second))
	want := "the JVM " + strconv.Itoa(svc.PID) + " is not running (it exited"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want one naming %q", err, want)
	}
	if rep == nil || len(rep.Snapshots) < 2 {
		t.Fatalf("no report so far: %v", rep)
	}
	data, jerr := json.Marshal(rep)
	if jerr != nil || !strings.Contains(string(data), `"snapshot_s"`) {
		t.Errorf("json: %v %.200s", jerr, data)
	}
}
