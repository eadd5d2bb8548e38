//go:build unix

package probe_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/probe"
)

func TestProcessProbeOfAChild(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := probe.Process(cmd.Process.Pid)
	s, err := p.Take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[leaktest.Symbol]float64{}
	for _, x := range s {
		got[x.Symbol] = x.Value
	}
	if got[leaktest.SymProcessRSS] <= 0 || got[leaktest.SymProcessThreads] < 1 || got[leaktest.SymProcessFDs] < 3 {
		t.Errorf("samples = %v", got)
	}
	cmd.Process.Kill()
	// A zombie first (not yet reaped), then gone: both are an exit. The
	// kill lands asynchronously.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = p.Take(context.Background())
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err == nil || err.Error() != fmt.Sprintf("process %d exited (a zombie now)", cmd.Process.Pid) {
		t.Errorf("after kill: err = %v", err)
	}
	cmd.Wait()
	if _, err := p.Take(context.Background()); err == nil || !strings.Contains(err.Error(), "is not running") {
		t.Errorf("after reaping: err = %v", err)
	}
}

// TestMain makes this test binary, run with LEAKSLOPE_PROBE_CHILD=fdleak,
// a service of another process under an open-files limit of 128 that, for
// each byte on its stdin, leaks 20 open files (as many as it can) and says
// so with a byte on its stdout.
func TestMain(m *testing.M) {
	if os.Getenv("LEAKSLOPE_PROBE_CHILD") == "fdleak" {
		lim := syscall.Rlimit{Cur: 128, Max: 128}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var held []*os.File
		b := make([]byte, 1)
		for {
			if _, err := os.Stdin.Read(b); err != nil {
				os.Exit(0)
			}
			for i := 0; i < 20; i++ {
				if f, err := os.Open(os.DevNull); err == nil {
					held = append(held, f)
				}
			}
			os.Stdout.Write(b)
		}
	}
	os.Exit(m.Run())
}

// stepped is a probe that, after each snapshot, has the child leak its 20
// files and waits until it has: the leak is 20 files a snapshot whatever
// the machine's load. It passes its limits on.
type stepped struct {
	leaktest.Probe
	in  io.Writer
	out io.Reader
}

func (g *stepped) Take(ctx context.Context) ([]leaktest.Sample, error) {
	s, err := g.Probe.Take(ctx)
	if err == nil {
		b := []byte{1}
		if _, err = g.in.Write(b); err == nil {
			_, err = io.ReadFull(g.out, b)
		}
	}
	return s, err
}

func (g *stepped) Limits() map[leaktest.Symbol]leaktest.Limit {
	return g.Probe.(leaktest.Limiter).Limits()
}

// The probe reads the process's own open-files limit, not the test's.
func TestProcessProbeReadsTheLimitOfTheProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process.fds and its limit are read on Linux only")
	}
	cmd := exec.Command("sh", "-c", "ulimit -n 200 && exec sleep 30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	p := probe.Process(cmd.Process.Pid)
	// The shell execs sleep once it set the limit: wait for that.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := p.Take(context.Background()); err != nil {
			t.Fatal(err)
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid))
		if strings.TrimSpace(string(comm)) == "sleep" || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	l, ok := p.(leaktest.Limiter)
	if !ok {
		t.Fatal("the process probe is not a Limiter")
	}
	got := l.Limits()[leaktest.SymProcessFDs]
	if got.Value != 200 || got.Name != "RLIMIT_NOFILE" {
		t.Errorf("limit of process.fds = %+v, want 200 (RLIMIT_NOFILE)", got)
	}
}

// A watched process that leaks files until it has none left broke: the
// watch stops there, decides on the data so far, and leads with what
// broke — the power the in-process probe has, from outside the core.
// The child runs into its limit at the 7th snapshot, before the 16 a
// watch's first verdict needs: it is the limit that ends it, and with too
// few snapshots to prove a trend the watch failed.
func TestWatchOfAProcessThatRunsOutOfFiles(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process.fds and its limit are read on Linux only")
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "LEAKSLOPE_PROBE_CHILD=fdleak")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	p := &stepped{Probe: probe.Process(cmd.Process.Pid), in: in, out: out}
	rep, err := leaktest.Watch(context.Background(), leaktest.WithProbes(p),
		leaktest.Interval(50*time.Millisecond), leaktest.MaxDuration(2*time.Minute), leaktest.ArtifactsDir(t.TempDir()))
	// Too few snapshots to prove a trend: the break is the watch's
	// error, never a pass.
	var b *leaktest.Break
	if !errors.As(err, &b) || rep == nil {
		t.Fatalf("err = %v, want the break\n%s", err, rep)
	}
	if rep.Stopped != leaktest.StopExhausted || rep.Broken != b || b.Symbol != leaktest.SymProcessFDs || b.Limit != 128 || b.LimitName != "RLIMIT_NOFILE" {
		t.Fatalf("stopped %q, broken %+v\n%s", rep.Stopped, b, rep)
	}
	for _, v := range rep.Verdicts {
		if v.Symbol == leaktest.SymProcessFDs && !v.Exhausted {
			t.Errorf("process.fds verdict %+v is not marked exhausted", v)
		}
	}
	msg := rep.String()
	if !strings.HasPrefix(msg, "leaktest: watch: process.fds reached ") || !strings.Contains(msg, "of its limit 128 (RLIMIT_NOFILE) after ") {
		t.Errorf("the report does not lead with what broke:\n%s", msg)
	}
}
